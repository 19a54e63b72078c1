/**
 * What a configuration update request may change (pegasus-internals.md §2.7): the replica sends the whole
 * new configuration (the current one, ballot + 1, the change applied) with the change's type and the node
 * it concerns. Upstream stores the request's configuration as sent and only asserts its shape in debug
 * builds (`server_state::request_check`); here a request whose configuration is not exactly the current one
 * changed by its type is refused, so one buggy replica cannot write an arbitrary membership.
 */
import { ConfigType } from '../idl/replication.ts';
import type { RpcAddress } from '../rpc/transport.ts';
import { isMember, withLastDrop, type PartitionConfig } from './partition-config.ts';

const CONFIG_TYPE_NAMES = new Map<number, string>(Object.entries(ConfigType).map(([name, value]) => [value, name]));

export function configTypeName(type: number): string {
  return CONFIG_TYPE_NAMES.get(type) ?? `config_type_${type}`;
}

/** upstream's `when_update_replicas`: does the type add `node` to the membership (true), remove it (false), or neither? */
export function addsOrRemoves(type: number): 'adds' | 'removes' | 'neither' {
  switch (type) {
    case ConfigType.CT_ASSIGN_PRIMARY:
    case ConfigType.CT_UPGRADE_TO_PRIMARY:
    case ConfigType.CT_UPGRADE_TO_SECONDARY:
      return 'adds';
    case ConfigType.CT_DOWNGRADE_TO_INACTIVE:
    case ConfigType.CT_REMOVE:
    case ConfigType.CT_DROP_PARTITION:
      return 'removes';
    default:
      return 'neither';
  }
}

/**
 * upstream's `maintain_drops`: a node joining leaves last_drops; a node leaving is appended as the newest
 * (upstream asserts it was not there; here it is moved instead) and the oldest beyond three is evicted.
 */
export function maintainDrops(lastDrops: readonly RpcAddress[], node: RpcAddress, type: number): RpcAddress[] {
  switch (addsOrRemoves(type)) {
    case 'adds':
      return lastDrops.filter((n) => n !== node);
    case 'removes':
      return withLastDrop(lastDrops, node);
    default:
      return [...lastDrops];
  }
}


function sameSet(a: readonly RpcAddress[], b: readonly RpcAddress[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x)) && new Set(a).size === a.length;
}

export type UpdateCheck =
  | { readonly ok: true; readonly next: PartitionConfig; readonly node: RpcAddress }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks `asked` (ballot already checked to be current + 1) against `current` for `type` about `node`, and
 * gives the configuration to store: the asked membership and last_committed_decree, the table's own
 * max_replica_count and flags (not the replica's to change), and last_drops maintained from the current
 * list (equal to the replica's copy whenever its ballot is current + 1, and immune to a stale copy).
 */
export function checkUpdate(current: PartitionConfig, asked: PartitionConfig, type: number, node: RpcAddress | undefined): UpdateCheck {
  const refuse = (reason: string): UpdateCheck => ({ ok: false, reason: `${configTypeName(type)}: ${reason}` });
  if (node === undefined) return refuse('no node given');
  const primary = current.primary;
  const without = current.secondaries.filter((s) => s !== node);
  const shape = ((): string | undefined => {
    switch (type) {
      case ConfigType.CT_ASSIGN_PRIMARY:
        // Only the meta proposes it, and only to a partition without members (a new one or DDD).
        if (primary !== undefined || current.secondaries.length > 0) return 'the partition has members';
        if (asked.primary !== node || asked.secondaries.length > 0) return 'the new configuration must be the node alone as primary';
        return undefined;
      case ConfigType.CT_UPGRADE_TO_PRIMARY:
        if (primary !== undefined) return 'the partition has a primary';
        if (!current.secondaries.includes(node)) return 'the node is not a secondary';
        if (asked.primary !== node || !sameSet(asked.secondaries, without)) return 'the new configuration must move the node from the secondaries to primary';
        return undefined;
      case ConfigType.CT_UPGRADE_TO_SECONDARY:
        if (primary === undefined) return 'the partition has no primary';
        if (isMember(current, node)) return 'the node is already a member';
        if (asked.primary !== primary || !sameSet(asked.secondaries, [...current.secondaries, node])) return 'the new configuration must add the node to the secondaries';
        return undefined;
      case ConfigType.CT_DOWNGRADE_TO_SECONDARY:
        if (primary !== node) return 'the node is not the primary';
        if (asked.primary !== undefined || !sameSet(asked.secondaries, [...current.secondaries, node])) return 'the new configuration must move the primary to the secondaries';
        return undefined;
      case ConfigType.CT_DOWNGRADE_TO_INACTIVE:
      case ConfigType.CT_REMOVE:
        // A primary may remove itself (upstream: a primary whose own log fails asks to be removed).
        if (primary === node) {
          if (asked.primary !== undefined || !sameSet(asked.secondaries, current.secondaries)) return 'the new configuration must clear the primary only';
          return undefined;
        }
        if (!current.secondaries.includes(node)) return 'the node is not a member';
        if (asked.primary !== primary || !sameSet(asked.secondaries, without)) return 'the new configuration must remove the node from the secondaries';
        return undefined;
      case ConfigType.CT_PRIMARY_FORCE_UPDATE_BALLOT:
        if (primary === undefined || primary !== node) return 'the node is not the primary';
        if (asked.primary !== primary || !sameSet(asked.secondaries, current.secondaries)) return 'the membership must not change';
        return undefined;
      default:
        return 'not a type a replica server sends';
    }
  })();
  if (shape !== undefined) return refuse(`${shape} (node ${node})`);
  return {
    ok: true,
    node,
    next: {
      ...asked,
      appId: current.appId,
      partitionIndex: current.partitionIndex,
      maxReplicaCount: current.maxReplicaCount,
      partitionFlags: current.partitionFlags,
      lastDrops: maintainDrops(current.lastDrops, node, type),
    },
  };
}
