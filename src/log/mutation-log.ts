/**
 * The private mutation log (plog) of one replica: the WAL. Upstream: mutation_log_private
 * (incubator-pegasus: src/replica/mutation_log.cpp); behaviour in pegasus-internals.md §3.
 *
 * Write path: `append` lays the mutation out at once (its global offset is fixed then) and queues it.
 * At most one I/O is outstanding; appends that arrive meanwhile are written together by the next write
 * (group commit: many blocks, one call per file). A write resolves its mutations in append order once
 * the OS has the bytes — after an fdatasync too when `forceFlush` (plog_force_flush), upstream's
 * default being no fsync at all. A rolled file is synced and closed, so only the current file can hold
 * bytes a machine crash may lose: that costs one fdatasync per file and keeps what survives a prefix.
 *
 * A failed write or sync fails the log for good: it rejects that write's mutations, everything queued
 * and every later append with the error (upstream hands it to the replica, which goes to ERROR).
 *
 * After `open` the log appends to a new file, as upstream does after a restart.
 */
import { assert } from '../base/assert.ts';
import { isPegasusError, PegasusError } from '../base/error-code.ts';
import { buildSegment, LogAppender, type PendingSegment } from './log-appender.ts';
import { assertValidBlocks } from './log-block.ts';
import type { LogDir, LogFileHandle } from './log-dir.ts';
import { fileEndOffset, type LogFileInfo, type LogFileView } from './log-file-info.ts';
import { planGarbageCollection, type GarbageCollectOptions } from './log-gc.ts';
import { resolveLogOptions, type MutationLogOptions, type ResolvedLogOptions } from './log-options.ts';
import { recoverLogDir, type RecoveredLog } from './log-recovery.ts';
import { replayLogFiles, type ReplayResult } from './log-replay.ts';
import {
  encodedMutationBytes,
  encodeMutation,
  formatGpid,
  gpidEquals,
  validateMutation,
  type Mutation,
} from './mutation.ts';

export type { GarbageCollectOptions } from './log-gc.ts';
export type { MutationLogOptions } from './log-options.ts';
export type { ReplayResult } from './log-replay.ts';

export interface AppendResult {
  /** Global offset of the mutation, also set in its `header.logOffset`. */
  offset: number;
}

export interface GarbageCollectResult {
  removedFiles: number;
  removedBytes: number;
}

interface QueuedAppend {
  offset: number;
  lastCommittedDecree: number;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
}

interface FlushWaiter {
  /** Everything laid out before this offset must be written before the sync that serves this flush. */
  targetOffset: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface CurrentFile {
  handle: LogFileHandle;
  info: LogFileInfo;
  syncedBytes: number;
  dirSynced: boolean;
}

export class MutationLog {
  private readonly fileList: LogFileInfo[];
  private readonly appender: LogAppender;
  private current: CurrentFile | undefined;
  private queued: QueuedAppend[] = [];
  private flushWaiters: FlushWaiter[] = [];
  private ioBusy = false;
  /** Global offset up to which the OS has the log's bytes. */
  private writtenEnd: number;
  private failure: PegasusError | undefined;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  private scanning: 'replay' | 'garbage collection' | undefined;
  private maxDecreeSeen: number;
  private maxCommittedDecreeSeen: number;

  private constructor(
    private readonly dir: LogDir,
    private readonly options: ResolvedLogOptions,
    private readonly recovered: RecoveredLog,
  ) {
    this.fileList = recovered.files.map((f) => ({ ...f }));
    this.writtenEnd = recovered.endOffset;
    this.maxDecreeSeen = recovered.maxDecree;
    this.maxCommittedDecreeSeen = recovered.maxCommittedDecree;
    this.appender = new LogAppender(options, recovered.nextIndex, recovered.endOffset);
  }

  /**
   * Opens the log in `dir`: checks the files, cuts a torn tail (see log-recovery.ts) and positions the
   * log after the last intact block. Corruption in the newest file is reported here; in older files by
   * `replay`.
   */
  static async open(dir: LogDir, options: MutationLogOptions): Promise<MutationLog> {
    const resolved = resolveLogOptions(options);
    return new MutationLog(dir, resolved, await recoverLogDir(dir, resolved.gpid));
  }

  // ---- write path -------------------------------------------------------------------------------------

