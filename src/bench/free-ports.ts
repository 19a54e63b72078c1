/**
 * Spare loopback ports for the servers a benchmark starts: the kernel picks each (listen on port 0), and all
 * of one call are held open together so the call never hands out the same port twice.
 */
import { createServer, type Server } from 'node:net';

export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            resolve(typeof address === 'object' && address !== null ? address.port : 0);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const BLOCK_ATTEMPTS_MAX = 20;

/** The first of `count` consecutive spare loopback ports (a onebox numbers its replica servers' ports from a base). */
export async function freeLoopbackPortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < BLOCK_ATTEMPTS_MAX; attempt++) {
    const [base] = (await freeLoopbackPorts(1)) as [number];
    if (base + count - 1 > 65535) continue;
    let free = true;
    for (let port = base + 1; free && port < base + count; port++) free = await portFree(port);
    if (free) return base;
  }
  throw new Error(`no block of ${count} consecutive spare loopback ports found in ${BLOCK_ATTEMPTS_MAX} tries`);
}
