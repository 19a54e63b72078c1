/**
 * Partition configurations at run time (pegasus-internals.md §2.7; upstream server_state.cpp): the
 * replicas' update requests (on_update_configuration), config sync, node death (on_change_node_state), and
 * the cure pass that sends the guardian's proposals. At most one store write per partition is in flight
 * (`pending`, upstream's pending_remote_sync); a write goes to the store before memory changes or a reply
 * (§9 item 4). Proposals are one-way: each is remembered until the partition's configuration changes, its
 * target dies, or `proposalRetryMs` passes (then it is sent again).
 */
import { isPegasusError } from '../base/error-code.ts';
import { AppStatus, type AppInfo, type DddNodeInfo, type DddPartitionInfo } from '../idl/meta.ts';
import { REPLICATION_RPCS } from '../idl/codec/replication-rpcs.ts';
import {
  ConfigType,
  PartitionStatus,
  type ConfigurationQueryByNodeRequest,
  type ConfigurationQueryByNodeResponse,
  type ConfigurationUpdateRequest,
  type ConfigurationUpdateResponse,
  type ReplicaInfo,
} from '../idl/replication.ts';
import { RPC_ADDRESS_INVALID, formatRpcAddress as formatWireAddress, isValidRpcAddress, toWireAddress } from '../idl/thrift/dsn.ts';
import type { MetaStateStore } from '../metastore/meta-state-store.ts';
import type { RpcAddress, RpcChannel } from '../rpc/transport.ts';
import {
  NO_DROP_TIME,
  checkSize,
  collectDropReplica,
  newConfigContext,
  recordDropHistory,
  removeFromDropped,
  type ConfigContext,
} from './config-context.ts';
import { mutation2pcMinReplicaCount } from '../replica/replica-env.ts';
import { addsOrRemoves, checkUpdate, configTypeName, maintainDrops } from './config-update.ts';
import type { DdlService } from './ddl-service.ts';
import type { MetaLimits, MetaLogger } from './meta-env.ts';
import type { NodeLiveness } from './node-liveness.ts';
import { HEALTH_STATUS_NAMES, cure, partitionHealth, type CureView, type DddRecord, type NodeLoad, type ProposalAction } from './partition-guardian.ts';
import { fromWireConfig, gpidKey, isMember, isSameConfig, memberCount, partitionConfigToJson, toWireConfig, type PartitionConfig } from './partition-config.ts';
import type { AppState, ServerState } from './server-state.ts';

/** The guardian's knobs (upstream names in MetaServerConfig). */
export interface GuardianOptions {
  readonly replicaAssignDelayMs: number;
  readonly mutation2pcMinReplicaCount: number;
  readonly maxReservedDroppedReplicas: number;
  readonly addSecondaryEnableFlowControl: boolean;
  readonly addSecondaryMaxCountForOneNode: number;
  /**
   * upstream gc's replicas it has no use for only above function level `steady` (`on_config_sync`: "do not
   * delete it for safety reason"); a dropped table's expired replicas are gc'ed at any level here.
   */
  readonly gcUselessReplicas: boolean;
}

interface ProposalInFlight extends ProposalAction {
  readonly ballot: number;
  readonly sentAtMs: number;
}

interface PendingWrite {
  readonly write: Promise<unknown>;
  /** The node the change is about: its config sync waits (ERR_BUSY) until the change is recorded. */
  readonly node: RpcAddress | undefined;
}

interface DddEntry extends DddRecord {
  readonly config: PartitionConfig;
}

type WriteResult = { ok: true } | { ok: false; error: unknown };

/** Per-node replica counts of the current configurations plus the proposals in flight (upstream node_state + newly_partitions). */
class LoadTable implements NodeLoad {
  private readonly nodes = new Map<RpcAddress, { primaries: Map<number, number>; partitions: Map<number, number>; totalPrimaries: number; totalPartitions: number }>();

