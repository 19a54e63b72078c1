/**
 * Redis as a benchmark peer: one `redis-server` on loopback with its append-only file fsynced once a
 * second (`appendfsync everysec`), Redis's recommended durable setting, and no RDB snapshots, so its
 * persistence cost is the AOF alone. A single server, unreplicated.
 */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { BenchSystem, StartOptions, StartedSystem } from '../bench-target.ts';
import { freeLoopbackPorts } from '../free-ports.ts';
import { abandonStart, binaryVersion, findExecutable, ServerProcess, stopServers, waitUntilReady } from './peer-process.ts';

const READY_TIMEOUT_MS = 30_000;
const PING_TIMEOUT_MS = 2_000;
const STOP_GRACE_MS = 10_000;
const LOOPBACK = '127.0.0.1';

let cachedLabel: string | undefined;

function redisArgs(port: number, workDir: string, logFile: string): string[] {
  return [
    '--bind', LOOPBACK,
    '--port', String(port),
    '--dir', workDir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    '--logfile', logFile,
  ];
}

/**
 * True when the server answers PING with PONG. A raw RESP exchange rather than a client, so the probe
 * neither reconnects nor queues behind our back; a server still loading its AOF answers `-LOADING`.
 */
function pingPong(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: LOOPBACK, port });
    let reply = '';
    socket.setTimeout(PING_TIMEOUT_MS, () => socket.destroy(new Error(`no PING reply within ${PING_TIMEOUT_MS} ms`)));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      resolve(reply.startsWith('+PONG'));
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(false));
  });
}

export const redisSystem: BenchSystem = {
  id: 'redis',

  // Read lazily: every `pegasus` process (servers, shell) registers the bench command and never needs the label.
  get label(): string {
    if (cachedLabel === undefined) {
      const version = binaryVersion('redis-server', ['--version'], /v=(\d+)\.(\d+)/);
      cachedLabel = `Redis${version === undefined ? '' : ` ${version}`} (AOF everysec)`;
    }
    return cachedLabel;
  },

  async unavailableReason(): Promise<string | undefined> {
    return findExecutable('redis-server') === undefined ? 'redis-server is not installed (apt-get install redis-server)' : undefined;
  },

  // profileDir is ignored: redis-server is a C binary, with no `.cpuprofile` to write.
  async start({ workDir }: StartOptions): Promise<StartedSystem> {
    const binary = findExecutable('redis-server');
    if (binary === undefined) throw new Error('redis-server is not installed (apt-get install redis-server)');
    const [port] = await freeLoopbackPorts(1);
    if (port === undefined) throw new Error('no spare loopback port for redis-server');
    const logFile = join(workDir, 'redis.log');
    const servers: ServerProcess[] = [];
    try {
      // stdout/stderr go to the same file as --logfile: Redis reports bad arguments there before it opens its log.
      servers.push(await ServerProcess.spawn('redis', binary, redisArgs(port, workDir, logFile), logFile, workDir));
      await waitUntilReady(servers, () => pingPong(port), READY_TIMEOUT_MS);
    } catch (error) {
      return abandonStart(() => stopServers(servers, STOP_GRACE_MS), error);
    }

    const pids = new Map(servers.map((s) => [s.name, s.pid]));
    return {
      connection: { kind: 'redis', host: LOOPBACK, port },
      serverPids: () => pids,
      // SIGTERM: Redis fsyncs its AOF and exits (no RDB save, as `save ""` turned snapshots off).
      stop: () => stopServers(servers, STOP_GRACE_MS),
    };
  },
};
