/**
 * The meta server (pegasus-internals.md §1.1), one process acting as leader: loads its state from the
 * MetaStateStore, serves the client and admin RPCs (protocol.md §2, §6, §11) and the replica servers'
 * RPCs (beacons, config sync, configuration updates), and runs failure detection and the cure on EnvClock
 * timers. It touches the world only through its MetaEnv (architecture.md §3).
 */
import { assert } from '../base/assert.ts';
import type { TimerHandle } from '../base/clock.ts';
import { isPegasusError } from '../base/error-code.ts';
import { META_RPCS } from '../idl/codec/meta-rpcs.ts';
import { REPLICATION_RPCS } from '../idl/codec/replication-rpcs.ts';
import {
  NodeStatus,
  type ConfigurationClusterInfoResponse,
  type ConfigurationCreateAppRequest,
  type ConfigurationCreateAppResponse,
  type ConfigurationListNodesRequest,
  type ConfigurationListNodesResponse,
  type DddDiagnoseRequest,
  type DddDiagnoseResponse,
  type QueryCfgRequest,
  type QueryCfgResponse,
} from '../idl/meta.ts';
import type { BeaconAck, BeaconMsg } from '../idl/replication.ts';
import { formatRpcAddress as formatWireAddress, isValidRpcAddress, toWireAddress } from '../idl/thrift/dsn.ts';
import type { RpcReply, RpcRequest } from '../rpc/transport.ts';
import { DdlService } from './ddl-service.ts';
import { META_GUARDIAN_DEFAULTS, META_LIMITS_DEFAULT, type MetaEnv, type MetaLimits } from './meta-env.ts';
import { NodeLiveness } from './node-liveness.ts';
import { toWireConfig } from './partition-config.ts';
import { PartitionService } from './partition-service.ts';
import { SerialQueue } from './serial-queue.ts';
import { loadServerState, type ServerState } from './server-state.ts';

/** The cluster_info keys, in upstream's order (protocol.md §6). */
export const CLUSTER_INFO_KEYS = [
  'meta_servers',
  'primary_meta_server',
  'zookeeper_hosts',
  'zookeeper_root',
  'meta_function_level',
  'balance_operation_count',
  'primary_replica_count_stddev',
  'total_replica_count_stddev',
  'cluster_name',
] as const;

interface Codec<Args, Response> {
  decodeArgs(body: Buffer, offset: number): Args;
  encodeResponse(response: Response): Buffer;
}

