/** Options of a `MutationLog`, their defaults (upstream's knobs where one exists) and their checks. */
import { PegasusError } from '../base/error-code.ts';
import { BLOCK_BODY_BYTES_MAX, LOG_FILE_BYTES_MAX } from './log-block.ts';
import { formatGpid, type Gpid } from './mutation.ts';

const MIB = 1024 * 1024;

export interface MutationLogOptions {
  /** The partition this private log belongs to; every mutation and file header must carry it. */
  gpid: Gpid;
  /** Clock for file ages in GC (the Env's clock; never read directly by the log). */
  nowMs: () => number;
  /** Mutations at smaller global offsets are invalid (`.init-info` init_offset_in_private_log). Default 0. */
  validStartOffset?: number;
  /** log_private_file_size_mb: a file rolls before a block would take it past this. Default 32 MiB. */
  fileSizeBytesMax?: number;
  /** plog_force_flush: fdatasync after every write before acknowledging. Default false (page cache only). */
  forceFlush?: boolean;
  /**
   * Bytes of mutations queued behind the write in flight. An append that would go past it is rejected
   * with ERR_BUSY (the mutation is not logged and the log stays healthy), except into an empty queue,
   * so any mutation within `mutationBytesMax` can always be logged. Default 64 MiB.
   */
  pendingBytesMax?: number;
  /** A larger encoded mutation is refused with ERR_INVALID_DATA. Default 32 MiB. */
  mutationBytesMax?: number;
  /** Blocks are cut at this many body bytes (upstream's DEFAULT_MAX_BLOCK_BYTES, 1 MiB). */
  blockBodyBytesMax?: number;
}

export type ResolvedLogOptions = Required<MutationLogOptions>;

export const LOG_DEFAULTS = {
  validStartOffset: 0,
  fileSizeBytesMax: 32 * MIB,
  forceFlush: false,
  pendingBytesMax: 64 * MIB,
  mutationBytesMax: 32 * MIB,
  blockBodyBytesMax: BLOCK_BODY_BYTES_MAX,
} as const;

export function resolveLogOptions(options: MutationLogOptions): ResolvedLogOptions {
  const r: ResolvedLogOptions = { ...LOG_DEFAULTS, ...withoutUndefined(options) } as ResolvedLogOptions;
  check(Number.isInteger(r.gpid.appId) && Number.isInteger(r.gpid.partitionIndex), `gpid ${formatGpid(r.gpid)}`);
  check(typeof r.nowMs === 'function', 'nowMs must be a clock function');
  check(Number.isSafeInteger(r.validStartOffset) && r.validStartOffset >= 0, 'validStartOffset');
  check(inRange(r.blockBodyBytesMax, 1024, 64 * MIB), 'blockBodyBytesMax must be in [1 KiB, 64 MiB]');
  check(inRange(r.fileSizeBytesMax, 1024, LOG_FILE_BYTES_MAX / 2), 'fileSizeBytesMax must be in [1 KiB, 512 MiB]');
  check(inRange(r.mutationBytesMax, 64, LOG_FILE_BYTES_MAX / 4), 'mutationBytesMax must be in [64 B, 256 MiB]');
  check(inRange(r.pendingBytesMax, 1, Number.MAX_SAFE_INTEGER), 'pendingBytesMax must be positive');
  return r;
}

function inRange(v: number, min: number, max: number): boolean {
  return Number.isSafeInteger(v) && v >= min && v <= max;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new PegasusError('ERR_INVALID_PARAMETERS', `mutation log options: ${what}`);
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
