/**
 * The replica server's logic (upstream replica_stub.cpp; pegasus-internals.md §1.2): hosts the replicas of
 * this node, loads every stored one at start (replayed, INACTIVE; one that fails to load is moved to `.err`
 * and reported, never taking the server down), runs the failure-detector worker (F1) and config sync (F2),
 * carries out CT_ASSIGN_PRIMARY proposals (F3) and serves the client RPCs (F5). It touches the world only
 * through its ReplicaStubEnv.
 */
import { PegasusError } from '../../base/error-code.ts';
import type { TimerHandle } from '../../base/clock.ts';
import { formatGpid, type Gpid } from '../../base/gpid.ts';
import { META_RPCS } from '../../idl/codec/meta-rpcs.ts';
import { REPLICATION_RPCS } from '../../idl/codec/replication-rpcs.ts';
import type { AppInfo } from '../../idl/meta.ts';
import type { ReplicaInfo } from '../../idl/replication.ts';
import type { RpcAddress } from '../../rpc/transport.ts';
import type { Replica } from '../replica.ts';
import { ConfigSyncer, type SyncHost } from './config-sync.ts';
import { FailureDetectorWorker } from './failure-detector-worker.ts';
import { HostedReplica } from './hosted-replica.ts';
import { PrimaryAssigner } from './primary-assignment.ts';
import { ENV_VALIDATE_PARTITION_HASH, RrdbService, type PartitionHashPolicy } from './rrdb-service.ts';
import { REPLICA_STUB_LIMITS_DEFAULT, type ReplicaStubEnv, type ReplicaStubLimits } from './stub-env.ts';

/** A stored replica that could not be loaded, and where its directory went. */
export interface ReplicaLoadFailure {
  gpid: string;
  movedTo: string | undefined;
  error: string;
}

export interface ReplicaStubStartReport {
  opened: string[];
  failed: ReplicaLoadFailure[];
}

/** Stored replicas opened at once during start (upstream bounds it per disk: max_replicas_on_load_for_each_disk). */
const LOAD_CONCURRENCY = 8;

export class ReplicaStub implements SyncHost {
  private readonly replicas = new Map<string, HostedReplica>();
  private readonly creating = new Map<string, Promise<HostedReplica>>();
  private readonly limits: ReplicaStubLimits;
  private readonly fd: FailureDetectorWorker | undefined;
  private readonly assigner: PrimaryAssigner;
  private readonly syncer: ConfigSyncer;
  private scannerTimer: TimerHandle | undefined;
  private state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  readonly loadFailures: ReplicaLoadFailure[] = [];

  constructor(private readonly env: ReplicaStubEnv) {
    this.limits = { ...REPLICA_STUB_LIMITS_DEFAULT, ...env.limits };
    const { config } = env;
    this.assigner = new PrimaryAssigner(env, this.limits, this);
    this.syncer = new ConfigSyncer(env, this.limits, this, this.assigner);
    this.fd = config.fdDisabled
      ? undefined
      : new FailureDetectorWorker({
          clock: env.clock,
          channel: env.network.channel,
          logger: env.logger,
          selfAddress: config.selfAddress,
          metaServers: config.metaServers,
          beaconIntervalMs: config.fdBeaconIntervalSeconds * 1000,
          checkIntervalMs: config.fdCheckIntervalSeconds * 1000,
          leaseMs: config.fdLeaseSeconds * 1000,
          beaconTimeoutMs: this.limits.beaconTimeoutMs,
          startTimeMs: env.clock.nowMs(),
          onConnected: () => this.syncer.syncNow(),
          onDisconnected: () => this.onLeaseLost(),
        });
    this.registerHandlers();
  }