function stddev(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

export interface MetaServerStatus {
  readonly started: boolean;
  /**
   * True while no table was ever created (next_app_id is still 1): the first boot, or one that crashed
   * before creating its configured tables, which are then created (again).
   */
  readonly noTableEverCreated: boolean;
}

export class MetaServer {
  private readonly limits: MetaLimits;
  private readonly liveness: NodeLiveness;
  private state: ServerState | undefined;
  private ddlService: DdlService | undefined;
  private partitionService: PartitionService | undefined;
  private readonly timers = new Set<TimerHandle>();
  private stopped = false;

  constructor(private readonly env: MetaEnv) {
    this.limits = { ...META_LIMITS_DEFAULT, ...env.limits };
    this.liveness = new NodeLiveness(env.config.fdGraceSeconds * 1000, this.limits.nodesMax, env.config.fdDisabled);
    // Registered at once so a request arriving while the state loads gets ERR_SERVICE_NOT_ACTIVE (upstream's
    // answer of a leader that is not ready yet) rather than ERR_HANDLER_NOT_FOUND.
    this.registerHandlers();
  }

  get status(): MetaServerStatus {
    return { started: this.state !== undefined && !this.stopped, noTableEverCreated: this.state?.nextAppId === 1 };
  }

  /** The DDL operations, also for in-process callers (first-boot tables, HTTP). */
  get ddl(): DdlService {
    assert(this.ddlService !== undefined, 'MetaServer.start() has not completed');
    return this.ddlService;
  }

  get partitions(): PartitionService {
    assert(this.partitionService !== undefined, 'MetaServer.start() has not completed');
    return this.partitionService;
  }

  /** Loads the state, registers the handlers and starts the timers. */
  async start(): Promise<MetaServerStatus> {
    const { clock, config, metaStore, logger } = this.env;
    const loaded = await loadServerState(metaStore, config.clusterRoot);
    const state = loaded.state;
    this.state = state;
    const nowMs = (): number => clock.nowMs();
    const onAppsChanged = (): void => this.partitions.cure();
    const writesIdle = (appId: number): Promise<void> => this.partitions.whenIdle(appId);
    this.ddlService = new DdlService(state, metaStore, new SerialQueue(this.limits.ddlQueueMax), config, nowMs, onAppsChanged, writesIdle);
    const d = META_GUARDIAN_DEFAULTS;
    this.partitionService = new PartitionService(
      state,
      metaStore,
      this.liveness,
      this.ddlService,
      this.env.network.channel,
      logger,
      this.limits,
      {
        replicaAssignDelayMs: config.replicaAssignDelayMsForDropouts ?? d.replicaAssignDelayMsForDropouts,
        mutation2pcMinReplicaCount: config.mutation2pcMinReplicaCount ?? d.mutation2pcMinReplicaCount,
        maxReservedDroppedReplicas: config.maxReservedDroppedReplicas ?? d.maxReservedDroppedReplicas,
        addSecondaryEnableFlowControl: config.addSecondaryEnableFlowControl ?? d.addSecondaryEnableFlowControl,
        addSecondaryMaxCountForOneNode: config.addSecondaryMaxCountForOneNode ?? d.addSecondaryMaxCountForOneNode,
        gcUselessReplicas: config.functionLevel === 'lively',
      },
      nowMs,
    );
    for (const app of state.apps.values()) {
      for (const pc of app.partitions) for (const node of [...(pc.primary === undefined ? [] : [pc.primary]), ...pc.secondaries]) this.liveness.assumeAlive(node, clock.nowMs());
    }
    this.every(config.fdCheckIntervalSeconds * 1000, () => this.checkLiveness());
    this.every(config.lbIntervalMs, () => {
      this.partitions.handleDeadMembers();
      this.partitions.cure();
    });
    logger.info({ apps: state.apps.size, nextAppId: state.nextAppId, fresh: loaded.fresh }, 'meta server state loaded');
    return this.status;
  }

  /** Cancels the timers; handlers answer ERR_SERVICE_NOT_ACTIVE from now on. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  private every(periodMs: number, tick: () => void): void {
    let handle: TimerHandle;
    const arm = (): void => {
      handle = this.env.clock.setTimer(periodMs, () => {
        this.timers.delete(handle);
        if (this.stopped) return;
        arm();
        tick();
      });
      this.timers.add(handle);
    };
    arm();
  }

  private checkLiveness(): void {
    const changes = this.liveness.check(this.env.clock.nowMs());
    if (changes.length === 0) return;
    for (const c of changes) this.env.logger.warn({ node: c.address }, 'replica server is dead: no beacon within fd_grace_seconds');
    this.partitions.onNodesDead(changes.map((c) => c.address));
  }

  // ---------------------------------------------------------------------------------------------------
  // Reads

  queryConfig(request: QueryCfgRequest): QueryCfgResponse {
    const fail = (err: QueryCfgResponse['err']): QueryCfgResponse => ({ err, appId: 0, partitionCount: 0, isStateful: false, partitions: [] });
    const transient = this.ddl.transient.get(request.appName);
    if (transient !== undefined) return fail(transient === 'dropping' ? 'ERR_BUSY_DROPPING' : 'ERR_BUSY_CREATING');
    const app = this.requireState().appByName(request.appName);
    if (app === undefined) return fail('ERR_OBJECT_NOT_FOUND');
    const valid = request.partitionIndices.filter((i) => Number.isInteger(i) && i >= 0 && i < app.partitions.length);
    const chosen = valid.length === 0 ? app.partitions : valid.map((i) => app.partitions[i]!);
    return { err: 'ERR_OK', appId: app.info.appId, partitionCount: app.info.partitionCount, isStateful: true, partitions: chosen.map(toWireConfig) };
  }

  listNodes(request: ConfigurationListNodesRequest): ConfigurationListNodesResponse {
    const infos = this.liveness
      .all()
      .map((n) => ({ status: n.alive ? NodeStatus.NS_ALIVE : NodeStatus.NS_UNALIVE, node: toWireAddress(n.address) }))
      .filter((n) => request.status === NodeStatus.NS_INVALID || n.status === request.status);
    return { err: 'ERR_OK', infos };
  }

  clusterInfo(): ConfigurationClusterInfoResponse {
    const { config } = this.env;
    const alive = this.liveness.aliveNodes();
    const primaries = new Map<string, number>(alive.map((n) => [n, 0]));
    const replicas = new Map<string, number>(alive.map((n) => [n, 0]));
    for (const app of this.requireState().apps.values()) {
      for (const pc of app.partitions) {
        if (pc.primary !== undefined && primaries.has(pc.primary)) primaries.set(pc.primary, primaries.get(pc.primary)! + 1);
        for (const n of [...(pc.primary === undefined ? [] : [pc.primary]), ...pc.secondaries]) if (replicas.has(n)) replicas.set(n, replicas.get(n)! + 1);
      }
    }
    const values: Record<(typeof CLUSTER_INFO_KEYS)[number], string> = {
      meta_servers: config.metaServers.join(','),
      primary_meta_server: config.selfAddress,
      zookeeper_hosts: config.zookeeperHosts.join(','),
      zookeeper_root: config.clusterRoot,
      meta_function_level: config.functionLevel,
      balance_operation_count: 'move_pri=0,copy_pri=0,copy_sec=0,total=0',
      primary_replica_count_stddev: stddev([...primaries.values()]).toFixed(2),
      total_replica_count_stddev: stddev([...replicas.values()]).toFixed(2),
      cluster_name: config.clusterName,
    };
    return { err: 'ERR_OK', keys: [...CLUSTER_INFO_KEYS], values: CLUSTER_INFO_KEYS.map((k) => values[k]) };
  }

  /** RPC_CM_DDD_DIAGNOSE: the partitions whose replicas are all gone and for which no primary could be chosen safely. */
  dddDiagnose(request: DddDiagnoseRequest): DddDiagnoseResponse {
    return { err: 'ERR_OK', partitions: this.partitions.dddPartitions(request.pid.appId, request.pid.partitionIndex) };
  }

  /** Creates a table as RPC_CM_CREATE_APP does (used for the `[meta_server.apps.X]` tables on first boot). */
  createApp(request: ConfigurationCreateAppRequest): Promise<ConfigurationCreateAppResponse> {
    return this.ddl.createApp(request);
  }

  private requireState(): ServerState {
    assert(this.state !== undefined, 'MetaServer.start() has not completed');
    return this.state;
  }

  // ---------------------------------------------------------------------------------------------------
  // RPC handlers

  private onBeacon(msg: BeaconMsg): BeaconAck {
    const self = toWireAddress(this.env.config.selfAddress);
    const ack = (allowed: boolean): BeaconAck => ({ time: msg.time, thisNode: self, primaryNode: self, isMaster: true, allowed });
    if (!isValidRpcAddress(msg.fromNode)) return ack(false);
    const node = formatWireAddress(msg.fromNode);
    const outcome = this.liveness.onBeacon(node, this.env.clock.nowMs(), msg.startTime ?? 0);
    if (outcome === 'alive') {
      this.env.logger.info({ node }, 'replica server is alive');
      // A node coming back may hold the only replica of partitions waiting for it (F3b): cure now (it only
      // sends one-way proposals, so running it before the ack changes nothing the worker sees).
      this.partitions.cure();
    }
    return ack(outcome !== 'refused');
  }

  /** `after` runs once the reply is out (upstream cures a partition after answering its update). */
  private serve<Args, Response>(
    rpc: Codec<Args, Response> & { code: string },
    handle: (args: Args) => Response | undefined | Promise<Response | undefined>,
    after?: (args: Args) => void,
  ): void {
    this.env.network.handlers.register(rpc.code, (request: RpcRequest, reply: RpcReply) => {
      if (!this.status.started) return reply.error('ERR_SERVICE_NOT_ACTIVE');
      let args: Args;
      try {
        args = rpc.decodeArgs(request.args, 0);
      } catch (e) {
        return reply.error(isPegasusError(e) ? e.code : 'ERR_INVALID_DATA');
      }
      const answer = (response: Response | undefined): void => {
        if (response !== undefined && !reply.answered) reply.ok(rpc.encodeResponse(response));
        after?.(args);
      };
      const out = handle(args);
      if (out instanceof Promise) return out.then(answer);
      answer(out);
    });
  }

  private registerHandlers(): void {
    const ddl = (): DdlService => this.ddl;
    this.serve(META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, (r) => this.queryConfig(r));
    this.serve(META_RPCS.RPC_CM_CREATE_APP, (r) => ddl().createApp(r));
    this.serve(META_RPCS.RPC_CM_DROP_APP, (r) => ddl().dropApp(r));
    this.serve(META_RPCS.RPC_CM_RECALL_APP, (r) => ddl().recallApp(r));
    this.serve(META_RPCS.RPC_CM_RENAME_APP, (r) => ddl().renameApp(r));
    this.serve(META_RPCS.RPC_CM_LIST_APPS, (r) => ddl().listApps(r));
    this.serve(META_RPCS.RPC_CM_LIST_NODES, (r) => this.listNodes(r));
    this.serve(META_RPCS.RPC_CM_CLUSTER_INFO, () => this.clusterInfo());
    this.serve(META_RPCS.RPC_CM_UPDATE_APP_ENV, (r) => ddl().updateAppEnv(r));
    this.serve(META_RPCS.RPC_CM_DDD_DIAGNOSE, (r) => this.dddDiagnose(r));
    this.serve(REPLICATION_RPCS.RPC_FD_FAILURE_DETECTOR_PING, (m) => this.onBeacon(m));
    this.serve(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, (r) => this.partitions.onConfigSync(r));
    this.serve(
      REPLICATION_RPCS.RPC_CM_UPDATE_PARTITION_CONFIGURATION,
      (r) => this.partitions.onUpdateConfiguration(r),
      (r) => this.partitions.curePartition(r.config.pid.appId, r.config.pid.partitionIndex),
    );
  }
}
