/**
 * The embedded MetaStateStore: upstream's `meta_state_service_simple`, a tree in memory persisted as one
 * append-only file of records (format in meta-log-format.ts) that is replayed on open.
 *
 * Durability: a mutation is checked against the tree, written as (part of) one record, fdatasync'ed, and only
 * then applied to the tree and resolved. Readers therefore never see a write that a crash could lose.
 * Writes are serialized: one record in flight; the calls queued behind it share the next record and fsync
 * (group commit), each still applied all or nothing. The queue is bounded (ERR_BUSY past it).
 *
 * A failed write or fsync leaves the file in an unknown state and, after a failed fsync, the page cache
 * cannot be trusted either (the PostgreSQL fsync lesson), so the store stops accepting mutations (fail-stop,
 * as upstream CHECK-fails); reopening replays what is really on disk.
 *
 * Compaction: once the file is past `compactMinBytes` and `compactRatio` × the live tree, a snapshot of the
 * tree is written to a temporary file, fsync'ed, renamed over the log and the directory fsync'ed, so the file
 * stays within a constant factor of the live data. A crash at any point leaves either file whole.
 */
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../base/assert.ts';
import { PegasusError, type ErrorCode } from '../base/error-code.ts';
import { encodeRecord, encodeSnapshot, FILE_MAGIC, scanLog, corruption, type LogEntry } from './meta-log-format.ts';
import { checkedOp, checkedTransaction, normalizePath, type MetaOp } from './meta-path.ts';
import {
  DEFAULT_META_STORE_LIMITS,
  type DeleteOptions,
  type MetaStateStore,
  type MetaStoreLimits,
  type TransactionOp,
} from './meta-state-store.ts';
import { MetaTree } from './meta-tree.ts';

/** Upstream's file name, in the meta's data directory. */
export const META_STORE_FILE_NAME = 'meta_state_service.log';
const TEMP_SUFFIX = '.compacting';

export interface FileMetaStoreOptions {
  readonly limits?: MetaStoreLimits;
  /** Mutations waiting behind the one in flight; more reject with ERR_BUSY. */
  readonly writeQueueMax?: number;
  /** No compaction below this file size. */
  readonly compactMinBytes?: number;
  /** Compact when the file exceeds this many times the live tree. */
  readonly compactRatio?: number;
}

export interface FileMetaStoreStats {
  readonly fileBytes: number;
  readonly liveBytes: number;
  readonly nodeCount: number;
  readonly compactions: number;
  /** The torn tail cut off when the file was opened. */
  readonly tornTailBytesDropped: number;
}

const DEFAULTS = { writeQueueMax: 1024, compactMinBytes: 1024 * 1024, compactRatio: 4 };
/** A group commit stops adding calls past this many data bytes, so one record stays far below the format bound. */
const BATCH_DATA_BYTES_TARGET = 8 * 1024 * 1024;
const SNAPSHOT_RECORD_BYTES_TARGET = 1024 * 1024;

