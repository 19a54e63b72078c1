/**
 * One partition's data service (upstream `pegasus_server_impl` as seen by the replica): the rrdb read
 * operations, the write path that applies a mutation at a decree, scanners, and the table settings that
 * reach storage (`default_ttl`, `replica.split.validate_partition_hash`). The replica owns one per replica
 * and calls it from its single logical thread; it never touches the world except through its store and
 * clock.
 */
import type {
  BatchGetRequest,
  BatchGetResponse,
  CountResponse,
  GetScannerRequest,
  MultiGetRequest,
  MultiGetResponse,
  ReadResponse,
  ScanRequest,
  ScanResponse,
  TtlResponse,
} from '../../idl/rrdb.ts';
import { gcCheckpoints, type CheckpointReserve } from '../checkpoint-policy.ts';
import { StoreError, type PartitionStore } from '../partition-store.ts';
import type { Clock } from './clock.ts';
import type { Gpid } from '../../base/gpid.ts';
import type { RrdbContext } from './context.ts';
import { DEFAULT_RANGE_READ_LIMITS, type RangeReadLimits } from './range-limiter.ts';
import { ReadService } from './read-service.ts';
import { DEFAULT_SCANNER_OPTIONS, ScanService, type ScannerOptions } from './scan-service.ts';
import { WriteService, type WriteRequest, type WriteResponse } from './write-service.ts';

export interface PartitionDbOptions {
  gpid: Gpid;
  server: string;
  clock: Clock;
  /** `[duplication-group]` id of the local cluster, written into every timetag. */
  clusterId?: number;
  limits?: Partial<RangeReadLimits>;
  scanners?: Partial<ScannerOptions>;
  partitionVersion?: number;
  validatePartitionHash?: boolean;
}

export class PartitionDb {
  private readonly context: RrdbContext;
  private readonly reads: ReadService;
  private readonly scans: ScanService;
  private readonly writes: WriteService;
  private durableDecree = 0;

  constructor(
    readonly store: PartitionStore,
    options: PartitionDbOptions,
  ) {
    this.context = {
      store,
      gpid: options.gpid,
      server: options.server,
      clock: options.clock,
      limits: { ...DEFAULT_RANGE_READ_LIMITS, ...options.limits },
      partitionVersion: options.partitionVersion ?? -1,
      validatePartitionHash: options.validatePartitionHash ?? false,
      defaultTtlSeconds: 0,
    };
    this.reads = new ReadService(this.context);
    this.scans = new ScanService(this.context, { ...DEFAULT_SCANNER_OPTIONS, ...options.scanners });
    this.writes = new WriteService(this.context, options.clusterId ?? 1);
  }

  get(key: Buffer): Promise<ReadResponse> {
    return this.guard(() => this.reads.get(key), (error) => ({ error, value: Buffer.alloc(0), ...this.origin() }));
  }

  multiGet(request: MultiGetRequest): Promise<MultiGetResponse> {
    return this.guard(() => this.reads.multiGet(request), (error) => ({ error, kvs: [], ...this.origin() }));
  }

  batchGet(request: BatchGetRequest): Promise<BatchGetResponse> {
    return this.guard(() => this.reads.batchGet(request), (error) => ({ error, data: [], ...this.origin() }));
  }

  sortkeyCount(hashKey: Buffer): Promise<CountResponse> {
    return this.guard(() => this.reads.sortkeyCount(hashKey), (error) => ({ error, count: 0, ...this.origin() }));
  }

  ttl(key: Buffer): Promise<TtlResponse> {
    return this.guard(() => this.reads.ttl(key), (error) => ({ error, ttlSeconds: 0, ...this.origin() }));
  }

  getScanner(request: GetScannerRequest): Promise<ScanResponse> {
    return this.guard(() => this.scans.getScanner(request), (error) => ({ error, kvs: [], contextId: -1, ...this.origin() }));
  }

