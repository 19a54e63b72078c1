/**
 * Scanners: a hash scanner (one hash key's sort-key range, one partition) or an unordered scanner (whole
 * partitions, full_scan). Async-iterable; each batch is one RPC under its own deadline.
 *
 * The scan protocol (protocol.md §4.4): GET_SCANNER opens a server-side context and returns the first batch
 * and a context id; SCAN(context id) returns the next batches; context id -1 means finished.
 *
 * A lost context (the server restarted, the partition moved, the 5-minute idle expiry) answers SCAN with
 * kNotFound. Like the Java client (`PegasusScanner.onRecvRpcResponse` → `asyncStartScan`), we then open a
 * new context with GET_SCANNER from the last key received, exclusive, so nothing is returned twice or
 * skipped; after SCAN_RESTARTS_MAX restarts in a row without a new kv we give up with kNotFound. A SCAN
 * whose RPC fails (after the router's retries) rejects `next()`, and the next `next()` restarts the same way.
 * A count-only scan cannot resume (it has no last key), so there a lost context is an error.
 *
 * kIncomplete (the server's iteration limits) delivers the batch and then fails the scan, as Java does.
 * Leaving early (`break`, `return()`, `close()`) sends the oneway CLEAR_SCANNER for an open context.
 */
import { StorageStatus } from '../base/error-code.ts';
import { restoreKey } from '../base/key-schema.ts';
import { RRDB_RPCS } from '../idl/codec/rrdb-rpcs.ts';
import { SCAN_CONTEXT_ID_COMPLETED, type GetScannerRequest, type KeyValue, type ScanResponse } from '../idl/rrdb.ts';
import { Deadline } from './deadline.ts';
import { PegasusClientError, PegasusStorageError } from './errors.ts';
import type { ScanEntry } from './options.ts';
import type { RouteTarget, TableRouter } from './table-router.ts';

const GET_SCANNER = RRDB_RPCS.RPC_RRDB_RRDB_GET_SCANNER;
const SCAN = RRDB_RPCS.RPC_RRDB_RRDB_SCAN;
const CLEAR_SCANNER = RRDB_RPCS.RPC_RRDB_RRDB_CLEAR_SCANNER;

export const SCAN_RESTARTS_MAX = 3;
/** No context open on the server: the next batch is a GET_SCANNER. */
const NO_CONTEXT = -2;

/** One partition's part of a scan: where it goes and the get_scanner request that opens it. */
export interface ScanSplit {
  target: RouteTarget;
  request: GetScannerRequest;
}

export interface ScannerSettings {
  timeoutMs: number;
  signal?: AbortSignal;
}

export class PegasusScanner implements AsyncIterable<ScanEntry> {
  private splitIndex = 0;
  private contextId = NO_CONTEXT;
  /** The current split's scan has returned context id -1 (or kIncomplete). */
  private splitDone = false;
  private incomplete = false;
  private lastKey: Buffer | undefined;
  private restartsWithoutProgress = 0;
  private buffer: KeyValue[] = [];
  private bufferIndex = 0;
  private closed = false;
  private started = false;
  /** Batches fetched (RPCs answered), for tests. */
  batches = 0;

  constructor(
    private readonly router: TableRouter,
    private readonly splits: ScanSplit[],
    private readonly settings: ScannerSettings,
  ) {}

  /** The next entry, or undefined when the scan is finished. */
  async next(): Promise<ScanEntry | undefined> {
    this.started = true;
    for (;;) {
      if (this.closed) return undefined;
      const kv = this.buffer[this.bufferIndex];
      if (kv !== undefined) {
        this.bufferIndex++;
        this.lastKey = kv.key;
        return toEntry(kv);
      }
      if (!(await this.fetchBatch())) return undefined;
    }
  }

  /**
   * Counts the rows with only_return_count (the server counts, no kvs travel). Only on a scanner not yet
   * iterated; it consumes the scanner.
   */
  async count(): Promise<number> {
    if (this.started) throw new PegasusClientError('ERR_INVALID_STATE', 'count() needs a scanner that has not been iterated');
    this.started = true;
    for (const split of this.splits) split.request.onlyReturnCount = true;
    let total = 0;
    for (;;) {
      const response = await this.nextResponse();
      if (response === undefined) return total;
      total += response.kvCount ?? response.kvs.length;
    }
  }

