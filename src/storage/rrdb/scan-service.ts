/**
 * Scanners: get_scanner opens a range over composite keys and returns the first batch; scan continues a
 * context; clear_scanner drops one (upstream `on_get_scanner`, `on_scan`, `on_clear_scanner`). A context keeps
 * its store iterator, hence its snapshot, between calls. Contexts idle for `scannerIdleMsMax` (upstream:
 * 5 minutes) are dropped, and at most `scannersMax` live at once: past that the least recently used is dropped,
 * so a client that never clears its scanners cannot pin unbounded snapshots.
 */
import { StorageStatus } from '../../base/error-code.ts';
import { checkKeyHash, hashKeyPrefix, isWellFormedKey, prefixSuccessor, restoreKey } from '../../base/key-schema.ts';
import { extractExpireTs, extractUserData, isExpired } from '../../base/value-schema.ts';
import {
  FilterType,
  SCAN_CONTEXT_ID_COMPLETED,
  type GetScannerRequest,
  type KeyValue,
  type ScanRequest,
  type ScanResponse,
} from '../../idl/rrdb.ts';
import { type RrdbContext, epochNow, origin } from './context.ts';
import { RangeCursor } from './cursor.ts';
import { isFilterTypeSupported, matchFilter } from './filter.ts';
import { RangeReadLimiter } from './range-limiter.ts';

const EMPTY = Buffer.alloc(0);

export interface ScannerOptions {
  scannerIdleMsMax: number;
  scannersMax: number;
}

export const DEFAULT_SCANNER_OPTIONS: ScannerOptions = { scannerIdleMsMax: 5 * 60 * 1000, scannersMax: 1024 };

interface ScanContext {
  cursor: RangeCursor;
  /** Undefined: no upper bound. */
  stop: Buffer | undefined;
  stopInclusive: boolean;
  hashKeyFilterType: number;
  hashKeyFilterPattern: Buffer;
  sortKeyFilterType: number;
  sortKeyFilterPattern: Buffer;
  batchCount: number;
  noValue: boolean;
  validatePartitionHash: boolean;
  returnExpireTs: boolean;
  onlyReturnCount: boolean;
  lastUsedMs: number;
}

type RowState = 'normal' | 'expired' | 'filtered' | 'hash-invalid';

export class ScanService {
  /** Insertion order is use order: a used context is re-inserted under a new id, as upstream re-puts it. */
  private readonly contexts = new Map<number, ScanContext>();
  private nextContextId = 1;

  constructor(
    private readonly context: RrdbContext,
    private readonly options: ScannerOptions = DEFAULT_SCANNER_OPTIONS,
  ) {}

  async getScanner(request: GetScannerRequest): Promise<ScanResponse> {
    const response: ScanResponse = { error: StorageStatus.kOk, kvs: [], contextId: SCAN_CONTEXT_ID_COMPLETED, ...origin(this.context) };
    if (!isFilterTypeSupported(request.hashKeyFilterType) || !isFilterTypeSupported(request.sortKeyFilterType)) {
      response.error = StorageStatus.kInvalidArgument;
      return response;
    }
    let start = request.startKey;
    let startInclusive = request.startInclusive;
    const stop = request.stopKey.length > 0 ? request.stopKey : undefined;
    const stopInclusive = request.stopInclusive;
    // A start key that is not a well-formed composite key names no hash key: scan in total order.
    const startHashKey = isWellFormedKey(start) ? restoreKey(start).hashKey : EMPTY;
    const totalOrder = startHashKey.length === 0 || request.fullScan === true;
    // Keys are not ordered by hash key across lengths, so a hash-key prefix filter can only raise the start.
    if (request.hashKeyFilterType === FilterType.FT_MATCH_PREFIX && request.hashKeyFilterPattern.length > 0) {
      const prefixStart = hashKeyPrefix(request.hashKeyFilterPattern);
      if (Buffer.compare(prefixStart, start) > 0) {
        start = prefixStart;
        startInclusive = true;
      }
    }
    if (stop !== undefined) {
      const c = Buffer.compare(start, stop);
      if (c > 0 || (c === 0 && (!startInclusive || !stopInclusive))) return response;
    }
    // A scan that starts inside a hash key stays inside it (upstream's prefix_same_as_start).
    const upper = totalOrder ? undefined : prefixSuccessor(hashKeyPrefix(startHashKey));
    const iterator = this.context.store.iterator({ reverse: false, ...(upper ? { upper } : {}) });
    const limits = this.context.limits;
    let batchCount = limits.maxIterationCount;
    if (request.batchSize > 0 && request.batchSize < batchCount) batchCount = request.batchSize;
    const cursor = new RangeCursor(iterator, Math.min(batchCount + 1, limits.maxIterationCount + 1));
    iterator.seek(start);
    const scanContext: ScanContext = {
      cursor,
      stop,
      stopInclusive,
      hashKeyFilterType: request.hashKeyFilterType,
      hashKeyFilterPattern: request.hashKeyFilterPattern,
      sortKeyFilterType: request.sortKeyFilterType,
      sortKeyFilterPattern: request.sortKeyFilterPattern,
      batchCount,
      noValue: request.noValue,
      validatePartitionHash: request.validatePartitionHash ?? true,
      returnExpireTs: request.returnExpireTs ?? false,
      onlyReturnCount: request.onlyReturnCount ?? false,
      lastUsedMs: this.context.clock.nowMs(),
    };
    return this.readBatch(scanContext, response, startInclusive ? undefined : start);
  }

