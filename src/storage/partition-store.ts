/**
 * The storage engine seam of one replica. Two implementations pass one contract suite: `RocksStore`
 * (RocksDB through our addon) and `MemStore` (in memory, for the simulator). They store raw keys and values
 * (Pegasus's encodings, base/key-schema.ts and base/value-schema.ts); the rrdb semantics live above them,
 * once, in storage/rrdb/.
 *
 * Durability design (architecture.md §5): RocksDB's own WAL is off. Every mutation's writes are applied as
 * one atomic batch together with its decree (`pegasus_last_flushed_decree` in the meta column family), so
 * after a crash the store reopens exactly at the decree of its last *flushed* batch, and replaying the plog
 * from there restores the last logged decree.
 */
import type { DataVersion } from '../base/value-schema.ts';

/** Meta column family keys, upstream's names (`src/server/meta_store.cpp`); values are decimal strings. */
export const META_KEY_LAST_FLUSHED_DECREE = 'pegasus_last_flushed_decree';
export const META_KEY_DATA_VERSION = 'pegasus_data_version';
export const META_KEY_LAST_MANUAL_COMPACT_FINISH_TIME = 'pegasus_last_manual_compact_finish_time';

/** The writes of one mutation, applied atomically by `PartitionStore.write`. Keys are raw stored keys. */
export interface StoreWriteBatch {
  put(key: Buffer, value: Buffer): void;
  delete(key: Buffer): void;
  readonly count: number;
}

/** One batch of entries read by an iterator, in the iterator's direction. */
export interface IteratorBatch {
  keys: Buffer[];
  values: Buffer[];
  /** The iterator has no entry after this batch. */
  done: boolean;
}

export interface IteratorOptions {
  /** Inclusive lower bound. */
  lower?: Buffer;
  /** Exclusive upper bound. */
  upper?: Buffer;
  reverse: boolean;
}

/**
 * A positioned iterator over a consistent snapshot of the data column family, read in batches to keep the
 * per-entry cost low (one crossing into the addon per batch).
 */
export interface StoreIterator {
  /** Forward: first key >= key. Reverse: last key <= key. */
  seek(key: Buffer): void;
  /** First key forward, last key reverse (within the bounds). */
  seekToStart(): void;
  /** Up to maxCount entries (and about maxBytes), moving in the iterator's direction. */
  read(maxCount: number, maxBytes: number): Promise<IteratorBatch>;
  close(): void;
}

export interface CompactionParams {
  /** -1: the real clock. Otherwise the Pegasus-epoch seconds the TTL rules treat as now. */
  nowEpochSecondsOverride: number;
  /** The table env `default_ttl`: 0 = none. */
  defaultTtlSeconds: number;
}

export interface CheckpointInfo {
  decree: number;
  /** When the checkpoint was made (for `checkpoint_reserve_time_seconds`). */
  createdMs: number;
}

export interface PartitionStore {
  readonly dataVersion: DataVersion;
  /** Decree of the last applied batch (upstream's last_committed_decree of the app). */
  lastAppliedDecree(): number;
  /** Decree of the last batch that would survive a crash now (flushed to SST files). */
  lastFlushedDecree(): number;

  newBatch(): StoreWriteBatch;
  /**
   * Applies `batch` plus the decree atomically. Decrees only grow; an empty batch still records the
   * decree (upstream's empty write). Writes must not overlap: the caller awaits each one.
   */
  write(decree: number, batch: StoreWriteBatch): Promise<void>;

  get(key: Buffer): Promise<Buffer | undefined>;
  multiGet(keys: Buffer[]): Promise<Array<Buffer | undefined>>;
  iterator(options: IteratorOptions): StoreIterator;

  /** Flushes memtables so that everything applied is durable. */
  flush(): Promise<void>;
  /** Merges `params` into the current ones. */
  setCompactionParams(params: Partial<CompactionParams>): void;
  /** Full manual compaction: the TTL rules run over every record. */
  compact(): Promise<void>;

  /**
   * Creates `checkpoint.<decree>` beside the store from its *flushed* state (flush first for a checkpoint
   * at the applied decree) and returns its decree; an existing checkpoint at that decree is reused.
   */
  createCheckpoint(): Promise<number>;
  listCheckpoints(): Promise<CheckpointInfo[]>;
  removeCheckpoint(decree: number): Promise<void>;
  /** Where checkpoint `decree` lives (a path for RocksStore, a key in the MemDisk for MemStore). */
  checkpointPath(decree: number): string;

  close(): Promise<void>;
}

export function checkpointDirName(decree: number): string {
  return `checkpoint.${decree}`;
}

/** Parses `checkpoint.<decree>` exactly (upstream's `chkpt_init_from_dir`); anything else is undefined. */
export function parseCheckpointDirName(name: string): number | undefined {
  const match = /^checkpoint\.(0|[1-9][0-9]*)$/.exec(name);
  if (!match) return undefined;
  const decree = Number(match[1]);
  return Number.isSafeInteger(decree) ? decree : undefined;
}

/**
 * A storage engine failure (RocksDB's Corruption, IOError, ...), carrying the `Status::Code` that rrdb
 * responses report in their `error` field.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
