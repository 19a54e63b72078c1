/**
 * Checkpoint retention (pegasus-internals.md §4.3, upstream `gc_checkpoints`): keep at least
 * `checkpoint_reserve_min_count` checkpoints, and among older ones keep those younger than
 * `checkpoint_reserve_time_seconds`; delete oldest first, never a newer one before an older one.
 */
import type { CheckpointInfo, PartitionStore } from './partition-store.ts';

export interface CheckpointReserve {
  /** `checkpoint_reserve_min_count` (2); the table env `rocksdb.checkpoint.reserve_min_count` overrides it. */
  reserveMinCount: number;
  /** `checkpoint_reserve_time_seconds` (1800); the env `rocksdb.checkpoint.reserve_time_seconds` overrides it. */
  reserveTimeSeconds: number;
}

export const DEFAULT_CHECKPOINT_RESERVE: CheckpointReserve = { reserveMinCount: 2, reserveTimeSeconds: 1800 };

/** The decrees to delete from `checkpoints` (sorted ascending). */
export function checkpointsToDelete(checkpoints: CheckpointInfo[], reserve: CheckpointReserve, nowMs: number): number[] {
  const minCount = Math.max(1, reserve.reserveMinCount);
  const doomed: number[] = [];
  for (let i = 0; i + minCount < checkpoints.length; i++) {
    const checkpoint = checkpoints[i]!;
    // A checkpoint without a creation time is incomplete: nothing to keep it for.
    const young = reserve.reserveTimeSeconds > 0 && checkpoint.createdMs > 0 && checkpoint.createdMs + reserve.reserveTimeSeconds * 1000 >= nowMs;
    if (young) break;
    doomed.push(checkpoint.decree);
  }
  return doomed;
}

export async function gcCheckpoints(store: PartitionStore, reserve: CheckpointReserve, nowMs: number): Promise<number[]> {
  const doomed = checkpointsToDelete(await store.listCheckpoints(), reserve, nowMs);
  for (const decree of doomed) await store.removeCheckpoint(decree);
  return doomed;
}
