/**
 * Helpers for the onebox tests: runs of free ports, the `pegasus` executable run as a user would (bounded),
 * and whether a pid is a live process (a zombie is not: in a container, PID 1 may never reap the detached roles).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { formatRpcAddress, isValidRpcAddress } from '../../src/idl/thrift/dsn.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/index.ts';
import { AdminClient } from '../../src/shell/admin-client.ts';

const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;

/**
 * A meta port and a run of consecutive free replica ports (the onebox numbers replica ports from a base),
 * below Linux's ephemeral range (32768+), so an outgoing connection's source port cannot take one of them
 * between this check and the servers' bind.
 */
export async function freePorts(replicaCount: number): Promise<{ metaPort: number; replicaBasePort: number }> {
  const low = 20_000;
  const high = 32_000;
  for (let attempt = 0; attempt < 100; attempt++) {
    const metaPort = low + Math.floor(Math.random() * (high - low - replicaCount - 1));
    let allFree = true;
    for (let port = metaPort; port <= metaPort + replicaCount && allFree; port++) allFree = await isFree(port);
    if (allFree) return { metaPort, replicaBasePort: metaPort + 1 };
  }
  throw new Error('no run of free ports found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `pegasus ...args` to completion, killed after `timeoutMs`. */
export function pegasus(args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

export function spawnPegasus(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    // Field 3, after the parenthesised command name, is the state; Z = zombie (exited, not reaped).
    const state = readFileSync(stat, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export const ROLES = ['meta1', 'replica1', 'replica2', 'replica3'] as const;

/** The pids the onebox in `dir` recorded, by role (roles without a pid file are left out). */
export function pidsOf(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const role of ROLES) {
    const path = join(dir, role, 'pid');
    if (existsSync(path)) out.set(role, Number(readFileSync(path, 'utf8').trim()));
  }
  return out;
}

/** Polls until `check` holds; fails after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `promise`'s value, or 'timeout' after `timeoutMs`; the timer is cleared so it cannot hold the test process open. */
export async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The meta's view of a table: per partition, its primary then its secondaries (`host:port`). */
export async function membersByPartition(metaPort: number, appName: string): Promise<string[][]> {
  const channel = new TcpRpcChannel();
  try {
    const config = await new AdminClient(channel, [`127.0.0.1:${metaPort}`]).queryConfig(appName);
    return config.partitions.map((p) => [...(isValidRpcAddress(p.primary) ? [p.primary] : []), ...p.secondaries].map(formatRpcAddress));
  } finally {
    await channel.close();
  }
}
