/**
 * PartitionStore on RocksDB through our addon (architecture.md §5), one instance per replica under
 * `<dataDir>/rdb`, with checkpoints beside it as `<dataDir>/checkpoint.<decree>` (upstream's layout).
 *
 * Every write goes with RocksDB's WAL disabled and carries the decree into `pegasus_meta_cf` in the same
 * atomic batch, so the flushed state always names the decree to replay the plog from. A point read is first
 * tried on the event loop against the memtables and the block cache only (RocksDB's kBlockCacheTier, which
 * answers "incomplete" rather than touch the disk): a few microseconds, where a trip to the thread pool costs
 * the event loop several times that. Reads that would need the disk, issued in the same tick, are coalesced
 * into one MultiGet on the addon's thread pool: one crossing and one worker for many awaited gets, without
 * blocking the event loop on disk reads.
 */
import { link, mkdir, readdir, rename, rm, stat, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../../base/assert.ts';
import { PegasusError, StorageStatus } from '../../base/error-code.ts';
import { DATA_VERSION_LATEST, epochNowSeconds, type DataVersion } from '../../base/value-schema.ts';
import {
  META_KEY_DATA_VERSION,
  META_KEY_LAST_FLUSHED_DECREE,
  StoreError,
  checkpointDirName,
  parseCheckpointDirName,
  type CheckpointInfo,
  type CompactionParams,
  type IteratorBatch,
  type IteratorOptions,
  type PartitionStore,
  type StoreIterator,
  type StoreWriteBatch,
} from '../partition-store.ts';
import { WriteBatchBuilder, openDb, type NativeDb, type NativeIterator, type OpenOptions } from './addon.ts';

const CF_DATA = 0;
const CF_META = 1;

export interface RocksStoreOptions {
  /** Unix milliseconds for the TTL rules of manual compactions; absent: RocksDB uses the system clock. */
  nowMs?: () => number;
  dataVersion?: DataVersion;
  /** RocksDB tuning (write buffer, block cache, ...); upstream's shipped values when absent. */
  rocksdb?: Omit<OpenOptions, 'createIfMissing' | 'readOnly'>;
  /**
   * Where writes run. `auto` (the default) inserts into the memtable on the event loop, which with the WAL
   * off is pure CPU work and several times cheaper than a thread-pool round trip, but moves a write to the
   * thread pool whenever RocksDB reports a write stall or delay, so a stall never blocks the event loop.
   */
  writeMode?: 'auto' | 'sync' | 'async';
}

const STATUS_BY_CODE: Record<string, number> = {
  NotFound: StorageStatus.kNotFound,
  Corruption: StorageStatus.kCorruption,
  NotSupported: StorageStatus.kNotSupported,
  InvalidArgument: StorageStatus.kInvalidArgument,
  IOError: StorageStatus.kIOError,
  MergeInProgress: StorageStatus.kMergeInProgress,
  Incomplete: StorageStatus.kIncomplete,
  ShutdownInProgress: StorageStatus.kShutdownInProgress,
  TimedOut: StorageStatus.kTimedOut,
  Aborted: StorageStatus.kAborted,
  Busy: StorageStatus.kBusy,
  Expired: StorageStatus.kExpired,
  TryAgain: StorageStatus.kTryAgain,
};

/** RocksDB failures become StoreErrors with their status code; anything else is a bug and propagates. */
function toStoreError(e: unknown): unknown {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code in STATUS_BY_CODE) {
    return new StoreError(STATUS_BY_CODE[code]!, (e as Error).message, { cause: e });
  }
  return e;
}

async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toStoreError(e);
  }
}

function nativeSync<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw toStoreError(e);
  }
}

class RocksWriteBatch implements StoreWriteBatch {
  readonly builder = new WriteBatchBuilder();
  put(key: Buffer, value: Buffer): void {
    this.builder.put(CF_DATA, key, value);
  }
  delete(key: Buffer): void {
    this.builder.delete(CF_DATA, key);
  }
  get count(): number {
    return this.builder.count;
  }
}

class RocksIterator implements StoreIterator {
  constructor(private readonly iterator: NativeIterator) {}
  seek(key: Buffer): void {
    nativeSync(() => this.iterator.seek(key));
  }
  seekToStart(): void {
    nativeSync(() => this.iterator.seekToStart());
  }
  read(maxCount: number, maxBytes: number): Promise<IteratorBatch> {
    return native(() => this.iterator.read(maxCount, maxBytes));
  }
  close(): void {
    this.iterator.close();
  }
}

interface PendingGet {
  key: Buffer;
  resolve: (value: Buffer | undefined) => void;
  reject: (error: unknown) => void;
}

/** Gets per coalesced MultiGet: bounded so one tick's burst does not become one huge worker. */
const COALESCED_GETS_MAX = 256;