interface PendingWrite {
  readonly ops: MetaOp[];
  readonly asTransaction: boolean;
  readonly dataBytes: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class FileMetaStore implements MetaStateStore {
  private readonly queue: PendingWrite[] = [];
  private writer: Promise<void> | undefined;
  private broken: PegasusError | undefined;
  private closed = false;
  private compactions = 0;
  /** Raised after a failed compaction so a full disk is not retried on every write. */
  private compactFloorBytes: number;

  private constructor(
    private readonly dirPath: string,
    private fh: FileHandle,
    private fileBytes: number,
    private readonly tree: MetaTree,
    private readonly tornTailBytesDropped: number,
    private readonly limits: MetaStoreLimits,
    private readonly writeQueueMax: number,
    private readonly compactMinBytes: number,
    private readonly compactRatio: number,
  ) {
    this.compactFloorBytes = compactMinBytes;
  }

  /** Opens (creating if missing) the store in `dirPath`, replaying its file; ERR_CORRUPTION if it is damaged. */
  static async open(dirPath: string, options: FileMetaStoreOptions = {}): Promise<FileMetaStore> {
    const limits = options.limits ?? DEFAULT_META_STORE_LIMITS;
    const logPath = join(dirPath, META_STORE_FILE_NAME);
    await io(`create ${dirPath}`, () => mkdir(dirPath, { recursive: true }));
    // A compaction cut by a crash: the old file is still whole and authoritative.
    await io('remove stale snapshot', () => rm(logPath + TEMP_SUFFIX, { force: true }));
    let file: Buffer;
    try {
      file = await readFile(logPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`read ${logPath}`, e);
      await installFile(dirPath, [FILE_MAGIC]);
      file = Buffer.from(FILE_MAGIC);
    }
    const scan = scanLog(file);
    const tree = new MetaTree();
    for (const record of scan.records) {
      for (const entry of record.entries) {
        try {
          tree.apply(entry, false);
        } catch (e) {
          if (!(e instanceof PegasusError)) throw e;
          throw corruption(record.offsetBytes, `entry does not apply to the replayed tree: ${e.message}`);
        }
      }
    }
    const fh = await io(`open ${logPath}`, () => open(logPath, 'r+'));
    if (scan.validEndBytes < file.length) {
      try {
        await io('truncate torn tail', () => fh.truncate(scan.validEndBytes));
        await io('sync truncation', () => fh.datasync());
      } catch (e) {
        await fh.close().catch(() => undefined);
        throw e;
      }
    }
    return new FileMetaStore(dirPath, fh, scan.validEndBytes, tree, file.length - scan.validEndBytes, limits,
      options.writeQueueMax ?? DEFAULTS.writeQueueMax, options.compactMinBytes ?? DEFAULTS.compactMinBytes,
      options.compactRatio ?? DEFAULTS.compactRatio);
  }

  createNode(path: string, data: Buffer = Buffer.alloc(0)): Promise<void> {
    return this.mutate(() => [checkedOp({ kind: 'create', path, data }, this.limits)], false);
  }

  deleteNode(path: string, options: DeleteOptions = {}): Promise<void> {
    return this.mutate(() => [checkedOp({ kind: 'delete', path, recursive: options.recursive === true }, this.limits)], false);
  }

  setData(path: string, data: Buffer): Promise<void> {
    return this.mutate(() => [checkedOp({ kind: 'set', path, data }, this.limits)], false);
  }

  submitTransaction(ops: readonly TransactionOp[]): Promise<void> {
    return this.mutate(() => checkedTransaction(ops, this.limits), true);
  }

  async getData(path: string): Promise<Buffer> {
    this.checkOpen();
    return this.tree.getData(normalizePath(path, this.limits));
  }

  async getChildren(path: string): Promise<string[]> {
    this.checkOpen();
    return this.tree.getChildren(normalizePath(path, this.limits));
  }

  async exists(path: string): Promise<boolean> {
    this.checkOpen();
    return this.tree.has(normalizePath(path, this.limits));
  }

  stats(): FileMetaStoreStats {
    return {
      fileBytes: this.fileBytes, liveBytes: this.tree.liveBytes, nodeCount: this.tree.nodeCount,
      compactions: this.compactions, tornTailBytesDropped: this.tornTailBytesDropped,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writer !== undefined) await this.writer;
    await io('close meta store file', () => this.fh.close());
  }

  private async mutate(check: () => MetaOp[], asTransaction: boolean): Promise<void> {
    this.checkOpen();
    if (this.broken !== undefined) throw this.broken;
    const ops = check();
    if (ops.length === 0) return;
    if (this.queue.length >= this.writeQueueMax) {
      throw new PegasusError('ERR_BUSY', `${this.queue.length} meta store writes already queued`);
    }
    const dataBytes = ops.reduce((sum, op) => sum + (op.kind === 'delete' ? 0 : op.data.length), 0);
    const done = new Promise<void>((resolve, reject) => this.queue.push({ ops, asTransaction, dataBytes, resolve, reject }));
    if (this.writer === undefined) {
      this.writer = this.writeLoop().finally(() => {
        this.writer = undefined;
      });
    }
    return done;
  }

  /** The only writer: drains the queue one record at a time. It never rejects; failures go to the callers. */
  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0 && this.broken === undefined) {
      const batch = this.takeBatch();
      // Check every call against the tree as if the earlier ones of the batch had been applied, then take
      // them all back: the tree must show only durable writes while the record is in flight.
      const outcomes: Array<{ write: PendingWrite; error?: unknown }> = [];
      const undos: Array<() => void> = [];
      const entries: LogEntry[] = [];
      for (const write of batch) {
        try {
          undos.push(this.tree.apply(write.ops, write.asTransaction));
          entries.push(write.ops);
          outcomes.push({ write });
        } catch (e) {
          outcomes.push({ write, error: e });
        }
      }
      for (let i = undos.length - 1; i >= 0; i--) undos[i]!();
      if (entries.length > 0) {
        try {
          await this.append(encodeRecord(entries));
        } catch (e) {
          this.fail(e, outcomes.map((o) => o.write));
          return;
        }
        for (const entry of entries) this.tree.apply(entry, false); // was checked above on the same tree
      }
      for (const { write, error } of outcomes) {
        if (error === undefined) write.resolve();
        else write.reject(error);
      }
      if (this.fileBytes > this.compactFloorBytes && this.fileBytes > this.compactRatio * this.tree.liveBytes) {
        await this.compact();
      }
    }
  }

  private takeBatch(): PendingWrite[] {
    const batch: PendingWrite[] = [];
    let dataBytes = 0;
    while (this.queue.length > 0 && (batch.length === 0 || dataBytes + this.queue[0]!.dataBytes <= BATCH_DATA_BYTES_TARGET)) {
      const write = this.queue.shift()!;
      dataBytes += write.dataBytes;
      batch.push(write);
    }
    return batch;
  }

  private async append(record: Buffer): Promise<void> {
    await writeAll(this.fh, [record], this.fileBytes, 'append meta record');
    await io('sync meta record', () => this.fh.datasync());
    this.fileBytes += record.length;
  }

  private async compact(): Promise<void> {
    const snapshot = [FILE_MAGIC, ...encodeSnapshot(this.tree.walk(), SNAPSHOT_RECORD_BYTES_TARGET)];
    const snapshotBytes = snapshot.reduce((sum, b) => sum + b.length, 0);
    const logPath = join(this.dirPath, META_STORE_FILE_NAME);
    try {
      await writeTempFile(this.dirPath, snapshot);
      await io(`rename snapshot over ${logPath}`, () => rename(logPath + TEMP_SUFFIX, logPath));
    } catch {
      // Nothing was replaced: the old file is intact and authoritative. Keep appending to it and retry
      // once it has doubled, so a full disk is not hit on every write.
      await rm(logPath + TEMP_SUFFIX, { force: true }).catch(() => undefined);
      this.compactFloorBytes = 2 * this.fileBytes;
      return;
    }
    // From here the snapshot is the log and the old handle points to an unlinked file: any failure must stop
    // writes, or they would go where a restart never looks (or, without the directory fsync, be lost with it).
    const old = this.fh;
    try {
      this.fh = await io(`reopen ${logPath}`, () => open(logPath, 'r+'));
      await syncDir(this.dirPath);
    } catch (e) {
      this.fail(e, []);
      return;
    } finally {
      await old.close().catch(() => undefined);
    }
    this.fileBytes = snapshotBytes;
    this.compactions++;
    this.compactFloorBytes = this.compactMinBytes;
  }

  /** Fail-stop: reject the batch in flight and everything queued, refuse later mutations. */
  private fail(e: unknown, inFlight: PendingWrite[]): void {
    this.broken = e instanceof PegasusError ? e : new PegasusError('ERR_FILE_OPERATION_FAILED', String(e), { cause: e });
    for (const write of [...inFlight, ...this.queue.splice(0)]) write.reject(this.broken);
  }

  private checkOpen(): void {
    if (this.closed) throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'the meta store is closed');
  }
}

