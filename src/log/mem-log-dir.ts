/**
 * An in-memory `LogDir`: the simulated disk under `MemLog`. It outlives every log opened on it.
 *
 * Per file it keeps the bytes *written* (in the OS: they survive a process crash) apart from the length
 * *synced* (on the platter: it survives a machine crash). Writes reach the disk in the order they were
 * made, so a machine crash keeps a prefix of the unsynced writes across all files — possibly cut in the
 * middle of one write, i.e. in the middle of a block.
 *
 * A crash also kills every handle opened before it, and every view from `attach` taken before it: a log
 * that was running when the "process" died can no longer touch the disk, like a killed process. Faults
 * are injected on demand.
 *
 * Deterministic: no clock or randomness of its own; `nowMs` and `random` come from the caller.
 */
import { assert } from '../base/assert.ts';
import { PegasusError, type ErrorCode } from '../base/error-code.ts';
import type { LogDir, LogDirEntry, LogFileHandle } from './log-dir.ts';

export interface MemLogDirOptions {
  /** Clock for file mtimes (GC ages files by them). */
  nowMs: () => number;
  /**
   * A slow disk: each append and sync first waits for this (the simulator resolves it as a later event).
   * A crash during the wait kills the handle, so the write never happens — the bytes were still in the
   * process, not yet handed to the OS.
   */
  ioDelay?: () => Promise<void>;
}

export interface CrashMachineOptions {
  /**
   * When given, the crash keeps a random prefix of the unsynced writes (drawn with this generator in
   * [0, 1)) instead of none of them.
   */
  random?: () => number;
}

/** Counts of calls that reached the disk, for tests that check batching. */
export interface MemLogDirStats {
  appendCalls: number;
  appendedBytes: number;
  syncCalls: number;
  syncDirCalls: number;
}

interface MemFile {
  bytes: Buffer; // capacity; the content is bytes[0, writtenBytes)
  writtenBytes: number;
  syncedBytes: number;
  mtimeMs: number;
}

/** One unsynced write, in the order writes were made (what a machine crash may partly keep). */
interface UnsyncedWrite {
  file: MemFile;
  endBytes: number;
  lengthBytes: number;
}

export class MemLogDir implements LogDir {
  readonly stats: MemLogDirStats = { appendCalls: 0, appendedBytes: 0, syncCalls: 0, syncDirCalls: 0 };
  private readonly files = new Map<string, MemFile>();
  private unsynced: UnsyncedWrite[] = [];
  /** Bumped by every crash; handles of an older epoch belong to a dead process. */
  private epoch = 0;
  private faults: { appendError?: ErrorCode; syncError?: ErrorCode; freeBytes?: number } = {};

  constructor(private readonly options: MemLogDirOptions) {}

  // ---- LogDir ----------------------------------------------------------------------------------------
  // Used directly, the directory belongs to whichever process is alive; `attach` binds it to one.

  list(): Promise<LogDirEntry[]> {
    return this.opList(this.epoch);
  }

  create(name: string): Promise<LogFileHandle> {
    return this.opCreate(this.epoch, name);
  }

  read(name: string, offsetBytes?: number, lengthBytes?: number): Promise<Buffer> {
    return this.opRead(this.epoch, name, offsetBytes, lengthBytes);
  }

  sync(name: string): Promise<void> {
    return this.opSync(this.epoch, name);
  }

  truncate(name: string, sizeBytes: number): Promise<void> {
    return this.opTruncate(this.epoch, name, sizeBytes);
  }

  remove(name: string): Promise<void> {
    return this.opRemove(this.epoch, name);
  }

  syncDir(): Promise<void> {
    return this.opSyncDir(this.epoch);
  }

  /**
   * The directory as one process sees it: after the next crash every call through it fails, as a
   * killed process can no longer create, write or remove anything. `MemLog.open` uses this.
   */
  attach(): LogDir {
    const epoch = this.epoch;
    return {
      list: () => this.opList(epoch),
      create: (name) => this.opCreate(epoch, name),
      read: (name, offsetBytes, lengthBytes) => this.opRead(epoch, name, offsetBytes, lengthBytes),
      sync: (name) => this.opSync(epoch, name),
      truncate: (name, sizeBytes) => this.opTruncate(epoch, name, sizeBytes),
      remove: (name) => this.opRemove(epoch, name),
      syncDir: () => this.opSyncDir(epoch),
    };
  }

