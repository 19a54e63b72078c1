/**
 * Real `pegasus meta` and `pegasus replica` processes on loopback for process tests: free ports, one INI per
 * process in a temp dir, readiness through the HTTP routes, SIGTERM / SIGKILL and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs: number, accept: (body: unknown) => boolean = () => true): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) {
        const body: unknown = await response.json();
        if (accept(body)) return body;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Role {
  name: string;
  args: string[];
  port: number;
  child?: ChildProcess;
  stderr: string;
}

export class TestCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'pegasus-cluster-'));
  private readonly roles: Role[] = [];

  private constructor(
    readonly metaPort: number,
    readonly replicaPorts: number[],
    partitionCount: number,
  ) {
    const common = (dataDir: string) => [
      '[apps.meta]', `ports = ${metaPort}`,
      '[core]', `data_dir = ${dataDir}`,
      '[meta_server]', `server_list = 127.0.0.1:${metaPort}`,
      'meta_state_service_type = meta_state_service_simple',
      'distributed_lock_service_type = distributed_lock_service_simple',
      '[meta_server.apps.temp]', `partition_count = ${partitionCount}`, 'max_replica_count = 1',
      '[replication]', 'mutation_2pc_min_replica_count = 1',
    ];
    const metaIni = join(this.root, 'meta.ini');
    writeFileSync(metaIni, common(join(this.root, 'meta')).join('\n'));
    this.roles.push({ name: 'meta', args: ['meta', '-c', metaIni, '--profile', 'test'], port: metaPort, stderr: '' });
    replicaPorts.forEach((port, i) => {
      const ini = join(this.root, `replica${i + 1}.ini`);
      writeFileSync(ini, [...common(join(this.root, `replica${i + 1}`)), '[apps.replica]', `ports = ${port}`].join('\n'));
      this.roles.push({ name: `replica${i + 1}`, args: ['replica', '-c', ini, '--profile', 'test'], port, stderr: '' });
    });
  }

  static async create(replicaCount: number, partitionCount: number): Promise<TestCluster> {
    const metaPort = await freePort();
    const replicaPorts: number[] = [];
    for (let i = 0; i < replicaCount; i++) replicaPorts.push(await freePort());
    return new TestCluster(metaPort, replicaPorts, partitionCount);
  }

  get metaAddress(): string {
    return `127.0.0.1:${this.metaPort}`;
  }

  private role(name: string): Role {
    const role = this.roles.find((r) => r.name === name);
    if (!role) throw new Error(`no role ${name}`);
    return role;
  }

  start(name: string): void {
    const role = this.role(name);
    // Logs go to a file per role, so a failing test can show what the processes said.
    const log = openSync(join(this.root, `${name}.log`), 'a');
    const child = spawn(process.execPath, [bin, ...role.args], { stdio: ['ignore', log, 'pipe'] });
    closeSync(log);
    child.stderr?.on('data', (chunk: Buffer) => (role.stderr = (role.stderr + chunk.toString()).slice(-4000)));
    role.child = child;
  }

  async startAll(): Promise<void> {
    for (const role of this.roles) this.start(role.name);
    await this.waitHealthy();
  }

  /** Every partition of `temp` has a primary that serves (the meta's view and each replica server's). */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitForHttp(`http://127.0.0.1:${this.metaPort}/meta/apps`, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (const port of this.replicaPorts) {
      await waitForHttp(`http://127.0.0.1:${port}/version`, Math.max(1, deadline - Date.now()));
    }
  }

  async stop(name: string, signal: NodeJS.Signals): Promise<number | null> {
    const role = this.role(name);
    const child = role.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  stderrOf(name: string): string {
    return this.role(name).stderr;
  }

  /** The end of a role's log file. */
  logTail(name: string, bytes = 3000): string {
    try {
      const text = readFileSync(join(this.root, `${name}.log`), 'utf8');
      return text.slice(-bytes);
    } catch {
      return '(no log)';
    }
  }

  async destroy(): Promise<void> {
    for (const role of this.roles) await this.stop(role.name, 'SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}
