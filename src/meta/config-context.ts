/**
 * The meta's memory of a partition's recently dropped replicas (upstream `config_context::dropped`,
 * src/meta/meta_data.{h,cpp}); not persisted, as upstream. An entry comes from two sources: the meta
 * recording a node leaving the membership (the drop time, no replica info yet), and a replica server
 * reporting at config sync a replica of a partition it is not a member of (ballot and decrees; the drop time
 * stays whatever was recorded, 0 if none). The list is kept in upstream's order (`dropped_cmp`: drop time,
 * then ballot, last committed, last prepared — roughly "has more data" last), and is trimmed from the front
 * so that members + dropped ≤ max_replica_count + max_reserved_dropped_replicas (`check_size`).
 */
import type { ReplicaInfo } from '../idl/replication.ts';
import type { RpcAddress } from '../rpc/transport.ts';

/** upstream's invalid_ballot / invalid_decree: "not reported". */
export const INVALID_BALLOT = -1;
export const INVALID_DECREE = -1;
/** upstream's dropped_replica::INVALID_TIMESTAMP: the drop was not seen by this meta. */
export const NO_DROP_TIME = 0;

export interface DroppedReplica {
  readonly node: RpcAddress;
  readonly timeMs: number;
  readonly ballot: number;
  readonly lastCommittedDecree: number;
  readonly lastPreparedDecree: number;
}

export interface ConfigContext {
  /** Sorted by `droppedCmp`, the "best" replica last. */
  dropped: DroppedReplica[];
  /**
   * upstream's `prefered_dropped`: the index the next emergency add-secondary starts looking from, moved down
   * each time a candidate is chosen or found dead, so a failed choice is not repeated at once.
   */
  preferedDropped: number;
}

export function newConfigContext(): ConfigContext {
  return { dropped: [], preferedDropped: -1 };
}

/** upstream's `dropped_cmp`: negative when `a` sorts before `b`. */
export function droppedCmp(a: DroppedReplica, b: DroppedReplica): number {
  if (a.timeMs !== b.timeMs) return a.timeMs < b.timeMs ? -1 : 1;
  if (a.ballot !== b.ballot) return a.ballot < b.ballot ? -1 : 1;
  if (a.lastCommittedDecree !== b.lastCommittedDecree) return a.lastCommittedDecree < b.lastCommittedDecree ? -1 : 1;
  if (a.lastPreparedDecree !== b.lastPreparedDecree) return a.lastPreparedDecree < b.lastPreparedDecree ? -1 : 1;
  return 0;
}

export function findDropped(cc: ConfigContext, node: RpcAddress): DroppedReplica | undefined {
  return cc.dropped.find((d) => d.node === node);
}

/** upstream's `check_size`: evicts the front until members + dropped fits. */
export function checkSize(cc: ConfigContext, memberCount: number, maxReplicaCount: number, maxReservedDropped: number): void {
  while (cc.dropped.length > 0 && memberCount + cc.dropped.length > maxReplicaCount + maxReservedDropped) {
    cc.dropped.shift();
    cc.preferedDropped = cc.dropped.length - 1;
  }
}

/** upstream's `remove_from_dropped` (a node joined the membership). */
export function removeFromDropped(cc: ConfigContext, node: RpcAddress): boolean {
  const index = cc.dropped.findIndex((d) => d.node === node);
  if (index < 0) return false;
  cc.dropped.splice(index, 1);
  cc.preferedDropped = cc.dropped.length - 1;
  return true;
}

/** upstream's `record_drop_history`: a node left the membership at `nowMs` (no-op if already recorded). */
export function recordDropHistory(cc: ConfigContext, node: RpcAddress, nowMs: number, memberCount: number, maxReplicaCount: number, maxReservedDropped: number): boolean {
  if (findDropped(cc, node) !== undefined) return false;
  cc.dropped.push({ node, timeMs: nowMs, ballot: INVALID_BALLOT, lastCommittedDecree: INVALID_DECREE, lastPreparedDecree: INVALID_DECREE });
  cc.preferedDropped = cc.dropped.length - 1;
  checkSize(cc, memberCount, maxReplicaCount, maxReservedDropped);
  return true;
}

/**
 * upstream's `collect_drop_replica`: (re)places the node's entry with the reported replica info, keeping its
 * drop time. Returns 1 when the node was already in the list, 0 when newly added, -1 when the report ranks
 * too low to be kept (the replica is then of no use to the meta).
 */
export function collectDropReplica(
  cc: ConfigContext,
  node: RpcAddress,
  info: Pick<ReplicaInfo, 'ballot' | 'lastCommittedDecree' | 'lastPreparedDecree'>,
  memberCount: number,
  maxReplicaCount: number,
  maxReservedDropped: number,
): 1 | 0 | -1 {
  const index = cc.dropped.findIndex((d) => d.node === node);
  const wasThere = index >= 0;
  const timeMs = wasThere ? cc.dropped[index]!.timeMs : NO_DROP_TIME;
  if (wasThere) cc.dropped.splice(index, 1);
  const entry: DroppedReplica = { node, timeMs, ballot: info.ballot, lastCommittedDecree: info.lastCommittedDecree, lastPreparedDecree: info.lastPreparedDecree };
  // std::lower_bound: before the first entry not less than the new one.
  let at = cc.dropped.findIndex((d) => droppedCmp(d, entry) >= 0);
  if (at < 0) at = cc.dropped.length;
  cc.dropped.splice(at, 0, entry);
  cc.preferedDropped = cc.dropped.length - 1;
  checkSize(cc, memberCount, maxReplicaCount, maxReservedDropped);
  if (findDropped(cc, node) === undefined) return -1;
  return wasThere ? 1 : 0;
}