  add(node: RpcAddress, appId: number, primary: boolean, partition: boolean): void {
    let n = this.nodes.get(node);
    if (n === undefined) {
      n = { primaries: new Map(), partitions: new Map(), totalPrimaries: 0, totalPartitions: 0 };
      this.nodes.set(node, n);
    }
    if (primary) {
      n.primaries.set(appId, (n.primaries.get(appId) ?? 0) + 1);
      n.totalPrimaries++;
    }
    if (partition) {
      n.partitions.set(appId, (n.partitions.get(appId) ?? 0) + 1);
      n.totalPartitions++;
    }
  }

  /** Counts a proposal as done, as upstream's newly_add_primary / newly_add_partition. */
  addAction(action: ProposalAction, appId: number): void {
    if (action.type === ConfigType.CT_ASSIGN_PRIMARY) this.add(action.node, appId, true, true);
    else if (action.type === ConfigType.CT_UPGRADE_TO_PRIMARY) this.add(action.node, appId, true, false);
    else if (action.type === ConfigType.CT_ADD_SECONDARY) this.add(action.node, appId, false, true);
  }

  primaries(node: RpcAddress, appId: number): number {
    return this.nodes.get(node)?.primaries.get(appId) ?? 0;
  }
  partitions(node: RpcAddress, appId: number): number {
    return this.nodes.get(node)?.partitions.get(appId) ?? 0;
  }
  totalPrimaries(node: RpcAddress): number {
    return this.nodes.get(node)?.totalPrimaries ?? 0;
  }
  totalPartitions(node: RpcAddress): number {
    return this.nodes.get(node)?.totalPartitions ?? 0;
  }
}

export class PartitionService {
  /** Partitions with a store write in flight (upstream's "pending_remote_sync"). */
  private readonly pending = new Map<string, PendingWrite>();
  /** At most one per partition, bounded by proposalsInFlightMax. */
  private readonly proposals = new Map<string, ProposalInFlight>();
  /** What each node last reported holding (config sync), by gpid. Bounded by the nodes the liveness table accepts. */
  private readonly storedReplicas = new Map<RpcAddress, Map<string, ReplicaInfo>>();
  /** Nodes that config-synced since they last turned alive (upstream `has_collected`). */
  private readonly collected = new Set<RpcAddress>();
  /** Dropped-replica history per partition; bounded by the partitions (and each list by check_size). */
  private readonly contexts = new Map<string, ConfigContext>();
  /** DDD partitions the guardian refused to pick a primary for, since the last full pass (upstream `_ddd_partitions`). */
  private readonly ddd = new Map<string, DddEntry>();

  constructor(
    private readonly state: ServerState,
    private readonly store: MetaStateStore,
    private readonly liveness: NodeLiveness,
    private readonly ddl: DdlService,
    private readonly channel: RpcChannel,
    private readonly logger: MetaLogger,
    private readonly limits: MetaLimits,
    private readonly options: GuardianOptions,
    private readonly nowMs: () => number,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  get proposalsInFlight(): number {
    return this.proposals.size;
  }

  /**
   * Resolves once no write of `appId`'s partitions is in flight. The drop waits for it (with the table
   * marked dropping, so no new write starts) so that its own write of the partitions comes last.
   */
  async whenIdle(appId: number): Promise<void> {
    for (;;) {
      const writes = [...this.pending].filter(([key]) => key.startsWith(`${appId}.`)).map(([, w]) => w.write);
      if (writes.length === 0) return;
      await Promise.allSettled(writes);
    }
  }

  /** The replicas a node reported at its last config sync. */
  storedReplicasOf(node: RpcAddress): readonly ReplicaInfo[] {
    return [...(this.storedReplicas.get(node)?.values() ?? [])];
  }

  /** The dropped-replica history of a partition (tests, diagnosis). */
  droppedOf(appId: number, partitionIndex: number): ConfigContext['dropped'] {
    return this.contexts.get(gpidKey(appId, partitionIndex))?.dropped ?? [];
  }

  /** Partitions of available tables per health status (upstream's partition-count metrics). */
  healthCounts(): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(Object.values(HEALTH_STATUS_NAMES).map((n) => [n, 0]));
    for (const app of this.state.apps.values()) {
      if (app.info.status !== AppStatus.AS_AVAILABLE) continue;
      const min2pc = this.min2pc(app);
      for (const pc of app.partitions) counts[HEALTH_STATUS_NAMES[partitionHealth(pc, min2pc)]]!++;
    }
    return counts;
  }