  scan(request: ScanRequest): Promise<ScanResponse> {
    return this.guard(() => this.scans.scan(request), (error) => ({ error, kvs: [], contextId: -1, ...this.origin() }));
  }

  clearScanner(contextId: number): void {
    this.scans.clearScanner(contextId);
  }

  /** Drops scanners idle past their limit; returns how many. */
  expireIdleScanners(): number {
    return this.scans.expireIdle();
  }

  get liveScanners(): number {
    return this.scans.liveScanners;
  }

  /**
   * Applies the mutation at `decree` (the next one). A storage failure here is not a client error: it
   * rejects, and the replica must treat it as a local failure (upstream: the replica goes to ERROR).
   */
  apply(decree: number, timestampUs: number, requests: WriteRequest[]): Promise<WriteResponse[]> {
    return this.writes.apply(decree, timestampUs, requests);
  }

  lastAppliedDecree(): number {
    return this.store.lastAppliedDecree();
  }

  /** Decree of the last batch that would survive a crash now (upstream's last_flushed_decree). */
  lastFlushedDecree(): number {
    return this.store.lastFlushedDecree();
  }

  /**
   * Upstream's `sync_checkpoint`: flush, then checkpoint at the applied decree. Returns its decree.
   * Used when a checkpoint must cover everything applied (learning, backup, before ingestion).
   */
  async syncCheckpoint(): Promise<number> {
    await this.store.flush();
    const decree = await this.store.createCheckpoint();
    this.durableDecree = Math.max(this.durableDecree, decree);
    return decree;
  }

  /**
   * Upstream's `async_checkpoint` (the periodic path): checkpoints only what RocksDB has already flushed,
   * and does nothing when that is not newer than the last checkpoint. Returns the new decree, if any.
   */
  async asyncCheckpoint(): Promise<number | undefined> {
    if (this.store.lastFlushedDecree() <= this.durableDecree) return undefined;
    const decree = await this.store.createCheckpoint();
    this.durableDecree = Math.max(this.durableDecree, decree);
    return decree;
  }

  /** The decree of the newest checkpoint (upstream's last_durable_decree): plog GC may drop up to it. */
  lastDurableDecree(): number {
    return this.durableDecree;
  }

  /** Re-reads the checkpoints on disk (at open, after a GC), as upstream's `parse_checkpoints`. */
  async loadCheckpoints(): Promise<number> {
    const checkpoints = await this.store.listCheckpoints();
    this.durableDecree = checkpoints.at(-1)?.decree ?? 0;
    return this.durableDecree;
  }

  /** Deletes old checkpoints by the reserve rules; returns the deleted decrees. */
  async gcCheckpoints(reserve: CheckpointReserve, nowMs: number): Promise<number[]> {
    return gcCheckpoints(this.store, reserve, nowMs);
  }

  /** Table env `default_ttl` (seconds, 0 = none), applied by compaction. */
  setDefaultTtl(seconds: number): void {
    const defaultTtlSeconds = Math.max(0, Math.floor(seconds));
    this.context.defaultTtlSeconds = defaultTtlSeconds;
    this.store.setCompactionParams({ defaultTtlSeconds });
  }

  setPartitionVersion(partitionVersion: number): void {
    this.context.partitionVersion = partitionVersion;
  }

  setValidatePartitionHash(enabled: boolean): void {
    this.context.validatePartitionHash = enabled;
  }

  async close(): Promise<void> {
    this.scans.closeAll();
    await this.store.close();
  }

  private origin(): { appId: number; partitionIndex: number; server: string } {
    return { appId: this.context.gpid.appId, partitionIndex: this.context.gpid.partitionIndex, server: this.context.server };
  }

  /** A storage failure during a read is answered with its RocksDB status code, as upstream does. */
  private async guard<T>(read: () => Promise<T>, failed: (status: number) => T): Promise<T> {
    try {
      return await read();
    } catch (e) {
      if (e instanceof StoreError) return failed(e.status);
      throw e;
    }
  }
}
