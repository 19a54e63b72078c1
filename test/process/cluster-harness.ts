/**
 * Real `pegasus meta` and `pegasus replica` processes on loopback for process tests: free ports, one INI per
 * process in a temp dir, readiness through the meta's partition configuration (query config RPC) and the
 * servers' HTTP routes, SIGTERM / SIGKILL and restart. Each role logs to `<root>/<role>.log`, which failure
 * messages quote so a red test shows what the processes said.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartitionConfiguration } from '../../src/idl/meta.ts';
import { formatRpcAddress, isValidRpcAddress } from '../../src/idl/thrift/dsn.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/index.ts';
import { AdminClient, type AppPartitions } from '../../src/shell/admin-client.ts';

const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        const body: unknown = await response.json();
        if (accept(body)) return body;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** A replica as a replica server reports it on `GET /replica/replicas`. */
export interface HostedReplicaView {
  gpid: string;
  ballot: number;
  status: string;
  last_committed_decree: number;
}

/** One line per partition: `1.3 b7 primary=...:p secondaries=[...] drops=[...]`, for failure messages. */
export function describePartitions(config: AppPartitions | undefined): string {
  if (config === undefined) return '(no configuration)';
  return config.partitions
    .map((p) => {
      const primary = isValidRpcAddress(p.primary) ? formatRpcAddress(p.primary) : '-';
      const list = (xs: PartitionConfiguration['secondaries']) => xs.map(formatRpcAddress).join(',');
      return `${p.pid.appId}.${p.pid.partitionIndex} ballot ${p.ballot} primary=${primary} secondaries=[${list(p.secondaries)}] drops=[${list(p.lastDrops)}]`;
    })
    .join('\n');
}

/** The addresses serving `p`: its primary (if any) then its secondaries. */
export function membersOf(p: PartitionConfiguration): string[] {
  return [...(isValidRpcAddress(p.primary) ? [p.primary] : []), ...p.secondaries].map(formatRpcAddress);
}

interface Role {
  name: string;
  args: string[];
  port: number;
  child?: ChildProcess;
  stderr: string;
}

export interface ClusterOptions {
  replicaServerCount: number;
  partitionCount: number;
  /** Replicas per partition of `temp` (upstream's default 3). */
  maxReplicaCount?: number;
  /**
   * `[meta_server] meta_function_level_on_start`: the shipped `steady` cures but never garbage-collects a
   * useless replica (pegasus-internals.md §1.1); `lively` does.
   */
  functionLevel?: 'steady' | 'lively';
}

export interface HealthyOptions {
  appName?: string;
  /** Addresses that must not be members of any partition (a killed server's). */
  without?: readonly string[];
  timeoutMs?: number;
}

