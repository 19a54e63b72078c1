// Typed front of the native RocksDB addon (native/, built by `npm install` / `npm run build:native`).
// The addon exposes RocksDB primitives only; Pegasus logic lives in TypeScript above it (RocksStore),
// except the compaction filter, which runs in C++ on RocksDB's threads.
//
// Every write goes with RocksDB's WAL disabled: the plog is the WAL, and only flushed state survives a
// crash. Column family index in every call: 0 = default (user data), 1 = pegasus_meta_cf.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------------
// Public types

/** 0 = `default` (user data), 1 = `pegasus_meta_cf` (metadata, e.g. the applied decree). */
export type ColumnFamily = 0 | 1;
export const CF_DEFAULT = 0 as const;
export const CF_META = 1 as const;

export type Compression = 'none' | 'lz4' | 'snappy' | 'zstd';

/**
 * Options of openDb. Defaults are upstream Pegasus's shipped config.ini values: write buffer 64 MiB,
 * 3 write buffers, target file 64 MiB, L1 base 640 MiB, lz4 (if this librocksdb has it, else snappy,
 * else none), a 10 GiB LRU block cache shared by every DB of the process opened with the same
 * capacity (lazily filled), 4 background jobs.
 */
export interface OpenOptions {
  createIfMissing: boolean;
  readOnly?: boolean;
  writeBufferSizeBytes?: number;
  maxWriteBufferNumber?: number;
  targetFileSizeBaseBytes?: number;
  maxBytesForLevelBaseBytes?: number;
  blockCacheBytes?: number;
  maxBackgroundJobs?: number;
  compression?: Compression;
}

export interface IteratorOptions {
  cf: ColumnFamily;
  /** Inclusive lower bound. */
  lower?: Uint8Array;
  /** Exclusive upper bound. */
  upper?: Uint8Array;
  /** Iterate from the last key down. */
  reverse?: boolean;
}

export interface IteratorBatch {
  keys: Buffer[];
  values: Buffer[];
  /** The iterator is no longer valid after this batch (end of range). */
  done: boolean;
}

export interface CompactionParams {
  /** "Now" for the compaction filter in Pegasus epoch seconds; -1 = the system clock. */
  nowEpochSecondsOverride: number;
  /** 0 = none; otherwise records without a TTL get expire_ts = now + defaultTtlSeconds. */
  defaultTtlSeconds: number;
}

/**
 * The `code` of errors thrown by the addon: RocksDB's status code names, plus `DbClosed`,
 * `IteratorClosed` and `InvalidArgument` (also used for bad arguments from JS, as a TypeError).
 */
export type RocksErrorCode =
  | 'NotFound'
  | 'Corruption'
  | 'NotSupported'
  | 'InvalidArgument'
  | 'IOError'
  | 'MergeInProgress'
  | 'Incomplete'
  | 'ShutdownInProgress'
  | 'TimedOut'
  | 'Aborted'
  | 'Busy'
  | 'Expired'
  | 'TryAgain'
  | 'CompactionTooLarge'
  | 'ColumnFamilyDropped'
  | 'Unknown'
  | 'DbClosed'
  | 'IteratorClosed';

/** An error from the addon: message starts with RocksDB's status string, `code` names it. */
export interface RocksError extends Error {
  code: RocksErrorCode;
}

export function isRocksError(e: unknown): e is RocksError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}

export interface NativeDb {
  /** Writes a batch (WriteBatchBuilder format) atomically, WAL disabled, off the event loop. */
  write(batch: Uint8Array): Promise<void>;
  /** Same, on the calling thread. */
  writeSync(batch: Uint8Array): void;
  getSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined;
  /** RocksDB MultiGet in one worker; undefined for missing keys. */
  multiGet(cf: ColumnFamily, keys: readonly Uint8Array[]): Promise<(Buffer | undefined)[]>;
  /** Get with read_tier = kPersistedTier: skips memtables, so only flushed (crash-surviving) data. */
  getPersistedSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined;
  /**
   * Get from the memtables and the block cache only (read_tier = kBlockCacheTier), so it never waits for the
   * disk: the value, undefined when the key is absent, or null when answering would need a disk read.
   */
  getCachedSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined | null;
  /** An iterator holding RocksDB's implicit snapshot. Position it with seek/seekToStart first. */
  iterator(options: IteratorOptions): NativeIterator;
  /** Flushes all column families (atomic flush) and waits. */
  flush(): Promise<void>;
  /** Checkpoint of exactly the flushed state (no flush; flush first when wanted). `dir` must not exist. */
  checkpoint(dir: string): Promise<void>;
  /** Full-range compaction of the default CF, bottommost level forced (the filter sees every record). */
  compactRange(): Promise<void>;
  /** A RocksDB property (e.g. rocksdb.estimate-num-keys) of a column family (default CF if omitted). */
  getProperty(name: string, cf?: ColumnFamily): string | undefined;
  /** Parameters of the default CF's compaction filter; applied from the next compaction on. */
  setCompactionParams(params: CompactionParams): void;
  /**
   * Closes live iterators, waits for in-flight async work, then closes RocksDB (which flushes the
   * memtables, as RocksDB does on a clean shutdown). Later calls throw/reject with code DbClosed.
   * Closing again is a no-op.
   */
  close(): Promise<void>;
}