  private min2pc(app: AppState): number {
    return mutation2pcMinReplicaCount(this.options.mutation2pcMinReplicaCount, app.info.maxReplicaCount);
  }

  private context(key: string): ConfigContext {
    let cc = this.contexts.get(key);
    if (cc === undefined) {
      cc = newConfigContext();
      this.contexts.set(key, cc);
    }
    return cc;
  }

  private liveApp(appId: number): AppState | undefined {
    const app = this.state.apps.get(appId);
    return app !== undefined && app.info.status === AppStatus.AS_AVAILABLE && this.ddl.transient.get(app.info.appName) === undefined ? app : undefined;
  }

  private canStartWrite(key: string): boolean {
    return !this.pending.has(key) && this.pending.size < this.limits.partitionWritesInFlightMax;
  }

  /**
   * Writes `next` for its partition (store first, then memory), then does what upstream's
   * `partition_guardian::reconfig` does: forget the partition's proposal and keep the dropped history.
   */
  private async writePartition(next: PartitionConfig, type: number, node: RpcAddress): Promise<WriteResult> {
    const key = gpidKey(next.appId, next.partitionIndex);
    const write = this.store.setData(this.state.paths.partition(next.appId, next.partitionIndex), partitionConfigToJson(next));
    this.pending.set(key, { write, node });
    try {
      await write;
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.pending.delete(key);
    }
    this.state.applyPartition(next);
    this.proposals.delete(key);
    const cc = this.context(key);
    const members = memberCount(next);
    const reserved = this.options.maxReservedDroppedReplicas;
    switch (addsOrRemoves(type)) {
      case 'adds':
        removeFromDropped(cc, node);
        checkSize(cc, members, next.maxReplicaCount, reserved);
        break;
      case 'removes':
        recordDropHistory(cc, node, this.nowMs(), members, next.maxReplicaCount, reserved);
        // What the node reported before it left says nothing about the replica it keeps now: the DDD rule
        // must wait for its next report (else a node that just dropped itself after a restart looks like it
        // holds nothing, and an older drop with less data is chosen).
        this.collected.delete(node);
        break;
      default:
        break;
    }
    return { ok: true };
  }

  /**
   * RPC_CM_UPDATE_PARTITION_CONFIGURATION (upstream `server_state::on_update_configuration`). Resolves
   * undefined when the request must get no reply: an update of that partition is pending (the replica
   * retries every second, and the retry finds the result). The caller runs `curePartition` after replying.
   */
  async onUpdateConfiguration(request: ConfigurationUpdateRequest): Promise<ConfigurationUpdateResponse | undefined> {
    const { appId, partitionIndex } = request.config.pid;
    const app = this.state.apps.get(appId);
    const current = app?.partitions[partitionIndex];
    if (app === undefined || current === undefined) return { err: 'ERR_OBJECT_NOT_FOUND', config: request.config };
    if (app.info.status === AppStatus.AS_DROPPED) return { err: 'ERR_APP_DROPPED', config: toWireConfig(current) };
    const asked = fromWireConfig(request.config);
    if (isSameConfig(asked, current)) return { err: 'ERR_OK', config: toWireConfig(current) };
    if (asked.ballot !== current.ballot + 1) return { err: 'ERR_INVALID_VERSION', config: toWireConfig(current) };
    const key = gpidKey(appId, partitionIndex);
    if (!this.canStartWrite(key) || this.ddl.transient.has(app.info.appName)) return undefined;
    const node = isValidRpcAddress(request.node) ? formatWireAddress(request.node) : undefined;
    const checked = checkUpdate(current, asked, request.type, node);
    if (!checked.ok) {
      this.logger.warn({ gpid: key, ballot: asked.ballot, reason: checked.reason }, 'configuration update refused');
      return { err: 'ERR_INVALID_PARAMETERS', config: toWireConfig(current) };
    }
    const next = checked.next;
    const written = await this.writePartition(next, request.type, checked.node);
    if (!written.ok) {
      this.logger.warn({ gpid: key, err: written.error }, 'writing the updated partition configuration failed');
      return { err: isPegasusError(written.error) ? written.error.code : 'ERR_UNKNOWN', config: toWireConfig(current) };
    }
    this.logger.info(
      { gpid: key, ballot: next.ballot, type: configTypeName(request.type), node, primary: next.primary, secondaries: next.secondaries },
      'partition configuration updated',
    );
    return { err: 'ERR_OK', config: toWireConfig(next) };
  }

