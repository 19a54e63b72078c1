/**
 * Which role changes a replica accepts (pegasus-internals.md §2.2; upstream
 * `replica::update_local_configuration`). A change at a strictly larger ballot is accepted (after the ballot
 * is persisted); at the same ballot only the few below are, because anything else would let one ballot name
 * two different memberships.
 *
 * One deliberate tightening: a replica that is INACTIVE without the transient flag — freshly opened after a
 * restart, or removed — never becomes SECONDARY directly, at any ballot. It may have lost acknowledged log
 * bytes in a machine crash, so it must come back through learning (POTENTIAL_SECONDARY), which copies what
 * it lacks. Upstream relies on the primary noticing the restart; here the rule makes it impossible.
 */
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
  if (to === 'PS_SECONDARY' && freshInactive) return false;
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