  async scan(request: ScanRequest): Promise<ScanResponse> {
    const response: ScanResponse = { error: StorageStatus.kOk, kvs: [], contextId: SCAN_CONTEXT_ID_COMPLETED, ...origin(this.context) };
    const scanContext = this.take(request.contextId);
    if (scanContext === undefined) {
      response.error = StorageStatus.kNotFound;
      return response;
    }
    return this.readBatch(scanContext, response, undefined);
  }

  clearScanner(contextId: number): void {
    this.take(contextId)?.cursor.close();
  }

  /** Drops contexts idle longer than `scannerIdleMsMax`; the owner calls it from a timer. */
  expireIdle(): number {
    const now = this.context.clock.nowMs();
    let dropped = 0;
    for (const [id, scanContext] of this.contexts) {
      if (now - scanContext.lastUsedMs <= this.options.scannerIdleMsMax) break;
      this.contexts.delete(id);
      scanContext.cursor.close();
      dropped++;
    }
    return dropped;
  }

  get liveScanners(): number {
    return this.contexts.size;
  }

  closeAll(): void {
    for (const scanContext of this.contexts.values()) scanContext.cursor.close();
    this.contexts.clear();
  }

  private take(contextId: number): ScanContext | undefined {
    this.expireIdle();
    const scanContext = this.contexts.get(contextId);
    if (scanContext !== undefined) this.contexts.delete(contextId);
    return scanContext;
  }

  private put(scanContext: ScanContext): number {
    while (this.contexts.size >= this.options.scannersMax) {
      const [oldestId, oldest] = this.contexts.entries().next().value as [number, ScanContext];
      this.contexts.delete(oldestId);
      oldest.cursor.close();
    }
    const id = this.nextContextId++;
    scanContext.lastUsedMs = this.context.clock.nowMs();
    this.contexts.set(id, scanContext);
    return id;
  }

  /** One batch; `skipFirst` is an exclusive start key to discard if it is the first row. */
  private async readBatch(scanContext: ScanContext, response: ScanResponse, skipFirst: Buffer | undefined): Promise<ScanResponse> {
    const limits = this.context.limits;
    const limiter = new RangeReadLimiter(this.context.clock, limits.maxIterationCount, 0, limits.iterationThresholdTimeMs);
    const cursor = scanContext.cursor;
    const version = this.context.store.dataVersion;
    const now = epochNow(this.context);
    let count = 0;
    let complete = false;
    let keep = false;
    try {
      while (count < scanContext.batchCount && limiter.valid() && (cursor.buffered() || (await cursor.fill()))) {
        const key = cursor.key();
        const c = scanContext.stop === undefined ? -1 : Buffer.compare(key, scanContext.stop);
        if (c > 0 || (c === 0 && !scanContext.stopInclusive)) {
          complete = true;
          break;
        }
        if (skipFirst !== undefined) {
          const first = skipFirst;
          skipFirst = undefined;
          if (key.equals(first)) {
            cursor.next();
            continue;
          }
        }
        limiter.addCount();
        const raw = cursor.value();
        if (this.rowState(scanContext, key, raw, now) === 'normal') {
          count++;
          if (!scanContext.onlyReturnCount) response.kvs.push(this.keyValue(scanContext, key, raw, version));
        }
        if (c === 0) {
          complete = true;
          break;
        }
        cursor.next();
      }
      if (scanContext.onlyReturnCount) response.kvCount = count;
      if (!complete) limiter.timeCheckAfterIncompleteScan();
      if (limiter.exceedLimit()) {
        // Upstream answers the partial batch as incomplete and drops the context.
        response.error = StorageStatus.kIncomplete;
      } else if (!complete && (await cursor.valid())) {
        response.contextId = this.put(scanContext);
        keep = true;
      }
    } finally {
      if (!keep) cursor.close();
    }
    return response;
  }

  private rowState(scanContext: ScanContext, key: Buffer, raw: Buffer, now: number): RowState {
    if (isExpired(extractExpireTs(this.context.store.dataVersion, raw), now)) return 'expired';
    if (scanContext.validatePartitionHash && this.context.validatePartitionHash) {
      const version = this.context.partitionVersion;
      const pidx = this.context.gpid.partitionIndex;
      if (version < 0 || pidx > version || !checkKeyHash(key, pidx, version)) return 'hash-invalid';
    }
    if (scanContext.hashKeyFilterType !== FilterType.FT_NO_FILTER || scanContext.sortKeyFilterType !== FilterType.FT_NO_FILTER) {
      const { hashKey, sortKey } = restoreKey(key);
      if (!matchFilter(scanContext.hashKeyFilterType, scanContext.hashKeyFilterPattern, hashKey)) return 'filtered';
      if (!matchFilter(scanContext.sortKeyFilterType, scanContext.sortKeyFilterPattern, sortKey)) return 'filtered';
    }
    return 'normal';
  }

  private keyValue(scanContext: ScanContext, key: Buffer, raw: Buffer, version: 0 | 1): KeyValue {
    const kv: KeyValue = { key: Buffer.from(key), value: scanContext.noValue ? EMPTY : extractUserData(version, raw) };
    if (scanContext.returnExpireTs) kv.expireTsSeconds = extractExpireTs(version, raw);
    return kv;
  }
}
