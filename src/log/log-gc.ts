/**
 * Which plog files garbage collection may delete: a pure decision, reproducing upstream's
 * `mutation_log::garbage_collection` for private logs (incubator-pegasus: src/replica/mutation_log.cpp).
 *
 * Walk the files newest → oldest, carrying the max decree the current file can hold (the newest file
 * holds up to the log's max decree; an older one up to the next file's header `prevMaxDecree`):
 *   1. the current (newest) file is kept;
 *   2. a file within the reserve is kept — the reserve wins over the rules below, so a file that could
 *      be collected still stays while all newer files and it fit in `reserveMaxBytes` and it was last
 *      written at most `reserveMaxTimeMs` ago (each file against its own mtime, as upstream); a reserve
 *      of 0 bytes or 0 ms reserves nothing;
 *   3. otherwise the first file that ends at or before `validStartOffset` (its mutations were
 *      invalidated by a learner's reset), or whose max decree is ≤ `durableDecree` (all of it is in a
 *      checkpoint), marks the cut;
 * and every file kept adds its size to the reserve total. The cut file and all older ones are deleted,
 * oldest first, so the directory never has a hole. Upstream collects when no file is being written and
 * the newest one qualifies; here the newest file is always kept, so a restarted replica that has not
 * appended yet keeps the header that carries its max decree.
 */
import { assert } from '../base/assert.ts';
import { fileEndOffset, fileMaxDecree, type LogFileInfo } from './log-file-info.ts';

export interface GarbageCollectOptions {
  /** Decrees ≤ this are in a durable checkpoint (upstream's cleanable decree: last durable, or the
   *  duplication-confirmed decree when lower). */
  durableDecree: number;
  /** Mutations before this global offset are invalid (`.init-info` init_offset_in_private_log). */
  validStartOffset: number;
  /** log_private_reserve_max_size_mb, 1000 MiB upstream. */
  reserveMaxBytes: number;
  /** log_private_reserve_max_time_seconds, 36000 s upstream. */
  reserveMaxTimeMs: number;
}

export interface GcPlanInput extends GarbageCollectOptions {
  nowMs: number;
  logMaxDecree: number;
}

/** How many of the oldest files to delete (0: none). `files` is ordered by index. */
export function planGarbageCollection(files: readonly LogFileInfo[], input: GcPlanInput): number {
  let reservedBytes = 0;
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i]!;
    const maxDecree = fileMaxDecree(files, i, input.logMaxDecree);
    const isCurrent = i === files.length - 1;
    if (!isCurrent && !isReserved(file, reservedBytes, input)) {
      if (input.validStartOffset >= fileEndOffset(file) || input.durableDecree >= maxDecree) {
        return collectablePrefix(files, i, input);
      }
    }
    reservedBytes += file.sizeBytes;
  }
  return 0;
}

function isReserved(file: LogFileInfo, reservedBytes: number, input: GcPlanInput): boolean {
  if (input.reserveMaxBytes === 0 || input.reserveMaxTimeMs === 0) return false;
  if (reservedBytes + file.sizeBytes > input.reserveMaxBytes) return false;
  return file.mtimeMs + input.reserveMaxTimeMs >= input.nowMs;
}

/**
 * No file holding a valid decree above the durable one may go. Headers' `prevMaxDecree` only grows
 * along the log, so every file older than the cut qualifies as the cut does; this re-checks each one
 * (headers come from disk) and stops before the first that does not, which still leaves no hole.
 */
function collectablePrefix(files: readonly LogFileInfo[], cut: number, input: GcPlanInput): number {
  assert(cut < files.length - 1, 'GC must keep the current file');
  for (let i = 0; i <= cut; i++) {
    const invalid = fileEndOffset(files[i]!) <= input.validStartOffset;
    const durable = fileMaxDecree(files, i, input.logMaxDecree) <= input.durableDecree;
    if (!invalid && !durable) return i;
  }
  return cut + 1;
}