function encodeDecree(decree: number): Buffer {
  return Buffer.from(String(decree));
}

function parseDecimal(raw: Buffer | undefined, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.toString('latin1');
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new PegasusError('ERR_CORRUPTION', `meta key ${what} holds "${text}"`);
  return Number(text);
}

export class RocksStore implements PartitionStore {
  private appliedDecree: number;
  private compaction: CompactionParams = { nowEpochSecondsOverride: -1, defaultTtlSeconds: 0 };
  private pendingGets: PendingGet[] = [];
  private getFlushScheduled = false;
  private writing = false;
  private closed = false;

  private constructor(
    private readonly db: NativeDb,
    private readonly dataDir: string,
    readonly dataVersion: DataVersion,
    appliedDecree: number,
    private readonly options: RocksStoreOptions,
  ) {
    this.appliedDecree = appliedDecree;
  }

  static async open(dataDir: string, options: RocksStoreOptions = {}): Promise<RocksStore> {
    await mkdir(dataDir, { recursive: true });
    const db = await native(() => openDb(join(dataDir, 'rdb'), { ...options.rocksdb, createIfMissing: true }));
    try {
      let version = parseDecimal(nativeSync(() => db.getSync(CF_META, Buffer.from(META_KEY_DATA_VERSION))), META_KEY_DATA_VERSION);
      let decree = parseDecimal(nativeSync(() => db.getSync(CF_META, Buffer.from(META_KEY_LAST_FLUSHED_DECREE))), META_KEY_LAST_FLUSHED_DECREE);
      if (version === undefined) {
        // A new store: record its data version and decree 0 durably before anything else.
        version = options.dataVersion ?? DATA_VERSION_LATEST;
        decree = 0;
        const batch = new WriteBatchBuilder();
        batch.put(CF_META, Buffer.from(META_KEY_DATA_VERSION), Buffer.from(String(version)));
        batch.put(CF_META, Buffer.from(META_KEY_LAST_FLUSHED_DECREE), encodeDecree(0));
        await native(() => db.write(batch.toBuffer()));
        await native(() => db.flush());
      }
      if (version !== 0 && version !== 1) throw new PegasusError('ERR_LOCAL_APP_FAILURE', `unsupported data version ${version}`);
      return new RocksStore(db, dataDir, version, decree ?? 0, options);
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /**
   * Makes `<dataDir>/rdb` a copy of the checkpoint at `checkpointDir` (hard links where the file system
   * allows: SST files are immutable) and opens it. Used when a learner receives a checkpoint (LT_APP).
   */
  static async restoreFromCheckpoint(checkpointDir: string, dataDir: string, options: RocksStoreOptions = {}): Promise<RocksStore> {
    const target = join(dataDir, 'rdb');
    const exists = await stat(target).then(() => true, () => false);
    if (exists) throw new PegasusError('ERR_PATH_ALREADY_EXIST', `${target} already holds a store`);
    const files = await readdir(checkpointDir).catch((e: unknown) => {
      throw new PegasusError('ERR_PATH_NOT_FOUND', `no checkpoint at ${checkpointDir}`, { cause: e });
    });
    const staging = `${target}.restoring`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    for (const name of files) {
      const from = join(checkpointDir, name);
      const to = join(staging, name);
      await link(from, to).catch(() => copyFile(from, to));
    }
    await rename(staging, target);
    return RocksStore.open(dataDir, options);
  }

  lastAppliedDecree(): number {
    return this.appliedDecree;
  }

  lastFlushedDecree(): number {
    this.checkOpen();
    // With the WAL off, the persisted tier skips memtables: this is what a crash would leave.
    const raw = nativeSync(() => this.db.getPersistedSync(CF_META, Buffer.from(META_KEY_LAST_FLUSHED_DECREE)));
    return parseDecimal(raw, META_KEY_LAST_FLUSHED_DECREE) ?? 0;
  }

  newBatch(): StoreWriteBatch {
    return new RocksWriteBatch();
  }

  async write(decree: number, batch: StoreWriteBatch): Promise<void> {
    this.checkOpen();
    assert(batch instanceof RocksWriteBatch, 'RocksStore got a batch of another store');
    assert(!this.writing, 'overlapping writes to one RocksStore');
    assert(Number.isSafeInteger(decree) && decree > this.appliedDecree, `decree ${decree} written after ${this.appliedDecree}`);
    batch.builder.put(CF_META, Buffer.from(META_KEY_LAST_FLUSHED_DECREE), encodeDecree(decree));
    const buffer = batch.builder.toBuffer();
    this.writing = true;
    try {
      if (this.writeOnLoop()) nativeSync(() => this.db.writeSync(buffer));
      else await native(() => this.db.write(buffer));
      this.appliedDecree = decree;
    } finally {
      this.writing = false;
    }
  }

  private writeOnLoop(): boolean {
    const mode = this.options.writeMode ?? 'auto';
    if (mode !== 'auto') return mode === 'sync';
    return this.db.getProperty('rocksdb.is-write-stopped') === '0' && this.db.getProperty('rocksdb.actual-delayed-write-rate') === '0';
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    this.checkOpen();
    let cached: Buffer | undefined | null;
    try {
      cached = nativeSync(() => this.db.getCachedSync(CF_DATA, key));
    } catch (e) {
      return Promise.reject(e);
    }
    if (cached !== null) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      this.pendingGets.push({ key, resolve, reject });
      if (this.pendingGets.length >= COALESCED_GETS_MAX) this.flushGets();
      else if (!this.getFlushScheduled) {
        this.getFlushScheduled = true;
        queueMicrotask(() => this.flushGets());
      }
    });
  }