  /** RPC_CM_CONFIG_SYNC (upstream `server_state::on_config_sync`). */
  onConfigSync(request: ConfigurationQueryByNodeRequest): ConfigurationQueryByNodeResponse {
    if (!isValidRpcAddress(request.node)) return { err: 'ERR_INVALID_PARAMETERS', partitions: [] };
    const node = formatWireAddress(request.node);
    const partitions: ConfigurationUpdateRequest[] = [];
    for (const { app, pc } of this.state.partitionsServedBy(node)) {
      if (app.info.status !== AppStatus.AS_AVAILABLE) continue;
      // upstream: the answer must not list a configuration about to change for this very node (the perfect
      // FD depends on the node acting on the newest one); the node retries ERR_BUSY shortly.
      if (this.pending.get(gpidKey(pc.appId, pc.partitionIndex))?.node === node) return { err: 'ERR_BUSY', partitions: [] };
      partitions.push(this.updateRequest(app.info, pc, ConfigType.CT_INVALID, node));
    }
    const stored = request.storedReplicas ?? [];
    const known = this.liveness.isKnown(node);
    if (known) {
      this.storedReplicas.set(node, new Map(stored.map((r) => [gpidKey(r.pid.appId, r.pid.partitionIndex), r])));
      if (request.storedReplicas !== undefined) this.collected.add(node);
    }
    const nowSeconds = Math.floor(this.nowMs() / 1000);
    const gcReplicas = stored.filter((r) => {
      const app = this.state.apps.get(r.pid.appId);
      // A table the meta never heard of holds nothing anyone can reach.
      if (app === undefined) return true;
      // A dropped table keeps its data until its hold time is over, so that recall can bring it back
      // (upstream's hold_seconds_for_dropped_app / drop reserve_seconds).
      if (app.info.status === AppStatus.AS_DROPPED) return app.info.expireSecond <= nowSeconds;
      const pc = app.partitions[r.pid.partitionIndex];
      if (!known || pc === undefined || this.liveApp(app.info.appId) === undefined) return false;
      return !this.collectReplica(node, r, pc) && this.options.gcUselessReplicas && this.maySafelyCollect(node, pc);
    });
    return { err: 'ERR_OK', partitions, gcReplicas };
  }

  /**
   * upstream's `collect_replica`: a member's replica is in use; any other one is offered to the partition's
   * dropped history, and is of use if it was kept there (or is a learner on its way to membership).
   */
  private collectReplica(node: RpcAddress, info: ReplicaInfo, pc: PartitionConfig): boolean {
    if (isMember(pc, node)) return true;
    const cc = this.context(gpidKey(pc.appId, pc.partitionIndex));
    const kept = collectDropReplica(cc, node, info, memberCount(pc), pc.maxReplicaCount, this.options.maxReservedDroppedReplicas);
    return info.status === PartitionStatus.PS_POTENTIAL_SECONDARY || kept !== -1;
  }

  /**
   * Stricter than upstream, which gc's whatever the dropped history did not keep: a node named in last_drops
   * is what DDD recovery asks for, and while no member is alive any copy may be the only one.
   */
  private maySafelyCollect(node: RpcAddress, pc: PartitionConfig): boolean {
    // A last drop is what DDD recovery would ask for, but only while the group is short of members: once it
    // is whole again the drop's copy is stale and collectable (else a replaced server keeps it forever).
    if (pc.lastDrops.includes(node) && memberCount(pc) < pc.maxReplicaCount) return false;
    const anyAliveMember = [...(pc.primary === undefined ? [] : [pc.primary]), ...pc.secondaries].some((m) => this.liveness.isAlive(m));
    return anyAliveMember;
  }