/** Creates the log with `chunks` as its whole content: a temporary file, fsync'ed, renamed, directory fsync'ed. */
async function installFile(dirPath: string, chunks: readonly Buffer[]): Promise<void> {
  const logPath = join(dirPath, META_STORE_FILE_NAME);
  await writeTempFile(dirPath, chunks);
  await io(`rename over ${logPath}`, () => rename(logPath + TEMP_SUFFIX, logPath));
  await syncDir(dirPath);
}

async function writeTempFile(dirPath: string, chunks: readonly Buffer[]): Promise<void> {
  const tempPath = join(dirPath, META_STORE_FILE_NAME + TEMP_SUFFIX);
  const fh = await io(`create ${tempPath}`, () => open(tempPath, 'w', 0o644));
  try {
    await writeAll(fh, chunks, 0, `write ${tempPath}`);
    await io(`sync ${tempPath}`, () => fh.datasync());
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function syncDir(dirPath: string): Promise<void> {
  const dir = await io(`open ${dirPath}`, () => open(dirPath, 'r'));
  try {
    await io(`sync ${dirPath}`, () => dir.sync());
  } finally {
    await dir.close().catch(() => undefined);
  }
}

/** Writes every byte of `chunks` at `positionBytes`: a write may be short. */
async function writeAll(fh: FileHandle, chunks: readonly Buffer[], positionBytes: number, what: string): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  let at = positionBytes;
  while (pending.length > 0) {
    const { bytesWritten } = await io(what, () => fh.writev(pending, at));
    assert(bytesWritten > 0, `${what}: write made no progress`);
    at += bytesWritten;
    let skip = bytesWritten;
    while (pending.length > 0 && skip >= pending[0]!.length) skip -= pending.shift()!.length;
    if (skip > 0) pending[0] = pending[0]!.subarray(skip);
  }
}

async function io<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw ioError(what, e);
  }
}

function ioError(what: string, e: unknown): PegasusError {
  const errno = (e as NodeJS.ErrnoException).code;
  const code: ErrorCode = errno === 'ENOSPC' || errno === 'EDQUOT' ? 'ERR_DISK_INSUFFICIENT' : 'ERR_FILE_OPERATION_FAILED';
  return new PegasusError(code, `${what}: ${errno ?? String(e)}`, { cause: e });
}