  /** Stops the scan; an open server context is cleared (oneway CLEAR_SCANNER). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearContext();
    this.buffer = [];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ScanEntry> {
    try {
      for (;;) {
        const entry = await this.next();
        if (entry === undefined) return;
        yield entry;
      }
    } finally {
      await this.close();
    }
  }

  /** Refills the buffer; false when every split is done. */
  private async fetchBatch(): Promise<boolean> {
    const response = await this.nextResponse();
    if (response === undefined) return false;
    this.buffer = response.kvs;
    this.bufferIndex = 0;
    return true;
  }

  /** The next batch's response (possibly with no kvs), or undefined at the end of the last split. */
  private async nextResponse(): Promise<ScanResponse | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const split = this.splits[this.splitIndex];
      if (split === undefined) return undefined;
      if (this.splitDone) {
        if (this.incomplete) {
          throw new PegasusStorageError(StorageStatus.kIncomplete, `scan of partition ${this.describe(split)} stopped at the server's limits; retry later`);
        }
        this.splitIndex++;
        this.startSplit();
        continue;
      }
      const response = await this.rpc(split);
      this.batches++;
      switch (response.error) {
        case StorageStatus.kOk:
          this.contextId = response.contextId;
          if (response.contextId < 0) this.finishSplit();
          if (response.kvs.length > 0) this.restartsWithoutProgress = 0;
          return response;
        case StorageStatus.kIncomplete:
          this.contextId = NO_CONTEXT;
          this.finishSplit();
          this.incomplete = true;
          return response;
        case StorageStatus.kNotFound:
          if (this.contextId === NO_CONTEXT || split.request.onlyReturnCount === true) {
            throw new PegasusStorageError(response.error, `scan of ${this.describe(split)}: the scan context was lost`);
          }
          this.contextId = NO_CONTEXT;
          if (++this.restartsWithoutProgress > SCAN_RESTARTS_MAX) {
            throw new PegasusStorageError(response.error, `scan of ${this.describe(split)}: the scan context was lost ${SCAN_RESTARTS_MAX + 1} times in a row`);
          }
          continue;
        default:
          throw new PegasusStorageError(response.error, `scan of ${this.describe(split)} failed`);
      }
    }
  }

  private async rpc(split: ScanSplit): Promise<ScanResponse> {
    const deadline = new Deadline(this.router.clock, this.settings.timeoutMs, this.settings.signal);
    if (this.contextId >= 0) {
      const contextId = this.contextId;
      try {
        return await this.router.call(SCAN, SCAN.encodeArgs({ contextId }), split.target, deadline);
      } catch (e) {
        // The context may or may not have advanced on the server: resume from the last key instead.
        this.contextId = NO_CONTEXT;
        throw e;
      }
    }
    const request: GetScannerRequest =
      this.lastKey === undefined ? split.request : { ...split.request, startKey: this.lastKey, startInclusive: false };
    return this.router.call(GET_SCANNER, GET_SCANNER.encodeArgs(request), split.target, deadline);
  }

  private finishSplit(): void {
    this.splitDone = true;
    if (this.contextId !== SCAN_CONTEXT_ID_COMPLETED) this.contextId = NO_CONTEXT;
  }

  private startSplit(): void {
    this.contextId = NO_CONTEXT;
    this.splitDone = false;
    this.lastKey = undefined;
    this.restartsWithoutProgress = 0;
  }

  private clearContext(): void {
    const split = this.splits[this.splitIndex];
    if (split === undefined || this.contextId < 0) return;
    this.router.sendOneway(CLEAR_SCANNER.code, CLEAR_SCANNER.encodeArgs(this.contextId), split.target, this.settings.timeoutMs);
    this.contextId = NO_CONTEXT;
  }

  private describe(split: ScanSplit): string {
    const where = split.target.partitionIndex === undefined ? `hash ${split.target.partitionHash}` : `partition ${split.target.partitionIndex}`;
    return `table ${this.router.tableName} (${where})`;
  }
}

function toEntry(kv: KeyValue): ScanEntry {
  const { hashKey, sortKey } = restoreKey(kv.key);
  const entry: ScanEntry = { hashKey, sortKey, value: kv.value };
  if (kv.expireTsSeconds !== undefined) entry.expireTsSeconds = kv.expireTsSeconds;
  return entry;
}