  /** Logs `mutation`; sets its `header.logOffset`. Resolves, in append order, once written (and synced). */
  append(mutation: Mutation): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.checkWritable();
      validateMutation(mutation);
      if (!gpidEquals(mutation.header.gpid, this.options.gpid)) {
        throw new PegasusError('ERR_INVALID_PARAMETERS', `mutation of ${formatGpid(mutation.header.gpid)} ` +
          `appended to the log of ${formatGpid(this.options.gpid)}`);
      }
      const mutationBytes = encodedMutationBytes(mutation);
      if (mutationBytes > this.options.mutationBytesMax) {
        throw new PegasusError('ERR_INVALID_DATA', `mutation of ${mutationBytes} bytes is over the ` +
          `${this.options.mutationBytesMax}-byte bound`);
      }
      const pendingBytes = this.appender.pendingBytes();
      if (pendingBytes > 0 && pendingBytes + mutationBytes > this.options.pendingBytesMax) {
        throw new PegasusError('ERR_BUSY', `${pendingBytes} bytes already wait for the plog write in flight`);
      }
      const offset = this.appender.place(mutationBytes, this.maxDecreeSeen);
      mutation.header.logOffset = offset;
      this.appender.fill(encodeMutation(mutation));
      this.maxDecreeSeen = Math.max(this.maxDecreeSeen, mutation.header.decree);
      this.queued.push({ offset, lastCommittedDecree: mutation.header.lastCommittedDecree, resolve, reject });
      this.kick();
    });
  }

  /** Waits until everything appended before the call is written, then makes it durable. */
  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.state === 'closed') throw new PegasusError('ERR_INVALID_STATE', 'plog is closed');
      if (this.failure !== undefined) throw this.failure;
      this.flushWaiters.push({ targetOffset: this.appender.endOffset(), resolve, reject });
      this.kick();
    });
  }

  /** Flushes (unless the log failed) and closes the current file. Later appends get ERR_INVALID_STATE. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.state = 'closing';
    let flushError: unknown;
    if (this.failure === undefined) {
      await this.flush().catch((e: unknown) => {
        flushError = e;
      });
    }
    const current = this.current;
    this.current = undefined;
    this.state = 'closed';
    if (current !== undefined) await current.handle.close();
    if (flushError !== undefined) throw flushError;
  }

  /** Starts the next I/O if none is outstanding: a due sync first (so flush cannot starve), else a write. */
  private kick(): void {
    if (this.ioBusy || this.failure !== undefined) return;
    const waiter = this.flushWaiters[0];
    if (waiter !== undefined && this.writtenEnd >= waiter.targetOffset) void this.runSync();
    else if (this.queued.length > 0) void this.runWrite();
  }

  private async runWrite(): Promise<void> {
    this.ioBusy = true;
    const entries = this.queued;
    this.queued = [];
    try {
      for (const segment of this.appender.take()) await this.writeSegment(segment);
      if (this.options.forceFlush) await this.syncCurrent();
    } catch (e) {
      this.fail(e, entries);
      return;
    }
    this.ioBusy = false;
    for (const entry of entries) {
      this.maxCommittedDecreeSeen = Math.max(this.maxCommittedDecreeSeen, entry.lastCommittedDecree);
      entry.resolve({ offset: entry.offset });
    }
    this.kick();
  }

  private async runSync(): Promise<void> {
    this.ioBusy = true;
    const due = this.flushWaiters.filter((w) => w.targetOffset <= this.writtenEnd);
    this.flushWaiters = this.flushWaiters.filter((w) => w.targetOffset > this.writtenEnd);
    try {
      await this.syncCurrent();
    } catch (e) {
      this.flushWaiters.unshift(...due);
      this.fail(e, []);
      return;
    }
    this.ioBusy = false;
    for (const w of due) w.resolve();
    this.kick();
  }

  private async writeSegment(segment: PendingSegment): Promise<void> {
    if (segment.newFileHeader !== undefined) await this.startFile(segment);
    const current = this.current;
    assert(current !== undefined && current.info.index === segment.fileIndex, `no open file for ${segment.fileName}`);
    assert(current.info.sizeBytes === segment.localOffset, `${segment.fileName} segment is not at the file's end`);
    const bytes = buildSegment(segment);
    assertValidBlocks(bytes, segment.localOffset);
    await current.handle.append([bytes]);
    current.info.sizeBytes += bytes.length;
    current.info.mtimeMs = this.options.nowMs();
    this.writtenEnd += bytes.length;
    assert(this.writtenEnd === fileEndOffset(current.info), 'written end and the current file disagree');
  }

  private async startFile(segment: PendingSegment): Promise<void> {
    const previous = this.current;
    if (previous !== undefined) {
      await this.syncCurrent();
      this.current = undefined;
      await previous.handle.close();
    }
    assert(segment.fileStartOffset === this.writtenEnd, `${segment.fileName} does not start at the log's end`);
    const handle = await this.dir.create(segment.fileName);
    const info: LogFileInfo = {
      index: segment.fileIndex,
      name: segment.fileName,
      startOffset: segment.fileStartOffset,
      sizeBytes: 0,
      prevMaxDecree: segment.newFileHeader!.entries[0]!.prevMaxDecree,
      mtimeMs: this.options.nowMs(),
    };
    this.fileList.push(info);
    this.current = { handle, info, syncedBytes: 0, dirSynced: false };
  }

  private async syncCurrent(): Promise<void> {
    const current = this.current;
    if (current === undefined) return;
    const target = current.info.sizeBytes;
    if (current.syncedBytes < target) {
      await current.handle.sync();
      current.syncedBytes = target;
    }
    if (!current.dirSynced) {
      await this.dir.syncDir();
      current.dirSynced = true;
    }
  }

  private fail(cause: unknown, inFlight: readonly QueuedAppend[]): void {
    this.ioBusy = false;
    const gpid = formatGpid(this.options.gpid);
    const failure = isPegasusError(cause)
      ? new PegasusError(cause.code, `plog of ${gpid} failed: ${cause.message}`, { cause })
      : new PegasusError('ERR_FILE_OPERATION_FAILED', `plog of ${gpid} failed on a bug`, { cause });
    this.failure = failure;
    this.appender.take();
    for (const entry of [...inFlight, ...this.queued]) entry.reject(failure);
    for (const waiter of this.flushWaiters) waiter.reject(failure);
    this.queued = [];
    this.flushWaiters = [];
    // A bug must stop the process loudly, not only fail the log.
    if (!isPegasusError(cause)) throw cause;
  }

  private checkWritable(): void {
    if (this.state !== 'open') throw new PegasusError('ERR_INVALID_STATE', `plog is ${this.state}`);
    if (this.failure !== undefined) {
      throw new PegasusError(this.failure.code, `plog failed earlier: ${this.failure.message}`, {
        cause: this.failure,
      });
    }
  }

  // ---- replay and garbage collection --------------------------------------------------------------------

  /**
   * Hands every mutation with `decree >= fromDecree` at an offset ≥ validStartOffset to `onMutation`, in
   * log order (re-proposals of a decree under higher ballots included, in order).
   */
  async replay(fromDecree: number, onMutation: (mutation: Mutation) => void): Promise<ReplayResult> {
    if (!Number.isSafeInteger(fromDecree)) throw new PegasusError('ERR_INVALID_PARAMETERS', `fromDecree ${fromDecree}`);
    this.beginScan('replay');
    try {
      const scope = {
        fromDecree,
        validStartOffset: this.options.validStartOffset,
        gpid: this.options.gpid,
        logMaxDecree: this.maxDecreeSeen,
      };
      const result = await replayLogFiles(this.dir, this.fileList.map((f) => ({ ...f })), scope, onMutation);
      this.maxDecreeSeen = Math.max(this.maxDecreeSeen, result.maxDecree);
      this.maxCommittedDecreeSeen = Math.max(this.maxCommittedDecreeSeen, result.lastCommittedDecree);
      return { ...result, tornTailBytes: this.recovered.tornTailBytes };
    } finally {
      this.scanning = undefined;
    }
  }

  /** Deletes the oldest files that §3.4's rules allow (see log-gc.ts), oldest first. */
  async garbageCollect(options: GarbageCollectOptions): Promise<GarbageCollectResult> {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new PegasusError('ERR_INVALID_PARAMETERS', `garbage collection ${name} ${String(value)}`);
      }
    }
    if (this.state === 'closed') throw new PegasusError('ERR_INVALID_STATE', 'plog is closed');
    this.beginScan('garbage collection');
    try {
      const input = { ...options, nowMs: this.options.nowMs(), logMaxDecree: this.maxDecreeSeen };
      const count = planGarbageCollection(this.fileList, input);
      const result: GarbageCollectResult = { removedFiles: 0, removedBytes: 0 };
      for (let i = 0; i < count; i++) {
        const file = this.fileList[0]!;
        assert(file !== this.current?.info, 'garbage collection reached the current file');
        await this.dir.remove(file.name);
        this.fileList.shift();
        result.removedFiles++;
        result.removedBytes += file.sizeBytes;
      }
      if (result.removedFiles > 0) await this.dir.syncDir();
      return result;
    } finally {
      this.scanning = undefined;
    }
  }

  private beginScan(what: 'replay' | 'garbage collection'): void {
    if (this.scanning !== undefined) {
      throw new PegasusError('ERR_BUSY', `plog ${what} refused: ${this.scanning} is running`);
    }
    this.scanning = what;
  }

  // ---- accessors ----------------------------------------------------------------------------------------

  /** Global offset up to which the OS has this log's bytes (what survives a process crash). */
  writtenEndOffset(): number {
    return this.writtenEnd;
  }

  /** Max decree appended (queued ones included) or found on disk; exact once `replay` ran. */
  maxDecree(): number {
    return this.maxDecreeSeen;
  }

  /** Max `lastCommittedDecree` written (upstream's max_commit_on_disk) or found on disk. */
  maxCommittedDecree(): number {
    return this.maxCommittedDecreeSeen;
  }

  /** Global offset of the oldest byte still in the log. */
  startOffset(): number {
    return this.fileList[0]?.startOffset ?? this.writtenEnd;
  }

  /** Global offset just past the last byte laid out, queued bytes included (upstream's end offset). */
  endOffset(): number {
    return this.appender.endOffset();
  }

  totalSizeBytes(): number {
    return this.endOffset() - this.startOffset();
  }

  files(): LogFileView[] {
    return this.fileList.map((f) => ({ ...f, endOffset: fileEndOffset(f) }));
  }

  /** Names in the directory that are not log files, left untouched. */
  ignoredFiles(): string[] {
    return [...this.recovered.ignoredNames];
  }

  /** Set once a write or sync failed; the log then refuses everything. */
  failureError(): PegasusError | undefined {
    return this.failure;
  }
}