  /** Loads every stored replica (INACTIVE), then starts failure detection, config sync and scanner expiry. */
  async start(): Promise<ReplicaStubStartReport> {
    if (this.state !== 'new') throw new PegasusError('ERR_SERVICE_ALREADY_RUNNING', 'the replica stub was started already');
    this.state = 'starting';
    const gpids = await this.env.storage.listReplicas();
    const opened: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < gpids.length) {
        const gpid = gpids[next++]!;
        if (await this.loadStored(gpid)) opened.push(formatGpid(gpid));
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, gpids.length) }, worker));
    if (this.state !== 'starting') return { opened, failed: [...this.loadFailures] };
    this.state = 'started';
    this.env.logger.info({ replicas: opened.length, failed: this.loadFailures.length }, 'replica stub started');
    this.syncer.start();
    if (this.fd === undefined) this.syncer.syncNow();
    else this.fd.start();
    this.scheduleScannerExpiry();
    return { opened: opened.sort(), failed: [...this.loadFailures] };
  }

  private async loadStored(gpid: Gpid): Promise<boolean> {
    const name = formatGpid(gpid);
    try {
      const hosted = await HostedReplica.load(this.env, gpid);
      await hosted.open();
      this.replicas.set(name, hosted);
      return true;
    } catch (e) {
      // Upstream: a replica that fails to load is renamed *.err and rebuilt from its group; one bad
      // directory must never keep the server (and every other replica on it) down.
      let movedTo: string | undefined;
      try {
        movedTo = await this.env.storage.moveAside(gpid, 'err');
      } catch (moveError) {
        this.env.logger.error({ gpid: name, err: moveError }, 'cannot move a broken replica directory aside');
      }
      const error = e instanceof Error ? e.message : String(e);
      this.loadFailures.push({ gpid: name, movedTo, error });
      this.env.logger.error({ gpid: name, movedTo, err: e }, 'replica failed to load: moved aside');
      return false;
    }
  }

  private registerHandlers(): void {
    const { handlers } = this.env.network;
    new RrdbService((gpid) => this.servingReplica(gpid), this.env.logger, (gpid) => this.partitionHashPolicy(gpid)).register(handlers);
    handlers.register('RPC_CONFIG_PROPOSAL', (request) => {
      if (this.state !== 'started') return;
      this.assigner.onProposal(REPLICATION_RPCS.RPC_CONFIG_PROPOSAL.decodeArgs(request.args, 0));
    });
    handlers.register('RPC_QUERY_REPLICA_INFO', (_request, reply) => {
      reply.ok(REPLICATION_RPCS.RPC_QUERY_REPLICA_INFO.encodeResponse({ err: 'ERR_OK', replicas: this.replicaInfos() }));
    });
    handlers.register('RPC_QUERY_APP_INFO', (_request, reply) => {
      // Upstream's replica_stub::on_query_app_info: the tables this node hosts a replica of.
      const apps = new Map<number, AppInfo>();
      for (const hosted of this.replicas.values()) apps.set(hosted.appInfo.appId, hosted.appInfo);
      reply.ok(META_RPCS.RPC_QUERY_APP_INFO.encodeResponse({ err: 'ERR_OK', apps: [...apps.values()] }));
    });
  }

  private partitionHashPolicy(gpid: Gpid): PartitionHashPolicy | undefined {
    const info = this.replicas.get(formatGpid(gpid))?.appInfo;
    if (info === undefined) return undefined;
    return { validate: info.envs.get(ENV_VALIDATE_PARTITION_HASH) === 'true', partitionVersion: info.partitionCount - 1 };
  }

  private servingReplica(gpid: Gpid): Replica | undefined {
    if (this.state !== 'started') return undefined;
    return this.replicas.get(formatGpid(gpid))?.replica;
  }

  private onLeaseLost(): void {
    for (const hosted of this.replicas.values()) hosted.replica?.becomeInactive();
  }

  private scheduleScannerExpiry(): void {
    this.scannerTimer = this.env.clock.setTimer(this.limits.scannerExpiryCheckMs, () => {
      if (this.state !== 'started') return;
      for (const hosted of this.replicas.values()) hosted.replica?.db.expireIdleScanners();
      this.scheduleScannerExpiry();
    });
  }

  // ---- SyncHost / ReplicaHost ---------------------------------------------------------------------------

  find(gpid: Gpid): HostedReplica | undefined {
    return this.replicas.get(formatGpid(gpid));
  }

  findOrCreate(gpid: Gpid, info: AppInfo): Promise<HostedReplica> {
    const name = formatGpid(gpid);
    const existing = this.replicas.get(name);
    if (existing !== undefined) return Promise.resolve(existing);
    const inFlight = this.creating.get(name);
    if (inFlight !== undefined) return inFlight;
    if (this.replicas.size + this.creating.size >= this.limits.replicasMax) {
      return Promise.reject(new PegasusError('ERR_CAPACITY_EXCEEDED', `this node hosts ${this.replicas.size} replicas already`));
    }
    const creation = HostedReplica.create(this.env, gpid, info)
      .then((hosted) => {
        if (this.state === 'closed') throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'the replica stub is closed');
        this.replicas.set(name, hosted);
        this.env.logger.info({ gpid: name, app_name: info.appName }, 'new replica directory');
        return hosted;
      })
      .finally(() => this.creating.delete(name));
    this.creating.set(name, creation);
    return creation;
  }

  metaAddress(): RpcAddress {
    return this.fd?.metaAddress ?? this.env.config.metaServers[0]!;
  }

  connected(): boolean {
    return this.state === 'started' && (this.fd === undefined || this.fd.connected);
  }

  hosted(): HostedReplica[] {
    return [...this.replicas.values()];
  }

  async collectGarbage(hosted: HostedReplica): Promise<void> {
    if (this.replicas.get(hosted.name) !== hosted) return;
    this.replicas.delete(hosted.name);
    await hosted.retire();
    const movedTo = await this.env.storage.moveAside(hosted.gpid, 'gar');
    this.env.logger.info({ gpid: hosted.name, movedTo }, 'garbage replica closed and moved aside');
  }

  // ---- status -------------------------------------------------------------------------------------------

  replicaInfos(): ReplicaInfo[] {
    return this.hosted()
      .map((h) => h.info(this.env.config.diskTag))
      .sort((a, b) => a.pid.appId - b.pid.appId || a.pid.partitionIndex - b.pid.partitionIndex);
  }

  /** Counters for tests and the status page. */
  get stats(): { beaconsSent: number; beaconsAcked: number; syncsApplied: number; updatesInFlight: number; connected: boolean } {
    return {
      beaconsSent: this.fd?.beaconsSent ?? 0,
      beaconsAcked: this.fd?.beaconsAcked ?? 0,
      syncsApplied: this.syncer.syncsApplied,
      updatesInFlight: this.assigner.inFlight,
      connected: this.connected(),
    };
  }

  /** Stops every timer and request, and closes every replica (waiting clients get ERR_INVALID_STATE). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.fd?.stop();
    this.syncer.stop();
    this.assigner.stop();
    this.scannerTimer?.cancel();
    await Promise.allSettled([...this.creating.values()]);
    const outcomes = await Promise.allSettled(this.hosted().map((h) => h.retire()));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') this.env.logger.warn({ err: outcome.reason }, 'closing a replica failed');
    }
    this.replicas.clear();
  }
}