  private updateRequest(info: AppInfo, pc: PartitionConfig, type: number, node: RpcAddress): ConfigurationUpdateRequest {
    return { info, config: toWireConfig(pc), type, node: toWireAddress(node), hostNode: { ...RPC_ADDRESS_INVALID } };
  }

  /** Nodes the failure detector just declared dead: their replicas must report again before DDD trusts them. */
  onNodesDead(nodes: readonly RpcAddress[]): void {
    for (const node of nodes) this.collected.delete(node);
    this.handleDeadMembers();
  }

  /**
   * upstream `on_change_node_state(false)` / `on_partition_node_dead`, also run by every cure pass so that
   * a partition skipped for a pending write is handled later:
   * - a dead primary: the meta itself writes {ballot + 1, no primary, last_drops + node};
   * - a dead secondary while a primary exists: CT_DOWNGRADE_TO_INACTIVE(node) is proposed to the primary;
   * - a dead secondary without a primary: left alone, as upstream ("ignored it due to no primary"). The cure
   *   then upgrades whichever secondary comes back first, as any secondary holds every committed write.
   */
  handleDeadMembers(): void {
    const nowMs = this.nowMs();
    for (const app of this.state.apps.values()) {
      if (this.liveApp(app.info.appId) === undefined) continue;
      for (const pc of app.partitions) {
        const key = gpidKey(pc.appId, pc.partitionIndex);
        if (this.pending.has(key)) continue;
        if (pc.primary !== undefined && !this.liveness.isAlive(pc.primary)) {
          if (this.canStartWrite(key)) this.writeDeadPrimaryOut(pc);
          continue;
        }
        if (pc.primary === undefined) continue;
        const dead = pc.secondaries.find((s) => !this.liveness.isAlive(s));
        if (dead === undefined) continue;
        const inFlight = this.proposals.get(key);
        if (inFlight?.type === ConfigType.CT_DOWNGRADE_TO_INACTIVE && inFlight.node === dead && inFlight.ballot === pc.ballot) continue;
        if (inFlight === undefined && this.proposals.size >= this.limits.proposalsInFlightMax) continue;
        this.sendProposal(app.info, pc, { type: ConfigType.CT_DOWNGRADE_TO_INACTIVE, target: pc.primary, node: dead }, nowMs);
      }
    }
  }

  private writeDeadPrimaryOut(pc: PartitionConfig): void {
    const key = gpidKey(pc.appId, pc.partitionIndex);
    const dead = pc.primary!;
    const type = ConfigType.CT_DOWNGRADE_TO_INACTIVE;
    const next: PartitionConfig = { ...pc, ballot: pc.ballot + 1, primary: undefined, lastDrops: maintainDrops(pc.lastDrops, dead, type) };
    void this.writePartition(next, type, dead).then((written) => {
      if (written.ok) {
        this.logger.warn({ gpid: key, ballot: next.ballot, node: dead }, 'primary dead: partition has no primary now');
        this.curePartition(pc.appId, pc.partitionIndex);
      } else {
        this.logger.warn({ gpid: key, err: written.error }, 'writing the dead primary out failed; retried on the next pass');
      }
    });
  }

  /** The cure of one partition after its configuration changed (upstream `on_update_configuration_on_remote_reply`). */
  curePartition(appId: number, partitionIndex: number): void {
    this.curePass({ appId, partitionIndex });
  }

  /** The periodic pass over every partition (upstream `check_all_partitions`, cure stage). */
  cure(): void {
    this.curePass(undefined);
  }

