/**
 * The replica server's logic (upstream replica_stub.cpp; pegasus-internals.md §1.2): hosts the replicas of
 * this node, loads every stored one at start (replayed, INACTIVE; one that fails to load is moved to `.err`
 * and reported, never taking the server down), runs the failure-detector worker (F1) and config sync (F2),
 * routes the meta's proposals and the replica-to-replica RPCs (prepare, group check, learning, remove) to
 * the replica they name, sends replicas' update requests to the meta, and serves the client RPCs (F5). It
 * touches the world only through its ReplicaStubEnv.
 */
import { PegasusError } from '../../base/error-code.ts';
import type { TimerHandle } from '../../base/clock.ts';
import { formatGpid, type Gpid } from '../../base/gpid.ts';
import { META_RPCS } from '../../idl/codec/meta-rpcs.ts';
import { REPLICATION_RPCS } from '../../idl/codec/replication-rpcs.ts';
import type { AppInfo } from '../../idl/meta.ts';
import { ConfigType, type ConfigurationUpdateRequest, type ReplicaInfo } from '../../idl/replication.ts';
import type { RpcAddress, RpcReply } from '../../rpc/transport.ts';
import { fromWireAddress } from '../../idl/thrift/dsn.ts';
import type { Replica } from '../replica.ts';
import { ConfigSyncer, type SyncHost } from './config-sync.ts';
import { FailureDetectorWorker } from './failure-detector-worker.ts';
import { HostedReplica, type ReplicaServices } from './hosted-replica.ts';
import { MetaUpdater } from './meta-updater.ts';
import { registerNfsService } from './nfs-service.ts';
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

/** Upstream's `learn_app_max_concurrent_count` default. */
const LEARN_APP_MAX_CONCURRENT_COUNT_DEFAULT = 5;

/** Stored replicas opened at once during start (upstream bounds it per disk: max_replicas_on_load_for_each_disk). */
const LOAD_CONCURRENCY = 8;

/** Answers once: a reply may race a close, whose waiting clients were already told. */
function answer(reply: RpcReply, encode: () => Buffer): void {
  if (!reply.answered) reply.ok(encode());
}

export class ReplicaStub implements SyncHost {
  private readonly replicas = new Map<string, HostedReplica>();
  private readonly creating = new Map<string, Promise<HostedReplica>>();
  private readonly limits: ReplicaStubLimits;
  private readonly fd: FailureDetectorWorker | undefined;
  private readonly updater: MetaUpdater;
  private readonly services: ReplicaServices;
  private readonly syncer: ConfigSyncer;
  private scannerTimer: TimerHandle | undefined;
  private state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  readonly loadFailures: ReplicaLoadFailure[] = [];