export interface NativeIterator {
  /** Forward: to the first key >= key. Reverse: to the last key <= key. */
  seek(key: Uint8Array): void;
  /** Forward: to the first key. Reverse: to the last key. (Within the bounds.) */
  seekToStart(): void;
  /**
   * Reads up to maxCount entries in the iterator's direction, stopping also once the key+value bytes
   * read reach maxBytes (at least one entry if any). Afterwards the iterator points at the next unread
   * entry. The returned keys and values are views into one buffer per batch.
   */
  readSync(maxCount: number, maxBytes: number): IteratorBatch;
  /** Same, off the event loop. No other call on this iterator may run until it settles (code Busy). */
  read(maxCount: number, maxBytes: number): Promise<IteratorBatch>;
  /** Releases the iterator (and its snapshot). Closing twice is a no-op; other calls then throw. */
  close(): void;
}

/** Pegasus time: seconds since 2016-01-01 00:00:00 UTC. */
export const PEGASUS_EPOCH_UNIX_SECONDS = 1451606400;

// ---------------------------------------------------------------------------------------------------
// Loading

type RawBatch = [data: Buffer, offsets: Uint32Array, done: boolean];

interface RawIterator {
  seek(key: Uint8Array): void;
  seekToStart(): void;
  readSync(maxCount: number, maxBytes: number): RawBatch;
  read(maxCount: number, maxBytes: number): Promise<RawBatch>;
  close(): void;
}

interface RawDb {
  write(batch: Uint8Array): Promise<void>;
  writeSync(batch: Uint8Array): void;
  getSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined;
  getPersistedSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined;
  getCachedSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined | null;
  multiGet(cf: ColumnFamily, keys: readonly Uint8Array[]): Promise<[data: Buffer, offsets: Uint32Array]>;
  iterator(options: IteratorOptions): RawIterator;
  flush(): Promise<void>;
  checkpoint(dir: string): Promise<void>;
  compactRange(): Promise<void>;
  getProperty(name: string, cf?: ColumnFamily): string | undefined;
  setCompactionParams(params: CompactionParams): void;
  close(): Promise<void>;
}

interface RawAddon {
  openDb(path: string, options: OpenOptions): Promise<RawDb>;
  rocksdbVersion: string;
  pegasusEpochUnixSeconds: number;
}

const ADDON_RELATIVE_PATH = '../../../native/build/Release/pegasus_rocksdb.node';
/** Where the built addon is expected. */
export const nativeAddonPath = fileURLToPath(new URL(ADDON_RELATIVE_PATH, import.meta.url));

let loaded: RawAddon | undefined;

function loadAddon(): RawAddon {
  if (loaded !== undefined) return loaded;
  const hint =
    'run `npm install` (or `npm run build:native`); building it needs librocksdb-dev ' +
    '(apt-get install librocksdb-dev), g++, make and python3';
  if (!existsSync(nativeAddonPath)) {
    throw new Error(`pegasus-ts: the native RocksDB addon is not built (${nativeAddonPath} is missing): ${hint}`);
  }
  const require = createRequire(import.meta.url);
  try {
    loaded = require(ADDON_RELATIVE_PATH) as RawAddon;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`pegasus-ts: cannot load the native RocksDB addon (${message}): ${hint}`, { cause });
  }
  return loaded;
}

/** The version of the RocksDB library the addon is linked against (e.g. "7.8.3"). Loads the addon. */
export function rocksdbVersion(): string {
  return loadAddon().rocksdbVersion;
}

/** Opens (creating if asked) a RocksDB with the `default` and `pegasus_meta_cf` column families. */
export function openDb(path: string, options: OpenOptions): Promise<NativeDb> {
  let addon: RawAddon;
  try {
    addon = loadAddon();
  } catch (e) {
    return Promise.reject(e as Error);
  }
  return addon.openDb(path, options).then((raw) => new Db(raw));
}

// ---------------------------------------------------------------------------------------------------
// Wrappers: unpack the addon's one-buffer results into per-entry views.

const MISSING = 0xffffffff;

function unpackBatch(raw: RawBatch): IteratorBatch {
  const [data, offsets, done] = raw;
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  const n = (offsets.length - 1) >>> 1;
  for (let i = 0, o = 0; i < n; i++, o += 2) {
    const keyStart = offsets[o]!;
    const valueStart = offsets[o + 1]!;
    keys.push(data.subarray(keyStart, valueStart));
    values.push(data.subarray(valueStart, offsets[o + 2]!));
  }
  return { keys, values, done };
}

class Db implements NativeDb {
  readonly #raw: RawDb;

  constructor(raw: RawDb) {
    this.#raw = raw;
  }

  write(batch: Uint8Array): Promise<void> {
    return this.#raw.write(batch);
  }

  writeSync(batch: Uint8Array): void {
    this.#raw.writeSync(batch);
  }

  getSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined {
    return this.#raw.getSync(cf, key);
  }

  getPersistedSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined {
    return this.#raw.getPersistedSync(cf, key);
  }

  getCachedSync(cf: ColumnFamily, key: Uint8Array): Buffer | undefined | null {
    return this.#raw.getCachedSync(cf, key);
  }

  async multiGet(cf: ColumnFamily, keys: readonly Uint8Array[]): Promise<(Buffer | undefined)[]> {
    const [data, offsets] = await this.#raw.multiGet(cf, keys);
    const n = offsets.length >>> 1;
    const values: (Buffer | undefined)[] = [];
    for (let i = 0, o = 0; i < n; i++, o += 2) {
      const start = offsets[o]!;
      values.push(start === MISSING ? undefined : data.subarray(start, offsets[o + 1]!));
    }
    return values;
  }

  iterator(options: IteratorOptions): NativeIterator {
    return new DbIterator(this.#raw.iterator(options));
  }

  flush(): Promise<void> {
    return this.#raw.flush();
  }

  checkpoint(dir: string): Promise<void> {
    return this.#raw.checkpoint(dir);
  }

  compactRange(): Promise<void> {
    return this.#raw.compactRange();
  }

  getProperty(name: string, cf?: ColumnFamily): string | undefined {
    return cf === undefined ? this.#raw.getProperty(name) : this.#raw.getProperty(name, cf);
  }

  setCompactionParams(params: CompactionParams): void {
    this.#raw.setCompactionParams(params);
  }

  close(): Promise<void> {
    return this.#raw.close();
  }
}

class DbIterator implements NativeIterator {
  readonly #raw: RawIterator;

  constructor(raw: RawIterator) {
    this.#raw = raw;
  }

  seek(key: Uint8Array): void {
    this.#raw.seek(key);
  }

  seekToStart(): void {
    this.#raw.seekToStart();
  }

  readSync(maxCount: number, maxBytes: number): IteratorBatch {
    return unpackBatch(this.#raw.readSync(maxCount, maxBytes));
  }

  async read(maxCount: number, maxBytes: number): Promise<IteratorBatch> {
    return unpackBatch(await this.#raw.read(maxCount, maxBytes));
  }

  close(): void {
    this.#raw.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Write batches

const OP_PUT = 0;
const OP_DELETE = 1;

/**
 * Builds the addon's write batch format in one growing Buffer: a sequence of records
 * `u8 op (0 = put, 1 = delete) | u8 cf | u32 LE key length | key | (put only) u32 LE value length | value`.
 *
 * toBuffer() returns a view of the bytes written so far; appending later never changes bytes in an
 * earlier view, and clear() starts over in a fresh buffer when a view was handed out, so a batch
 * passed to the async `write` stays intact while it is in flight.
 */
export class WriteBatchBuilder {
  #buf: Buffer;
  #length = 0;
  #count = 0;
  #viewed = false;

  constructor(initialCapacity = 4096) {
    this.#buf = Buffer.allocUnsafe(Math.max(64, initialCapacity));
  }

  /** Number of records. */
  get count(): number {
    return this.#count;
  }

  /** Size of the encoded batch in bytes. */
  get byteLength(): number {
    return this.#length;
  }

  put(cf: ColumnFamily, key: Uint8Array, value: Uint8Array): this {
    const keyLength = key.length;
    const valueLength = value.length;
    let p = this.#reserve(10 + keyLength + valueLength);
    const buf = this.#buf;
    buf[p] = OP_PUT;
    buf[p + 1] = cf;
    buf.writeUInt32LE(keyLength, p + 2);
    p += 6;
    buf.set(key, p);
    p += keyLength;
    buf.writeUInt32LE(valueLength, p);
    p += 4;
    buf.set(value, p);
    this.#length = p + valueLength;
    this.#count++;
    return this;
  }

  delete(cf: ColumnFamily, key: Uint8Array): this {
    const keyLength = key.length;
    let p = this.#reserve(6 + keyLength);
    const buf = this.#buf;
    buf[p] = OP_DELETE;
    buf[p + 1] = cf;
    buf.writeUInt32LE(keyLength, p + 2);
    p += 6;
    buf.set(key, p);
    this.#length = p + keyLength;
    this.#count++;
    return this;
  }

  /** The encoded batch (a view of the internal buffer; see the class comment). */
  toBuffer(): Buffer {
    this.#viewed = true;
    return this.#buf.subarray(0, this.#length);
  }

  /** Empties the builder for reuse. */
  clear(): void {
    if (this.#viewed) {
      this.#buf = Buffer.allocUnsafe(this.#buf.length);
      this.#viewed = false;
    }
    this.#length = 0;
    this.#count = 0;
  }

  /** Makes room for `bytes` more bytes; returns the write position. */
  #reserve(bytes: number): number {
    const at = this.#length;
    const needed = at + bytes;
    if (needed > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buf.length * 2));
      this.#buf.copy(grown, 0, 0, at);
      this.#buf = grown;
      this.#viewed = false;
    }
    return at;
  }
}