  /** upstream `from_proposals`: is the remembered proposal still worth carrying out? */
  private proposalValid(p: ProposalInFlight, pc: PartitionConfig | undefined): boolean {
    if (pc === undefined || p.ballot !== pc.ballot || !this.liveness.isAlive(p.target)) return false;
    // A downgrade is about a dead node by design; every other action needs its node alive.
    const aboutRemoval = p.type === ConfigType.CT_DOWNGRADE_TO_INACTIVE || p.type === ConfigType.CT_REMOVE;
    return aboutRemoval || this.liveness.isAlive(p.node);
  }

  private curePass(only: { appId: number; partitionIndex: number } | undefined): void {
    const nowMs = this.nowMs();
    if (only === undefined) this.ddd.clear();
    for (const [key, p] of this.proposals) {
      const [appId, pidx] = key.split('.').map(Number) as [number, number];
      if (!this.proposalValid(p, this.state.partition(appId, pidx))) this.proposals.delete(key);
    }
    const alive = this.liveness.aliveNodes();
    const load = this.currentLoad();
    const adds: Array<{ app: AppState; pc: PartitionConfig; action: ProposalAction }> = [];
    const apps = only === undefined ? [...this.state.apps.values()] : [this.state.apps.get(only.appId)].filter((a): a is AppState => a !== undefined);
    for (const app of apps) {
      if (this.liveApp(app.info.appId) === undefined) continue;
      const view: CureView = {
        nowMs,
        aliveNodes: alive,
        isAlive: (n) => this.liveness.isAlive(n),
        hasCollected: (n) => this.collected.has(n),
        reportedReplica: (n, pc) => {
          if (!this.collected.has(n)) return undefined;
          const info = this.storedReplicas.get(n)?.get(gpidKey(pc.appId, pc.partitionIndex));
          if (info === undefined) return undefined;
          return { node: n, timeMs: NO_DROP_TIME, ballot: info.ballot, lastCommittedDecree: info.lastCommittedDecree, lastPreparedDecree: info.lastPreparedDecree };
        },
        load,
        mutation2pcMinReplicaCount: this.min2pc(app),
        replicaAssignDelayMs: this.options.replicaAssignDelayMs,
      };
      const pcs = only === undefined ? app.partitions : [app.partitions[only.partitionIndex]].filter((p): p is PartitionConfig => p !== undefined);
      for (const pc of pcs) {
        const key = gpidKey(pc.appId, pc.partitionIndex);
        if (this.pending.has(key)) continue;
        const inFlight = this.proposals.get(key);
        if (inFlight !== undefined) {
          // upstream sends a partition's pending action again on every pass while it stays valid.
          if (nowMs - inFlight.sentAtMs < this.limits.proposalRetryMs) continue;
          if (inFlight.type === ConfigType.CT_ADD_SECONDARY) adds.push({ app, pc, action: inFlight });
          else this.sendProposal(app.info, pc, inFlight, nowMs);
          continue;
        }
        if (this.proposals.size >= this.limits.proposalsInFlightMax) continue;
        const cc = this.context(key);
        const result = cure(pc, cc.dropped, cc.preferedDropped, view);
        cc.preferedDropped = result.preferedDropped;
        if (result.ddd !== undefined) {
          this.ddd.set(key, { ...result.ddd, config: pc });
          this.logger.warn({ gpid: key, reason: result.ddd.reason }, 'DDD partition: no primary chosen for safety; see ddd_diagnose');
        }
        const action = result.action;
        if (action === undefined) continue;
        load.addAction(action, pc.appId);
        if (action.type === ConfigType.CT_ADD_SECONDARY) adds.push({ app, pc, action });
        else this.sendProposal(app.info, pc, action, nowMs);
      }
    }
    // upstream: a partition-level cure after an update does not send an add-secondary when flow control is
    // on; the action stays the partition's pending one and the next pass sends it (flow-controlled).
    if (only !== undefined && this.options.addSecondaryEnableFlowControl) {
      for (const { pc, action } of adds) this.remember(pc, action, Number.NEGATIVE_INFINITY);
      return;
    }
    // Partitions without any secondary first; with flow control at most N additions per node per pass.
    const perNode = new Map<RpcAddress, number>();
    const ordered = [...adds.filter((a) => a.pc.secondaries.length === 0), ...adds.filter((a) => a.pc.secondaries.length > 0)];
    for (const { app, pc, action } of ordered) {
      const count = perNode.get(action.node) ?? 0;
      const key = gpidKey(pc.appId, pc.partitionIndex);
      if (this.options.addSecondaryEnableFlowControl && count >= this.options.addSecondaryMaxCountForOneNode) {
        // Kept as the partition's pending action (upstream keeps it in lb_actions), sent by a later pass.
        if (!this.proposals.has(key) && this.proposals.size < this.limits.proposalsInFlightMax) this.remember(pc, action, Number.NEGATIVE_INFINITY);
        continue;
      }
      if (!this.proposals.has(key) && this.proposals.size >= this.limits.proposalsInFlightMax) continue;
      perNode.set(action.node, count + 1);
      this.sendProposal(app.info, pc, action, nowMs);
    }
  }