  constructor(private readonly env: ReplicaStubEnv) {
    this.limits = { ...REPLICA_STUB_LIMITS_DEFAULT, ...env.limits };
    const { config } = env;
    this.updater = new MetaUpdater(env, this.limits, () => this.metaAddress());
    const learnAppSlotsMax = config.learnAppMaxConcurrentCount ?? LEARN_APP_MAX_CONCURRENT_COUNT_DEFAULT;
    let learnAppSlotsUsed = 0;
    this.services = {
      updateConfigurationOnMeta: (request) => this.updater.update(request),
      tryAcquireLearnAppSlot: () => {
        if (learnAppSlotsUsed >= learnAppSlotsMax) return false;
        learnAppSlotsUsed++;
        return true;
      },
      releaseLearnAppSlot: () => {
        learnAppSlotsUsed = Math.max(0, learnAppSlotsUsed - 1);
      },
    };
    this.syncer = new ConfigSyncer(env, this.limits, this);
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
      const hosted = await HostedReplica.load(this.env, this.services, gpid);
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
      return this.onProposal(REPLICATION_RPCS.RPC_CONFIG_PROPOSAL.decodeArgs(request.args, 0));
    });
    this.registerReplicationHandlers();
    registerNfsService(handlers, (gpid) => (this.find(gpid) === undefined ? undefined : this.env.storage), { logger: this.env.logger });
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

  /**
   * RPC_CONFIG_PROPOSAL: CT_ASSIGN_PRIMARY may create the replica here (a new partition, or the last drop of
   * a dead one); every other proposal goes to a replica this node already hosts.
   */
  private async onProposal(proposal: ConfigurationUpdateRequest): Promise<void> {
    const gpid = proposal.config.pid;
    const name = formatGpid(gpid);
    if (proposal.info.appId !== gpid.appId || gpid.partitionIndex < 0 || gpid.partitionIndex >= proposal.info.partitionCount) {
      this.env.logger.warn({ gpid: name, appId: proposal.info.appId }, 'proposal with an inconsistent app_info: ignored');
      return;
    }
    const node = fromWireAddress(proposal.node);
    const toSelf = proposal.type === ConfigType.CT_ASSIGN_PRIMARY || proposal.type === ConfigType.CT_UPGRADE_TO_PRIMARY;
    if (toSelf && node !== this.env.config.selfAddress) {
      this.env.logger.warn({ gpid: name, node }, 'proposal names another node: ignored');
      return;
    }
    // A replica becomes primary only while the lease to the meta holds (F1).
    if (toSelf && !this.connected()) return;
    const hosted = proposal.type === ConfigType.CT_ASSIGN_PRIMARY ? await this.findOrCreate(gpid, proposal.info) : this.find(gpid);
    if (hosted === undefined) {
      this.env.logger.warn({ gpid: name, type: proposal.type }, 'proposal for a replica not hosted here: ignored');
      return;
    }
    await hosted.updateAppInfo(proposal.info);
    const replica = await hosted.open();
    if (this.state === 'started') replica.onConfigProposal(proposal);
  }

  /**
   * Replica-to-replica RPCs, routed by gpid to an open replica. A replica that is not open here answers as
   * upstream does for a missing one (ERR_OBJECT_NOT_FOUND), except RPC_LEARN_ADD_LEARNER, which may create it.
   */
  private registerReplicationHandlers(): void {
    const { handlers } = this.env.network;
    const R = REPLICATION_RPCS;
    handlers.register(R.RPC_PREPARE.code, (request, reply) => {
      const args = R.RPC_PREPARE.decodeArgs(request.args, 0);
      const replica = this.openReplica(args.pid);
      if (replica === undefined) {
        const { decree } = args.mutation.header;
        reply.ok(R.RPC_PREPARE.encodeResponse({ pid: args.pid, err: 'ERR_OBJECT_NOT_FOUND', ballot: 0, decree, lastCommittedDecreeInApp: 0, lastCommittedDecreeInPrepareList: 0 }));
        return;
      }
      replica.onPrepare(args, (ack) => answer(reply, () => R.RPC_PREPARE.encodeResponse(ack)));
    });
    handlers.register(R.RPC_GROUP_CHECK.code, (request, reply) => {
      const args = R.RPC_GROUP_CHECK.decodeArgs(request.args, 0);
      const replica = this.openReplica(args.config.pid);
      if (replica === undefined) return reply.error('ERR_OBJECT_NOT_FOUND');
      replica.onGroupCheck(args, (response) => answer(reply, () => R.RPC_GROUP_CHECK.encodeResponse(response)));
    });
    handlers.register(R.RPC_LEARN.code, async (request, reply) => {
      const args = R.RPC_LEARN.decodeArgs(request.args, 0);
      const replica = this.openReplica(args.pid);
      if (replica === undefined) return reply.error('ERR_OBJECT_NOT_FOUND');
      const response = await replica.onLearn(args);
      answer(reply, () => R.RPC_LEARN.encodeResponse(response));
    });
    handlers.register(R.RPC_LEARN_COMPLETION_NOTIFY.code, (request, reply) => {
      const args = R.RPC_LEARN_COMPLETION_NOTIFY.decodeArgs(request.args, 0);
      const replica = this.openReplica(args.pid);
      if (replica === undefined) return reply.error('ERR_OBJECT_NOT_FOUND');
      reply.ok(R.RPC_LEARN_COMPLETION_NOTIFY.encodeResponse(replica.onLearnCompletionNotify(args)));
    });
    handlers.register(R.RPC_LEARN_ADD_LEARNER.code, async (request) => {
      if (this.state !== 'started') return;
      const args = R.RPC_LEARN_ADD_LEARNER.decodeArgs(request.args, 0);
      const gpid = args.config.pid;
      if (args.app.appId !== gpid.appId || gpid.partitionIndex < 0 || gpid.partitionIndex >= args.app.partitionCount) return;
      const hosted = await this.findOrCreate(gpid, args.app);
      await hosted.updateAppInfo(args.app);
      const replica = await hosted.open();
      if (this.state === 'started') replica.onAddLearner(args);
    });
    handlers.register(R.RPC_REMOVE_REPLICA.code, (request) => {
      const args = R.RPC_REMOVE_REPLICA.decodeArgs(request.args, 0);
      this.openReplica(args.config.pid)?.onRemoveReplica(args);
    });
  }

  private openReplica(gpid: Gpid): Replica | undefined {
    if (this.state !== 'started') return undefined;
    return this.replicas.get(formatGpid(gpid))?.replica;
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
    for (const hosted of this.replicas.values()) hosted.replica?.onMetaDisconnected();
  }

  private scheduleScannerExpiry(): void {
    this.scannerTimer = this.env.clock.setTimer(this.limits.scannerExpiryCheckMs, () => {
      if (this.state !== 'started') return;
      for (const hosted of this.replicas.values()) hosted.replica?.db.expireIdleScanners();
      this.scheduleScannerExpiry();
    });
  }

  // ---- SyncHost ---------------------------------------------------------------------------

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
    const creation = HostedReplica.create(this.env, this.services, gpid, info)
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
      updatesInFlight: this.updater.inFlight,
      connected: this.connected(),
    };
  }

  /** Stops every timer and request, and closes every replica (waiting clients get ERR_INVALID_STATE). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.fd?.stop();
    this.syncer.stop();
    this.updater.stop();
    this.scannerTimer?.cancel();
    await Promise.allSettled([...this.creating.values()]);
    const outcomes = await Promise.allSettled(this.hosted().map((h) => h.retire()));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') this.env.logger.warn({ err: outcome.reason }, 'closing a replica failed');
    }
    this.replicas.clear();
  }
}
