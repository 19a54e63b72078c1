/**
 * The partition guardian (pegasus-internals.md §2.7; upstream src/meta/partition_guardian.cpp): given one
 * partition's configuration, its dropped-replica history and a view of the nodes, decide the one proposal
 * that brings it closer to max_replica_count members — or that none can be made yet. Pure functions: the
 * caller (PartitionService) sends the proposal and remembers it; nothing here touches the world.
 */
import { ConfigType } from '../idl/replication.ts';
import type { RpcAddress } from '../rpc/transport.ts';
import { INVALID_BALLOT, INVALID_DECREE, NO_DROP_TIME, type DroppedReplica } from './config-context.ts';
import { isMember, memberCount, type PartitionConfig } from './partition-config.ts';

/** upstream's `health_status` (meta_data.h), in its order: a lower value is worse. */
export const HealthStatus = { HS_DEAD: 0, HS_UNREADABLE: 1, HS_UNWRITABLE: 2, HS_WRITABLE_ILL: 3, HS_HEALTHY: 4 } as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

export const HEALTH_STATUS_NAMES: Readonly<Record<HealthStatus, string>> = {
  0: 'HS_DEAD',
  1: 'HS_UNREADABLE',
  2: 'HS_UNWRITABLE',
  3: 'HS_WRITABLE_ILL',
  4: 'HS_HEALTHY',
};

/** upstream's `partition_health_status` (pegasus-internals.md §2.2). */
export function partitionHealth(pc: PartitionConfig, mutation2pcMinReplicaCount: number): HealthStatus {
  if (pc.primary === undefined) return pc.secondaries.length === 0 ? HealthStatus.HS_DEAD : HealthStatus.HS_UNREADABLE;
  const members = memberCount(pc);
  if (members < mutation2pcMinReplicaCount) return HealthStatus.HS_UNWRITABLE;
  if (members < pc.maxReplicaCount) return HealthStatus.HS_WRITABLE_ILL;
  return HealthStatus.HS_HEALTHY;
}

/** upstream's `configuration_proposal_action`: `type` about `node`, sent to `target`. */
export interface ProposalAction {
  readonly type: number;
  readonly target: RpcAddress;
  readonly node: RpcAddress;
}

/**
 * How loaded each node is, counting proposals in flight as if done (upstream's node_state plus its
 * `newly_partitions` extension). "partitions" counts every replica, primaries included.
 */
export interface NodeLoad {
  primaries(node: RpcAddress, appId: number): number;
  partitions(node: RpcAddress, appId: number): number;
  totalPrimaries(node: RpcAddress): number;
  totalPartitions(node: RpcAddress): number;
}

/** upstream's `newly_partitions::less_primaries`. */
export function lessPrimaries(load: NodeLoad, a: RpcAddress, b: RpcAddress, appId: number): boolean {
  const keys = [
    (n: RpcAddress) => load.primaries(n, appId),
    (n: RpcAddress) => load.partitions(n, appId),
    (n: RpcAddress) => load.totalPrimaries(n),
    (n: RpcAddress) => load.totalPartitions(n),
  ];
  for (const key of keys) if (key(a) !== key(b)) return key(a) < key(b);
  return false;
}

/** upstream's `newly_partitions::less_partitions`. */
export function lessPartitions(load: NodeLoad, a: RpcAddress, b: RpcAddress, appId: number): boolean {
  if (load.partitions(a, appId) !== load.partitions(b, appId)) return load.partitions(a, appId) < load.partitions(b, appId);
  return load.totalPartitions(a) < load.totalPartitions(b);
}

/** The first of `candidates` (in their order) that no later one is strictly less than. */
function least(candidates: readonly RpcAddress[], less: (a: RpcAddress, b: RpcAddress) => boolean): RpcAddress | undefined {
  let best: RpcAddress | undefined;
  for (const node of candidates) if (best === undefined || less(node, best)) best = node;
  return best;
}

export interface CureView {
  readonly nowMs: number;
  /** Alive replica servers, sorted (ties in load go to the first). */
  readonly aliveNodes: readonly RpcAddress[];
  isAlive(node: RpcAddress): boolean;
  /** The node config-synced its stored replicas since it last turned alive (upstream `has_collected`). */
  hasCollected(node: RpcAddress): boolean;
  /**
   * What the node last reported of this partition's replica, if it has collected since it last turned
   * alive (or left the membership) and listed one. The dropped history can lose a last drop (a meta restart
   * rebuilds it from reports, and its size bound evicts entries); the report is as good.
   */
  reportedReplica(node: RpcAddress, pc: PartitionConfig): DroppedReplica | undefined;
  readonly load: NodeLoad;
  /** mutation_2pc_min_replica_count as it applies to this partition's table. */
  readonly mutation2pcMinReplicaCount: number;
  /** `[meta_server] replica_assign_delay_ms_for_dropouts`. */
  readonly replicaAssignDelayMs: number;
}