  private currentLoad(): LoadTable {
    const load = new LoadTable();
    for (const app of this.state.apps.values()) {
      if (app.info.status === AppStatus.AS_DROPPED) continue;
      for (const pc of app.partitions) {
        if (pc.primary !== undefined) load.add(pc.primary, pc.appId, true, true);
        for (const s of pc.secondaries) load.add(s, pc.appId, false, true);
      }
    }
    for (const [key, p] of this.proposals) load.addAction(p, Number(key.split('.')[0]));
    return load;
  }

  /** `sentAtMs` -Infinity: chosen but not sent yet (the next pass sends it). */
  private remember(pc: PartitionConfig, action: ProposalAction, sentAtMs: number): void {
    this.proposals.set(gpidKey(pc.appId, pc.partitionIndex), { type: action.type, target: action.target, node: action.node, ballot: pc.ballot, sentAtMs });
  }

  private sendProposal(info: AppInfo, pc: PartitionConfig, action: ProposalAction, nowMs: number): void {
    const key = gpidKey(pc.appId, pc.partitionIndex);
    this.remember(pc, action, nowMs);
    const proposal = this.updateRequest(info, pc, action.type, action.node);
    const rpc = REPLICATION_RPCS.RPC_CONFIG_PROPOSAL;
    this.logger.info({ gpid: key, ballot: pc.ballot, type: configTypeName(action.type), target: action.target, node: action.node }, 'sending proposal');
    this.channel
      .call(action.target, { name: rpc.code, gpid: proposal.config.pid, partitionHash: 0n, args: rpc.encodeArgs(proposal), timeoutMs: this.limits.sendTimeoutMs, oneway: true })
      .catch((e: unknown) => this.logger.warn({ node: action.target, err: e }, 'sending a proposal failed; the cure pass sends it again'));
  }

  /**
   * RPC_CM_DDD_DIAGNOSE (upstream `partition_guardian::get_ddd_partitions`): the DDD partitions of the last
   * cure pass; app_id -1 means all, partition_index -1 all of the table.
   */
  dddPartitions(appId: number, partitionIndex: number): DddPartitionInfo[] {
    const out: DddPartitionInfo[] = [];
    for (const entry of this.ddd.values()) {
      if (appId !== -1 && (entry.config.appId !== appId || (partitionIndex !== -1 && entry.config.partitionIndex !== partitionIndex))) continue;
      out.push({
        config: toWireConfig(entry.config),
        dropped: entry.dropped.map(
          (d): DddNodeInfo => ({
            node: toWireAddress(d.node),
            dropTimeMs: d.dropTimeMs,
            isAlive: d.isAlive,
            isCollected: d.isCollected,
            ballot: d.ballot,
            lastCommittedDecree: d.lastCommittedDecree,
            lastPreparedDecree: d.lastPreparedDecree,
          }),
        ),
        reason: entry.reason,
      });
    }
    return out.sort((a, b) => a.config.pid.appId - b.config.pid.appId || a.config.pid.partitionIndex - b.config.pid.partitionIndex);
  }
}
