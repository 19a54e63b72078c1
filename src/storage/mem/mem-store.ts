/**
 * PartitionStore in memory, for the simulator. It reproduces what matters of RocksDB with the WAL off:
 * applied writes live in a "memtable" until a flush copies them into the durable image on the MemDisk, and
 * a memtable that outgrows `memtableBytesMax` flushes by itself (RocksDB's write buffer), so a crash loses
 * exactly the unflushed tail. Trees are copy-on-write B+ trees: a flush, a checkpoint or an iterator snapshot
 * is an O(1) clone.
 */
import { assert } from '../../base/assert.ts';
import { PegasusError } from '../../base/error-code.ts';
import { epochNowSeconds, type DataVersion, DATA_VERSION_LATEST } from '../../base/value-schema.ts';
import { decideCompaction } from '../compaction-rules.ts';
import {
  META_KEY_DATA_VERSION,
  META_KEY_LAST_FLUSHED_DECREE,
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
import { BTree } from './btree.ts';
import { MemDisk, type DurableImage } from './mem-disk.ts';

export interface MemStoreOptions {
  /** Unix milliseconds, for checkpoint times and the TTL rules (the simulator's clock). */
  nowMs: () => number;
  /** Bytes of applied writes after which the store flushes by itself; 0 = only explicit flushes. */
  memtableBytesMax?: number;
  dataVersion?: DataVersion;
}

type Op = { kind: 'put'; key: Buffer; value: Buffer } | { kind: 'delete'; key: Buffer };

class MemWriteBatch implements StoreWriteBatch {
  readonly ops: Op[] = [];
  bytes = 0;
  put(key: Buffer, value: Buffer): void {
    this.ops.push({ kind: 'put', key: Buffer.from(key), value: Buffer.from(value) });
    this.bytes += key.length + value.length;
  }
  delete(key: Buffer): void {
    this.ops.push({ kind: 'delete', key: Buffer.from(key) });
    this.bytes += key.length;
  }
  get count(): number {
    return this.ops.length;
  }
}

class MemIterator implements StoreIterator {
  private entries: IterableIterator<[Buffer, Buffer]> | undefined;
  private pending: [Buffer, Buffer] | undefined;
  private closed = false;

  constructor(
    private readonly tree: BTree<Buffer, Buffer>,
    private readonly options: IteratorOptions,
  ) {}

  private inBounds(key: Buffer): boolean {
    if (this.options.lower && Buffer.compare(key, this.options.lower) < 0) return false;
    if (this.options.upper && Buffer.compare(key, this.options.upper) >= 0) return false;
    return true;
  }

  seek(key: Buffer): void {
    this.checkOpen();
    let target = key;
    if (this.options.reverse) {
      if (this.options.upper && Buffer.compare(target, this.options.upper) >= 0) {
        this.entries = this.tree.entriesReversed(this.options.upper, undefined, true);
      } else {
        this.entries = this.tree.entriesReversed(target);
      }
    } else {
      if (this.options.lower && Buffer.compare(target, this.options.lower) < 0) target = this.options.lower;
      this.entries = this.tree.entries(target);
    }
    this.pending = undefined;
  }

  seekToStart(): void {
    this.checkOpen();
    if (this.options.reverse) {
      this.entries = this.options.upper
        ? this.tree.entriesReversed(this.options.upper, undefined, true)
        : this.tree.entriesReversed();
    } else {
      this.entries = this.tree.entries(this.options.lower);
    }
    this.pending = undefined;
  }

  private nextEntry(): [Buffer, Buffer] | undefined {
    if (this.pending) {
      const entry = this.pending;
      this.pending = undefined;
      return entry;
    }
    const step = this.entries!.next();
    if (step.done) return undefined;
    const entry: [Buffer, Buffer] = [step.value[0], step.value[1]];
    return this.inBounds(entry[0]) ? entry : undefined;
  }

  async read(maxCount: number, maxBytes: number): Promise<IteratorBatch> {
    this.checkOpen();
    assert(this.entries !== undefined, 'iterator read before seek');
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    let bytes = 0;
    let done = false;
    while (keys.length < maxCount && (keys.length === 0 || bytes < maxBytes)) {
      const entry = this.nextEntry();
      if (entry === undefined) {
        done = true;
        break;
      }
      keys.push(entry[0]);
      values.push(entry[1]);
      bytes += entry[0].length + entry[1].length;
    }
    if (!done) {
      // Look one ahead so `done` is exact, as RocksDB's iterator validity is.
      this.pending = this.nextEntry();
      done = this.pending === undefined;
      if (done) this.entries = [][Symbol.iterator]() as IterableIterator<[Buffer, Buffer]>;
    }
    return { keys, values, done };
  }

  close(): void {
    this.closed = true;
    this.entries = undefined;
    this.pending = undefined;
  }

  private checkOpen(): void {
    if (this.closed) throw new PegasusError('ERR_INVALID_STATE', 'iterator is closed');
  }
}

export class MemStore implements PartitionStore {
  private data: BTree<Buffer, Buffer>;
  private meta: Map<string, string>;
  private appliedDecree: number;
  private flushedDecree: number;
  private unflushedBytes = 0;
  private compaction: CompactionParams = { nowEpochSecondsOverride: -1, defaultTtlSeconds: 0 };
  private closed = false;
  readonly dataVersion: DataVersion;

  private constructor(
    private readonly disk: MemDisk,
    private readonly dataDir: string,
    private readonly options: MemStoreOptions,
    image: DurableImage,
  ) {
    this.data = image.data.clone();
    this.meta = new Map(image.meta);
    this.appliedDecree = Number(this.meta.get(META_KEY_LAST_FLUSHED_DECREE) ?? '0');
    this.flushedDecree = this.appliedDecree;
    this.dataVersion = Number(this.meta.get(META_KEY_DATA_VERSION) ?? String(DATA_VERSION_LATEST)) as DataVersion;
  }

  private static rdbPath(dataDir: string): string {
    return `${dataDir}/rdb`;
  }

  /** Opens the durable image under `dataDir`, or creates an empty store there. */
  static async open(disk: MemDisk, dataDir: string, options: MemStoreOptions): Promise<MemStore> {
    const path = MemStore.rdbPath(dataDir);
    let image = disk.get(path);
    if (image === undefined) {
      const meta = new Map<string, string>([
        [META_KEY_LAST_FLUSHED_DECREE, '0'],
        [META_KEY_DATA_VERSION, String(options.dataVersion ?? DATA_VERSION_LATEST)],
      ]);
      image = { data: new BTree<Buffer, Buffer>(undefined, Buffer.compare), meta, createdMs: options.nowMs() };
      disk.set(path, image);
    }
    return new MemStore(disk, dataDir, options, image);
  }

  /** Makes `dataDir` a copy of the checkpoint at `checkpointPath` (a learner's LT_APP) and opens it. */
  static async restoreFromCheckpoint(disk: MemDisk, checkpointPath: string, dataDir: string, options: MemStoreOptions): Promise<MemStore> {
    const image = disk.get(checkpointPath);
    if (image === undefined) throw new PegasusError('ERR_PATH_NOT_FOUND', `no checkpoint at ${checkpointPath}`);
    const path = MemStore.rdbPath(dataDir);
    if (disk.has(path)) throw new PegasusError('ERR_PATH_ALREADY_EXIST', `${path} already holds a store`);
    disk.set(path, { data: image.data.clone(), meta: new Map(image.meta), createdMs: options.nowMs() });
    return MemStore.open(disk, dataDir, options);
  }

  lastAppliedDecree(): number {
    return this.appliedDecree;
  }

  lastFlushedDecree(): number {
    return this.flushedDecree;
  }

  newBatch(): StoreWriteBatch {
    return new MemWriteBatch();
  }

  async write(decree: number, batch: StoreWriteBatch): Promise<void> {
    this.checkOpen();
    assert(batch instanceof MemWriteBatch, 'MemStore got a batch of another store');
    assert(Number.isSafeInteger(decree) && decree > this.appliedDecree, `decree ${decree} written after ${this.appliedDecree}`);
    for (const op of batch.ops) {
      if (op.kind === 'put') this.data.set(op.key, op.value);
      else this.data.delete(op.key);
    }
    this.meta.set(META_KEY_LAST_FLUSHED_DECREE, String(decree));
    this.appliedDecree = decree;
    this.unflushedBytes += batch.bytes + 32;
    const limit = this.options.memtableBytesMax ?? 0;
    if (limit > 0 && this.unflushedBytes >= limit) this.flushNow();
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.checkOpen();
    return this.data.get(key);
  }

  async multiGet(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    this.checkOpen();
    return keys.map((key) => this.data.get(key));
  }

  iterator(options: IteratorOptions): StoreIterator {
    this.checkOpen();
    return new MemIterator(this.data.clone(), options);
  }

  async flush(): Promise<void> {
    this.checkOpen();
    this.flushNow();
  }

  private flushNow(): void {
    const path = MemStore.rdbPath(this.dataDir);
    const previous = this.disk.get(path);
    this.disk.set(path, { data: this.data.clone(), meta: new Map(this.meta), createdMs: previous?.createdMs ?? this.options.nowMs() });
    this.flushedDecree = this.appliedDecree;
    this.unflushedBytes = 0;
  }

  setCompactionParams(params: Partial<CompactionParams>): void {
    this.compaction = { ...this.compaction, ...params };
  }

  async compact(): Promise<void> {
    this.checkOpen();
    // RocksDB's CompactRange flushes the memtable first, then rewrites every file through the filter.
    this.flushNow();
    const now =
      this.compaction.nowEpochSecondsOverride >= 0
        ? this.compaction.nowEpochSecondsOverride
        : epochNowSeconds(this.options.nowMs());
    const changes: Array<[Buffer, Buffer | undefined]> = [];
    this.data.forEachPair((key, value) => {
      const decision = decideCompaction(value, now, this.compaction.defaultTtlSeconds);
      if (decision.action === 'drop') changes.push([key, undefined]);
      else if (decision.action === 'change') changes.push([key, decision.value]);
    });
    for (const [key, value] of changes) {
      if (value === undefined) this.data.delete(key);
      else this.data.set(key, value);
    }
    this.flushNow();
  }

  async createCheckpoint(): Promise<number> {
    this.checkOpen();
    const durable = this.disk.get(MemStore.rdbPath(this.dataDir));
    assert(durable !== undefined, 'a MemStore lost its durable image');
    const decree = Number(durable.meta.get(META_KEY_LAST_FLUSHED_DECREE) ?? '0');
    const path = this.checkpointPath(decree);
    if (!this.disk.has(path)) {
      this.disk.set(path, { data: durable.data.clone(), meta: new Map(durable.meta), createdMs: this.options.nowMs() });
    }
    return decree;
  }

  async listCheckpoints(): Promise<CheckpointInfo[]> {
    const out: CheckpointInfo[] = [];
    for (const name of this.disk.list(this.dataDir)) {
      const decree = parseCheckpointDirName(name);
      if (decree === undefined) continue;
      out.push({ decree, createdMs: this.disk.get(`${this.dataDir}/${name}`)!.createdMs });
    }
    return out.sort((a, b) => a.decree - b.decree);
  }

  async removeCheckpoint(decree: number): Promise<void> {
    this.disk.delete(this.checkpointPath(decree));
  }

  checkpointPath(decree: number): string {
    return `${this.dataDir}/${checkpointDirName(decree)}`;
  }

  /** A clean close flushes, as RocksDB does on close when the WAL is off; a crash is simply not closing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushNow();
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new PegasusError('ERR_INVALID_STATE', 'store is closed');
  }
}
