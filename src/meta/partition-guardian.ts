/**
 * The cure's choice for a partition without a primary (pegasus-internals.md §2.7, contract F3), reduced to
 * one replica per partition: pure functions over the partition, the alive nodes and the primary counts.
 */
import type { RpcAddress } from '../rpc/transport.ts';
import type { PartitionConfig } from './partition-config.ts';

export type CureAction =
  | { readonly kind: 'none'; readonly reason: 'has-primary' | 'no-alive-node' | 'waiting-for-last-drop' }
  | { readonly kind: 'assign-primary'; readonly node: RpcAddress };

/**
 * (a) no last_drops (a new partition) → the alive node with the fewest primaries (ties: smallest address,
 * so the choice is deterministic); (b) last_drops non-empty → the newest dropped node once it is alive
 * (with one replica the data lives only there: never assign an empty replica elsewhere); (c) nothing.
 */
export function cureMissingPrimary(
  pc: PartitionConfig,
  aliveNodes: readonly RpcAddress[],
  primaryCount: (node: RpcAddress) => number,
): CureAction {
  if (pc.primary !== undefined) return { kind: 'none', reason: 'has-primary' };
  const lastDrop = pc.lastDrops[pc.lastDrops.length - 1];
  if (lastDrop !== undefined) {
    return aliveNodes.includes(lastDrop) ? { kind: 'assign-primary', node: lastDrop } : { kind: 'none', reason: 'waiting-for-last-drop' };
  }
  let best: RpcAddress | undefined;
  let bestCount = Infinity;
  for (const node of aliveNodes) {
    const count = primaryCount(node);
    if (count < bestCount || (count === bestCount && best !== undefined && node < best)) {
      best = node;
      bestCount = count;
    }
  }
  return best === undefined ? { kind: 'none', reason: 'no-alive-node' } : { kind: 'assign-primary', node: best };
}