  private flushGets(): void {
    this.getFlushScheduled = false;
    const gets = this.pendingGets;
    if (gets.length === 0) return;
    this.pendingGets = [];
    native(() => this.db.multiGet(CF_DATA, gets.map((g) => g.key))).then(
      (values) => gets.forEach((g, i) => g.resolve(values[i])),
      (error: unknown) => gets.forEach((g) => g.reject(error)),
    );
  }

  multiGet(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    this.checkOpen();
    if (keys.length === 0) return Promise.resolve([]);
    return native(() => this.db.multiGet(CF_DATA, keys));
  }

  iterator(options: IteratorOptions): StoreIterator {
    this.checkOpen();
    return new RocksIterator(
      nativeSync(() =>
        this.db.iterator({
          cf: CF_DATA,
          reverse: options.reverse,
          ...(options.lower ? { lower: options.lower } : {}),
          ...(options.upper ? { upper: options.upper } : {}),
        }),
      ),
    );
  }

  flush(): Promise<void> {
    this.checkOpen();
    return native(() => this.db.flush());
  }

  setCompactionParams(params: Partial<CompactionParams>): void {
    this.compaction = { ...this.compaction, ...params };
    this.db.setCompactionParams(this.compaction);
  }

  async compact(): Promise<void> {
    this.checkOpen();
    if (this.options.nowMs && this.compaction.nowEpochSecondsOverride < 0) {
      // A store driven by a virtual clock compacts at that clock's time.
      this.db.setCompactionParams({ ...this.compaction, nowEpochSecondsOverride: epochNowSeconds(this.options.nowMs()) });
      try {
        await native(() => this.db.compactRange());
      } finally {
        this.db.setCompactionParams(this.compaction);
      }
      return;
    }
    await native(() => this.db.compactRange());
  }

  async createCheckpoint(): Promise<number> {
    this.checkOpen();
    // A background flush may land while the checkpoint is taken, so its decree is read from the
    // checkpoint itself, never guessed beforehand.
    const staging = join(this.dataDir, `checkpoint.tmp.${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    await native(() => this.db.checkpoint(staging));
    let decree: number;
    const snapshot = await native(() => openDb(staging, { createIfMissing: false, readOnly: true }));
    try {
      decree = parseDecimal(nativeSync(() => snapshot.getSync(CF_META, Buffer.from(META_KEY_LAST_FLUSHED_DECREE))), META_KEY_LAST_FLUSHED_DECREE) ?? 0;
    } finally {
      await snapshot.close();
    }
    const target = this.checkpointPath(decree);
    const exists = await stat(target).then(() => true, () => false);
    if (exists) await rm(staging, { recursive: true, force: true });
    else await rename(staging, target);
    return decree;
  }

  async listCheckpoints(): Promise<CheckpointInfo[]> {
    const out: CheckpointInfo[] = [];
    for (const name of await readdir(this.dataDir)) {
      const decree = parseCheckpointDirName(name);
      if (decree === undefined) continue;
      // Upstream dates a checkpoint by its CURRENT file: the directory's mtime moves during a partial GC.
      const current = await stat(join(this.dataDir, name, 'CURRENT')).catch(() => undefined);
      out.push({ decree, createdMs: current?.mtimeMs ?? 0 });
    }
    return out.sort((a, b) => a.decree - b.decree);
  }

  async removeCheckpoint(decree: number): Promise<void> {
    await rm(this.checkpointPath(decree), { recursive: true, force: true });
  }

  checkpointPath(decree: number): string {
    return join(this.dataDir, checkpointDirName(decree));
  }

  /** A RocksDB property of the data column family (e.g. rocksdb.estimate-num-keys). */
  property(name: string): string | undefined {
    this.checkOpen();
    return this.db.getProperty(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gets = this.pendingGets;
    this.pendingGets = [];
    for (const g of gets) g.reject(new PegasusError('ERR_INVALID_STATE', 'store closed'));
    await this.db.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new PegasusError('ERR_INVALID_STATE', 'store is closed');
  }
}