  private async opList(epoch: number): Promise<LogDirEntry[]> {
    this.checkAlive('list', epoch);
    return [...this.files].map(([name, f]) => ({ name, sizeBytes: f.writtenBytes, mtimeMs: f.mtimeMs }));
  }

  /** The handle holds the file itself, not its name: like a POSIX fd, it outlives a removal of the name. */
  private async opCreate(epoch: number, name: string): Promise<LogFileHandle> {
    this.checkAlive(name, epoch);
    if (this.files.has(name)) throw new PegasusError('ERR_FILE_OPERATION_FAILED', `create ${name}: EEXIST`);
    const file: MemFile = { bytes: Buffer.alloc(0), writtenBytes: 0, syncedBytes: 0, mtimeMs: this.options.nowMs() };
    this.files.set(name, file);
    let closed = false;
    return {
      name,
      append: async (buffers) => {
        assert(!closed, `append to closed ${name}`);
        if (this.options.ioDelay !== undefined) await this.options.ioDelay();
        this.appendTo(file, name, epoch, buffers);
      },
      sync: async () => {
        assert(!closed, `sync of closed ${name}`);
        if (this.options.ioDelay !== undefined) await this.options.ioDelay();
        this.syncFile(file, name, epoch);
      },
      close: async () => {
        closed = true;
      },
    };
  }

  private async opRead(epoch: number, name: string, offsetBytes = 0, lengthBytes?: number): Promise<Buffer> {
    this.checkAlive(name, epoch);
    const f = this.file(name);
    const end = lengthBytes === undefined ? f.writtenBytes : Math.min(f.writtenBytes, offsetBytes + lengthBytes);
    return Buffer.from(f.bytes.subarray(Math.min(offsetBytes, end), end));
  }

  private async opSync(epoch: number, name: string): Promise<void> {
    this.syncFile(this.file(name), name, epoch);
  }

  private async opTruncate(epoch: number, name: string, sizeBytes: number): Promise<void> {
    this.checkAlive(name, epoch);
    const f = this.file(name);
    f.writtenBytes = Math.min(f.writtenBytes, sizeBytes);
    f.syncedBytes = f.writtenBytes;
    f.mtimeMs = this.options.nowMs();
    this.unsynced = this.unsynced.filter((w) => w.file !== f);
  }

  private async opRemove(epoch: number, name: string): Promise<void> {
    this.checkAlive(name, epoch);
    const f = this.file(name);
    this.files.delete(name);
    this.unsynced = this.unsynced.filter((w) => w.file !== f);
  }

  private async opSyncDir(epoch: number): Promise<void> {
    this.checkAlive('directory', epoch);
    this.stats.syncDirCalls++;
  }

  // ---- crashes ----------------------------------------------------------------------------------------

  /** The process dies: open handles die with it; everything written survives. */
  crashProcess(): void {
    this.epoch++;
  }

  /** The machine loses power: open handles die, and only synced bytes (plus, maybe, a prefix of the rest) survive. */
  crashMachine(options: CrashMachineOptions = {}): void {
    this.epoch++;
    const named = new Set(this.files.values());
    this.unsynced = this.unsynced.filter((w) => named.has(w.file)); // writes to removed files are gone anyway
    const unsyncedBytes = this.unsynced.reduce((sum, w) => sum + w.lengthBytes, 0);
    let keepBytes = options.random === undefined ? 0 : Math.floor(options.random() * (unsyncedBytes + 1));
    for (const f of this.files.values()) f.writtenBytes = f.syncedBytes;
    for (const w of this.unsynced) {
      const kept = Math.min(keepBytes, w.lengthBytes);
      keepBytes -= kept;
      if (kept === 0) break;
      assert(w.file.writtenBytes === w.endBytes - w.lengthBytes, 'unsynced writes of a file are in order');
      w.file.writtenBytes += kept;
    }
    for (const f of this.files.values()) f.syncedBytes = f.writtenBytes;
    this.unsynced = [];
  }