export class TestCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'pegasus-cluster-'));
  private readonly roles: Role[] = [];
  private readonly channel = new TcpRpcChannel();
  readonly admin: AdminClient;

  private constructor(
    readonly metaPort: number,
    readonly replicaPorts: number[],
    options: ClusterOptions,
  ) {
    this.admin = new AdminClient(this.channel, [this.metaAddress]);
    const common = (dataDir: string) => [
      '[apps.meta]', `ports = ${metaPort}`,
      '[core]', `data_dir = ${dataDir}`,
      '[meta_server]', `server_list = 127.0.0.1:${metaPort}`,
      'meta_state_service_type = meta_state_service_simple',
      'distributed_lock_service_type = distributed_lock_service_simple',
      `meta_function_level_on_start = ${options.functionLevel ?? 'steady'}`,
      '[meta_server.apps.temp]', `partition_count = ${options.partitionCount}`, `max_replica_count = ${options.maxReplicaCount ?? 3}`,
      // Derived from each table's max_replica_count (upstream's rule for <= 0): 2 for a 3-replica table, so
      // an acknowledged write is on at least two servers whatever happened before, and 1 for the 1-replica
      // tables some tests create (a fixed 2 would refuse their writes).
      '[replication]', 'mutation_2pc_min_replica_count = 0',
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

  static async create(options: ClusterOptions): Promise<TestCluster> {
    const metaPort = await freePort();
    const replicaPorts: number[] = [];
    for (let i = 0; i < options.replicaServerCount; i++) replicaPorts.push(await freePort());
    return new TestCluster(metaPort, replicaPorts, options);
  }

  get metaAddress(): string {
    return `127.0.0.1:${this.metaPort}`;
  }

  get replicaNames(): string[] {
    return this.replicaPorts.map((_, i) => `replica${i + 1}`);
  }

  addressOf(name: string): string {
    return `127.0.0.1:${this.role(name).port}`;
  }

  /** The role listening on `address` (`127.0.0.1:port`). */
  nameOf(address: string): string {
    const role = this.roles.find((r) => `127.0.0.1:${r.port}` === address);
    if (!role) throw new Error(`no role listens on ${address}`);
    return role.name;
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

  /** The meta's partition configuration of a table (sorted by partition index). */
  queryConfig(appName = 'temp'): Promise<AppPartitions> {
    return this.admin.queryConfig(appName);
  }

  /** What a replica server reports hosting (`GET /replica/replicas`); undefined while it does not answer. */
  async hostedReplicas(name: string): Promise<HostedReplicaView[] | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.role(name).port}/replica/replicas`, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) return undefined;
      return ((await response.json()) as { replicas: HostedReplicaView[] }).replicas;
    } catch {
      return undefined;
    }
  }

  /** The replica directories on a replica server's disk (`<gpid>.pegasus`, `<gpid>.pegasus.<ts>.gar`, ...). */
  replicaDirs(name: string): string[] {
    const reps = join(this.root, name, 'replica', 'reps');
    return existsSync(reps) ? readdirSync(reps).sort() : [];
  }

  /**
   * Why `config` is not healthy, or undefined when it is: every partition has a primary and
   * `max_replica_count` members, none on `without`, and each primary's server reports it PS_PRIMARY.
   */
  private async unhealthyReason(config: AppPartitions, without: readonly string[]): Promise<string | undefined> {
    if (config.partitions.length !== config.partitionCount) return `${config.partitions.length} of ${config.partitionCount} partitions listed`;
    for (const p of config.partitions) {
      const name = `${p.pid.appId}.${p.pid.partitionIndex}`;
      if (!isValidRpcAddress(p.primary)) return `partition ${name} has no primary`;
      const members = membersOf(p);
      if (members.length < p.maxReplicaCount) return `partition ${name} has ${members.length} of ${p.maxReplicaCount} members`;
      const banned = members.find((m) => without.includes(m));
      if (banned !== undefined) return `partition ${name} still lists ${banned}`;
    }
    // The meta's view is the authority; the servers' view shows the primaries have taken up their role.
    for (const p of config.partitions) {
      const primary = formatRpcAddress(p.primary);
      const gpid = `${p.pid.appId}.${p.pid.partitionIndex}`;
      const hosted = await this.hostedReplicas(this.nameOf(primary));
      if (!hosted?.some((r) => r.gpid === gpid && r.status === 'PS_PRIMARY')) return `${primary} does not serve ${gpid} as primary yet`;
    }
    return undefined;
  }

  /**
   * Every partition of the table (default `temp`) has a primary that serves and its max_replica_count
   * members (none of them on `without`), and every running replica server answers. Bounded; the failure
   * names what is missing and shows the configuration and every role's log tail.
   */
  async waitHealthy(options: HealthyOptions = {}): Promise<AppPartitions> {
    const { appName = 'temp', without = [], timeoutMs = 30_000 } = options;
    const deadline = Date.now() + timeoutMs;
    let reason = 'the meta server does not answer';
    let config: AppPartitions | undefined;
    for (;;) {
      try {
        config = await this.queryConfig(appName);
        const why = await this.unhealthyReason(config, without);
        if (why === undefined) break;
        reason = why;
      } catch (e) {
        reason = String(e);
      }
      if (Date.now() > deadline) {
        throw new Error(`${appName} not healthy within ${timeoutMs} ms: ${reason}\n${describePartitions(config)}\n${this.logTails()}`);
      }
      await sleep(200);
    }
    for (const role of this.roles) {
      if (role.name === 'meta' || !this.running(role.name)) continue;
      await waitForHttp(`http://127.0.0.1:${role.port}/version`, Math.max(1, deadline - Date.now()));
    }
    return config;
  }

  running(name: string): boolean {
    const child = this.role(name).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
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

  /** Every role's log tail, for a failure message. */
  logTails(bytes = 2500): string {
    return this.roles.map((r) => `--- ${r.name} (${join(this.root, `${r.name}.log`)}) ---\n${this.logTail(r.name, bytes)}`).join('\n');
  }

  async destroy(): Promise<void> {
    for (const role of this.roles) await this.stop(role.name, 'SIGKILL');
    await this.channel.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}
