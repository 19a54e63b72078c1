/**
 * Which role changes a replica accepts (pegasus-internals.md §2.2; upstream
 * `replica::update_local_configuration`). A change at a strictly larger ballot is accepted (after the ballot
 * is persisted); at the same ballot only the few below are, because anything else would let one ballot name
 * two different memberships.
 *
 * One deliberate tightening: a replica that is INACTIVE without the transient flag — freshly opened after a
 * restart, or removed — never becomes SECONDARY or PRIMARY merely because a configuration names it, at any
 * ballot. It may have lost acknowledged log bytes in a machine crash, so it comes back through learning
 * (POTENTIAL_SECONDARY), or as primary only through the meta's explicit CT_ASSIGN_PRIMARY (the DDD rule,
 * which weighs what each candidate reported; the replica marks itself transient for that request). Upstream
 * would resume it when a config sync still names it (e.g. its own update's answer was lost in the crash),
 * which loses acknowledged writes after a machine crash.
 */
import { PartitionStatus } from '../idl/replication.ts';

export type ReplicaStatus = 'PS_INACTIVE' | 'PS_PRIMARY' | 'PS_SECONDARY' | 'PS_POTENTIAL_SECONDARY' | 'PS_ERROR';

export interface StatusNow {
  readonly status: ReplicaStatus;
  /** INACTIVE only: "still a member, just paused" (own reconfiguration, lost lease). */
  readonly inactiveIsTransient: boolean;
}

export function transitionAllowed(from: StatusNow, to: ReplicaStatus, ballotIncreases: boolean): boolean {
  if (from.status === 'PS_ERROR') return false;
  if (to === 'PS_ERROR' || to === 'PS_INACTIVE') return true;
  if (from.status === to) return true;
  const freshInactive = from.status === 'PS_INACTIVE' && !from.inactiveIsTransient;
  if ((to === 'PS_SECONDARY' || to === 'PS_PRIMARY') && freshInactive) return false;
  if (ballotIncreases) return true;
  switch (to) {
    case 'PS_POTENTIAL_SECONDARY':
      return from.status === 'PS_INACTIVE';
    case 'PS_SECONDARY':
      return from.status === 'PS_POTENTIAL_SECONDARY' || (from.status === 'PS_INACTIVE' && from.inactiveIsTransient);
    case 'PS_PRIMARY':
      return from.status === 'PS_INACTIVE' && from.inactiveIsTransient;
  }
}

/** The wire `partition_status` of a role. */
export function wireStatus(status: ReplicaStatus): number {
  return PartitionStatus[status];
}

/** A wire partition_status as a role this replica knows; PS_INVALID and split states are undefined. */
export function statusFromWire(status: number): ReplicaStatus | undefined {
  switch (status) {
    case PartitionStatus.PS_PRIMARY:
      return 'PS_PRIMARY';
    case PartitionStatus.PS_SECONDARY:
      return 'PS_SECONDARY';
    case PartitionStatus.PS_POTENTIAL_SECONDARY:
      return 'PS_POTENTIAL_SECONDARY';
    case PartitionStatus.PS_INACTIVE:
      return 'PS_INACTIVE';
    case PartitionStatus.PS_ERROR:
      return 'PS_ERROR';
    default:
      return undefined;
  }
}