/** One dropped replica as ddd_diagnose shows it (upstream `ddd_node_info`). */
export interface DddNode {
  readonly node: RpcAddress;
  readonly dropTimeMs: number;
  readonly isAlive: boolean;
  readonly isCollected: boolean;
  /** INVALID_BALLOT unless alive and collected; then INVALID_BALLOT means "no replica on that node". */
  readonly ballot: number;
  readonly lastCommittedDecree: number;
  readonly lastPreparedDecree: number;
}

/** Why a DDD partition got no primary (upstream `ddd_partition_info` without the config). */
export interface DddRecord {
  readonly reason: string;
  readonly dropped: readonly DddNode[];
}

/** upstream's `pc_status`. */
export type PcStatus = 'healthy' | 'ill' | 'dead';

export interface CureResult {
  readonly status: PcStatus;
  readonly action?: ProposalAction;
  /** The new `prefered_dropped` of the partition's config context. */
  readonly preferedDropped: number;
  /** Set when the partition is DDD and no primary could be chosen safely. */
  readonly ddd?: DddRecord;
}

/** upstream's `partition_guardian::cure` without the proposal bookkeeping (the caller keeps proposals). */
export function cure(pc: PartitionConfig, dropped: readonly DroppedReplica[], preferedDropped: number, view: CureView): CureResult {
  if (pc.primary === undefined) return { ...onMissingPrimary(pc, dropped, view), preferedDropped };
  if (pc.secondaries.length + 1 < pc.maxReplicaCount) return onMissingSecondary(pc, dropped, preferedDropped, view);
  if (pc.secondaries.length >= pc.maxReplicaCount) return { ...onRedundantSecondary(pc, view), preferedDropped };
  return { status: 'healthy', preferedDropped };
}

function onMissingPrimary(pc: PartitionConfig, dropped: readonly DroppedReplica[], view: CureView): Omit<CureResult, 'preferedDropped'> {
  const appId = pc.appId;
  if (pc.secondaries.length > 0) {
    // A secondary holds every committed write (PacificA commits on all members): promote the least loaded.
    const node = least(pc.secondaries.filter((s) => view.isAlive(s)), (a, b) => lessPrimaries(view.load, a, b, appId));
    if (node === undefined) return { status: 'dead' }; // waiting for a secondary to come back
    return { status: 'ill', action: { type: ConfigType.CT_UPGRADE_TO_PRIMARY, target: node, node } };
  }
  if (pc.lastDrops.length === 0) {
    // A new partition: nothing to lose, any node will do.
    const node = least(view.aliveNodes, (a, b) => lessPrimaries(view.load, a, b, appId));
    return node === undefined ? { status: 'ill' } : { status: 'ill', action: { type: ConfigType.CT_ASSIGN_PRIMARY, target: node, node } };
  }
  return onDdd(pc, dropped, view);
}

/**
 * Every member is gone (DDD). The logs may have reached only the OS page cache when the nodes died
 * (upstream's comment in on_missing_primary), so the last node to drop is not safe by itself: with two or
 * more drops, the last two must both be back and have reported their replicas, and must agree.
 */