  // ---- faults -----------------------------------------------------------------------------------------

  /** The next append fails with `code` and writes nothing. */
  failNextAppend(code: ErrorCode = 'ERR_FILE_OPERATION_FAILED'): void {
    this.faults.appendError = code;
  }

  /** The next sync fails with `code` and makes nothing durable. */
  failNextSync(code: ErrorCode = 'ERR_FILE_OPERATION_FAILED'): void {
    this.faults.syncError = code;
  }

  /** After `bytes` more appended bytes the disk is full: the append that crosses it writes partly, then fails. */
  diskFullAfter(bytes: number): void {
    this.faults.freeBytes = bytes;
  }

  clearFaults(): void {
    this.faults = {};
  }

  // ---- inspection, for tests ------------------------------------------------------------------------

  fileNames(): string[] {
    return [...this.files.keys()].sort();
  }

  /** A copy of the file's written bytes. */
  fileBytes(name: string): Buffer {
    const f = this.file(name);
    return Buffer.from(f.bytes.subarray(0, f.writtenBytes));
  }

  /** Replaces the file's content (all of it synced), creating it if needed: for corrupting a log on purpose. */
  setFileBytes(name: string, bytes: Buffer): void {
    const old = this.files.get(name);
    this.unsynced = this.unsynced.filter((w) => w.file !== old);
    this.files.set(name, {
      bytes: Buffer.from(bytes),
      writtenBytes: bytes.length,
      syncedBytes: bytes.length,
      mtimeMs: this.options.nowMs(),
    });
  }

  syncedBytes(name: string): number {
    return this.file(name).syncedBytes;
  }

  // ---- file operations ------------------------------------------------------------------------------

  private appendTo(f: MemFile, name: string, epoch: number, buffers: readonly Buffer[]): void {
    this.checkAlive(name, epoch);
    this.stats.appendCalls++;
    if (this.faults.appendError !== undefined) {
      const code = this.faults.appendError;
      delete this.faults.appendError;
      throw new PegasusError(code, `write ${name}: injected failure`);
    }
    const data = Buffer.concat(buffers);
    const room = this.faults.freeBytes ?? Number.POSITIVE_INFINITY;
    const landed = data.subarray(0, Math.min(data.length, room));
    this.write(f, landed);
    if (this.faults.freeBytes !== undefined) this.faults.freeBytes -= landed.length;
    if (landed.length < data.length) {
      throw new PegasusError('ERR_DISK_INSUFFICIENT', `write ${name}: ENOSPC after ${landed.length} bytes`);
    }
  }

  private syncFile(f: MemFile, name: string, epoch: number): void {
    this.checkAlive(name, epoch);
    this.stats.syncCalls++;
    if (this.faults.syncError !== undefined) {
      const code = this.faults.syncError;
      delete this.faults.syncError;
      throw new PegasusError(code, `sync ${name}: injected failure`);
    }
    f.syncedBytes = f.writtenBytes;
    this.unsynced = this.unsynced.filter((w) => w.file !== f);
  }

  private checkAlive(name: string, epoch: number): void {
    if (epoch !== this.epoch) {
      throw new PegasusError('ERR_FILE_OPERATION_FAILED', `${name}: the process that opened it crashed`);
    }
  }

  private write(f: MemFile, data: Buffer): void {
    if (data.length === 0) return;
    const needed = f.writtenBytes + data.length;
    if (needed > f.bytes.length) {
      const grown = Buffer.alloc(Math.max(needed, f.bytes.length * 2, 4096));
      f.bytes.copy(grown, 0, 0, f.writtenBytes);
      f.bytes = grown;
    }
    data.copy(f.bytes, f.writtenBytes);
    f.writtenBytes = needed;
    f.mtimeMs = this.options.nowMs();
    this.stats.appendedBytes += data.length;
    this.unsynced.push({ file: f, endBytes: needed, lengthBytes: data.length });
  }

  private file(name: string): MemFile {
    const f = this.files.get(name);
    if (f === undefined) throw new PegasusError('ERR_PATH_NOT_FOUND', `${name}: ENOENT`);
    return f;
  }
}