function onDdd(pc: PartitionConfig, dropped: readonly DroppedReplica[], view: CureView): Omit<CureResult, 'preferedDropped'> {
  const assign = (node: RpcAddress): Omit<CureResult, 'preferedDropped'> => ({ status: 'dead', action: { type: ConfigType.CT_ASSIGN_PRIMARY, target: node, node } });
  const last = pc.lastDrops[pc.lastDrops.length - 1]!;
  if (pc.lastDrops.length === 1) {
    // The only node that ever held it: wait for it (upstream proposes to it even while dead; the proposal is
    // dropped as invalid until it is back, so waiting here is the same outcome).
    return view.isAlive(last) ? assign(last) : { status: 'dead' };
  }
  const nodes = pc.lastDrops.slice(-2) as [RpcAddress, RpcAddress];
  const collected: DroppedReplica[] = [];
  let ready = true;
  let reason = '';
  for (const node of nodes) {
    if (!view.isAlive(node)) {
      ready = false;
      reason = `the last dropped node(${node}) hasn't come back yet`;
      continue;
    }
    const entry = dropped.find((d) => d.node === node);
    const reported = entry !== undefined && entry.ballot !== INVALID_BALLOT ? entry : view.reportedReplica(node, pc);
    if (reported !== undefined) {
      collected.push(reported);
    } else if (view.hasCollected(node)) {
      // It reported its replicas and this one was not among them.
      collected.push({ node, timeMs: NO_DROP_TIME, ballot: INVALID_BALLOT, lastCommittedDecree: INVALID_DECREE, lastPreparedDecree: INVALID_DECREE });
    } else {
      ready = false;
      reason = `the last dropped node(${node}) is unavailable because ${entry === undefined ? 'the node is not exist in dropped_nodes' : 'replica info has not been collected from the node'}`;
    }
  }
  let chosen: RpcAddress | undefined;
  if (ready) {
    const [previous, recent] = collected as [DroppedReplica, DroppedReplica];
    if (previous.ballot === INVALID_BALLOT && recent.ballot === INVALID_BALLOT) {
      reason = 'no replica info collected from the last two drops';
    } else {
      const gap1 = previous.ballot - recent.ballot;
      const gap2 = previous.lastCommittedDecree - recent.lastCommittedDecree;
      // 1. the larger ballot must not have the smaller committed decree; 2. the larger prepared decree must
      // reach both the meta's committed decree and the larger committed decree.
      if (gap1 * gap2 >= 0) {
        const largerCommitted = Math.max(previous.lastCommittedDecree, recent.lastCommittedDecree);
        const largerPrepared = Math.max(previous.lastPreparedDecree, recent.lastPreparedDecree);
        if (largerPrepared >= pc.lastCommittedDecree && largerPrepared >= largerCommitted) {
          if (gap1 !== 0) chosen = gap1 < 0 ? recent.node : previous.node;
          else if (gap2 !== 0) chosen = gap2 < 0 ? recent.node : previous.node;
          else chosen = previous.lastPreparedDecree > recent.lastPreparedDecree ? previous.node : recent.node;
        } else {
          reason =
            `for the last two drops, larger_prepared_decree(${largerPrepared}), ` +
            `last committed decree on meta(${pc.lastCommittedDecree}), larger_committed_decree(${largerCommitted})`;
        }
      } else {
        reason = 'for the last two drops, the node with larger ballot has smaller last committed decree';
      }
    }
  }
  if (chosen !== undefined) return assign(chosen);
  const ddd: DddRecord = {
    reason,
    dropped: dropped.map((d): DddNode => {
      const isAlive = view.isAlive(d.node);
      const isCollected = isAlive && view.hasCollected(d.node);
      return {
        node: d.node,
        dropTimeMs: d.timeMs,
        isAlive,
        isCollected,
        ballot: isCollected ? d.ballot : INVALID_BALLOT,
        lastCommittedDecree: isCollected ? d.lastCommittedDecree : INVALID_DECREE,
        lastPreparedDecree: isCollected ? d.lastPreparedDecree : INVALID_DECREE,
      };
    }),
  };
  return { status: 'dead', ddd };
}

function onMissingSecondary(pc: PartitionConfig, dropped: readonly DroppedReplica[], preferedDropped: number, view: CureView): CureResult {
  const primary = pc.primary!;
  const min2pc = view.mutation2pcMinReplicaCount;
  const lastDropped = dropped[dropped.length - 1];
  // Emergency: too few members to write (only when max > min: with max 2 one member still waits), nothing to
  // wait for, or the last dropped node has been gone longer than the delay. Otherwise wait for that node:
  // re-adding it costs a catch-up, adding another costs a full copy.
  const emergency =
    (pc.maxReplicaCount > min2pc && memberCount(pc) < min2pc) ||
    lastDropped === undefined ||
    view.nowMs >= lastDropped.timeMs + view.replicaAssignDelayMs;
  let node: RpcAddress | undefined;
  let prefered = preferedDropped;
  if (emergency) {
    if (prefered < 0 || prefered >= dropped.length) prefered = dropped.length - 1;
    while (prefered >= 0) {
      const candidate = dropped[prefered]!.node;
      prefered--;
      if (view.isAlive(candidate) && !isMember(pc, candidate)) {
        node = candidate;
        break;
      }
    }
    node ??= least(
      view.aliveNodes.filter((n) => !isMember(pc, n)),
      (a, b) => lessPartitions(view.load, a, b, pc.appId),
    );
  } else if (view.isAlive(lastDropped!.node) && !isMember(pc, lastDropped!.node)) {
    node = lastDropped!.node;
  }
  const action = node === undefined ? undefined : { type: ConfigType.CT_ADD_SECONDARY, target: primary, node };
  return action === undefined ? { status: 'ill', preferedDropped: prefered } : { status: 'ill', action, preferedDropped: prefered };
}

/** After max_replica_count was lowered: remove the secondary on the node with the most replicas. */
function onRedundantSecondary(pc: PartitionConfig, view: CureView): Omit<CureResult, 'preferedDropped'> {
  let target = pc.secondaries[0]!;
  for (const s of pc.secondaries) if (view.load.totalPartitions(s) > view.load.totalPartitions(target)) target = s;
  return { status: 'ill', action: { type: ConfigType.CT_REMOVE, target: pc.primary!, node: target } };
}
