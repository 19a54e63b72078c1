/**
 * `LogDir` on the real file system: the only file of the log layer that touches `fs`. It uses
 * fs/promises FileHandles so reads and fdatasync run on libuv's thread pool, off the event loop; appends are
 * written on the event loop while that is cheaper (see `NodeLogFileHandle.append`).
 */
import { constants, writevSync, type Dirent } from 'node:fs';
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../base/assert.ts';
import { PegasusError, type ErrorCode } from '../base/error-code.ts';
import type { LogDir, LogDirEntry, LogFileHandle } from './log-dir.ts';

export class NodeLogDir implements LogDir {
  private constructor(
    readonly dirPath: string,
    private readonly syncWriteSlowMs: number,
  ) {}

  /**
   * Opens the directory, creating it (and its parents) if missing, as upstream's mutation_log::open.
   * `syncWriteSlowMs` is for tests: below 0, every append after the first goes to the thread pool.
   */
  static async open(dirPath: string, options: { syncWriteSlowMs?: number } = {}): Promise<NodeLogDir> {
    await io(`create directory ${dirPath}`, () => mkdir(dirPath, { recursive: true }));
    return new NodeLogDir(dirPath, options.syncWriteSlowMs ?? SYNC_WRITE_SLOW_MS);
  }

  async list(): Promise<LogDirEntry[]> {
    const dirents: Dirent[] = await io(`list ${this.dirPath}`, () => readdir(this.dirPath, { withFileTypes: true }));
    const entries: LogDirEntry[] = [];
    for (const d of dirents) {
      if (!d.isFile()) continue;
      const s = await io(`stat ${d.name}`, () => stat(this.path(d.name)));
      entries.push({ name: d.name, sizeBytes: s.size, mtimeMs: s.mtimeMs });
    }
    return entries;
  }

  async create(name: string): Promise<LogFileHandle> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    const fh = await io(`create ${name}`, () => open(this.path(name), flags, 0o644));
    return new NodeLogFileHandle(name, fh, this.syncWriteSlowMs);
  }

  async read(name: string, offsetBytes = 0, lengthBytes?: number): Promise<Buffer> {
    const fh = await io(`open ${name}`, () => open(this.path(name), 'r'));
    try {
      const sizeBytes = (await io(`stat ${name}`, () => fh.stat())).size;
      const wanted = Math.max(0, Math.min(lengthBytes ?? sizeBytes, sizeBytes - offsetBytes));
      const out = Buffer.allocUnsafe(wanted);
      let got = 0;
      while (got < wanted) {
        const { bytesRead } = await io(`read ${name}`, () => fh.read(out, got, wanted - got, offsetBytes + got));
        if (bytesRead === 0) break; // the file shrank under us: return what exists
        got += bytesRead;
      }
      return out.subarray(0, got);
    } finally {
      await io(`close ${name}`, () => fh.close());
    }
  }

  async sync(name: string): Promise<void> {
    const fh = await io(`open ${name}`, () => open(this.path(name), 'r+'));
    try {
      await io(`sync ${name}`, () => fh.datasync());
    } finally {
      await io(`close ${name}`, () => fh.close());
    }
  }

  async truncate(name: string, sizeBytes: number): Promise<void> {
    const fh = await io(`open ${name}`, () => open(this.path(name), 'r+'));
    try {
      await io(`truncate ${name}`, () => fh.truncate(sizeBytes));
      await io(`sync ${name}`, () => fh.datasync());
    } finally {
      await io(`close ${name}`, () => fh.close());
    }
  }

  async remove(name: string): Promise<void> {
    await io(`remove ${name}`, () => unlink(this.path(name)));
  }

  async syncDir(): Promise<void> {
    const fh = await io(`open ${this.dirPath}`, () => open(this.dirPath, 'r'));
    try {
      await io(`sync ${this.dirPath}`, () => fh.sync());
    } finally {
      await io(`close ${this.dirPath}`, () => fh.close());
    }
  }

  private path(name: string): string {
    assert(!name.includes('/') && name !== '.' && name !== '..', `log file name ${name} is not a plain name`);
    return join(this.dirPath, name);
  }
}

/**
 * A plog write without fsync only copies into the page cache: about 10 µs for a segment on this machine kind.
 * Handing it to libuv's thread pool instead costs the event loop as much again (the request, the wake-up, the
 * promise), adds a thread hop to every mutation's latency and queues it behind RocksDB's reads on the same
 * pool; in a 3-replica write benchmark it was the replica servers' largest single CPU cost. So appends are
 * written synchronously. When the kernel throttles writers (dirty-page writeback), one write can block for
 * tens of milliseconds: a write slower than this sends the handle's writes to the thread pool for a while.
 * The bound sits above a scheduler time slice, so a process merely preempted mid-write on a busy machine
 * keeps writing synchronously.
 */
const SYNC_WRITE_SLOW_MS = 20;
const THREAD_POOL_WRITES_MS = 1_000;

class NodeLogFileHandle implements LogFileHandle {
  private sizeBytes = 0;
  private closed = false;
  /** Until this time (performance.now()) appends go to the thread pool. */
  private threadPoolUntilMs = 0;
  private appending = false;

  constructor(
    readonly name: string,
    private readonly fh: FileHandle,
    private readonly syncWriteSlowMs: number,
  ) {}

  async append(buffers: readonly Buffer[]): Promise<void> {
    assert(!this.closed, `append to closed ${this.name}`);
    assert(!this.appending, `${this.name}: an append started before the previous one finished`);
    this.appending = true;
    try {
      await this.appendAll(buffers);
    } finally {
      this.appending = false;
    }
  }

  private async appendAll(buffers: readonly Buffer[]): Promise<void> {
    let pending = buffers.filter((b) => b.length > 0);
    while (pending.length > 0) {
      let bytesWritten: number;
      const startMs = performance.now();
      if (startMs < this.threadPoolUntilMs) {
        ({ bytesWritten } = await io(`write ${this.name}`, () => this.fh.writev(pending, this.sizeBytes)));
      } else {
        bytesWritten = ioSync(`write ${this.name}`, () => writevSync(this.fh.fd, pending, this.sizeBytes));
        const tookMs = performance.now() - startMs;
        if (tookMs > this.syncWriteSlowMs) this.threadPoolUntilMs = startMs + tookMs + THREAD_POOL_WRITES_MS;
      }
      this.sizeBytes += bytesWritten;
      pending = dropWritten(pending, bytesWritten);
    }
  }

  async sync(): Promise<void> {
    assert(!this.closed, `sync of closed ${this.name}`);
    await io(`sync ${this.name}`, () => this.fh.datasync());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await io(`close ${this.name}`, () => this.fh.close());
  }
}

/** What is left of `buffers` after the first `bytes` of them were written (writev may write short). */
function dropWritten(buffers: Buffer[], bytes: number): Buffer[] {
  let left = bytes;
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (left >= b.length) left -= b.length;
    else {
      out.push(left > 0 ? b.subarray(left) : b);
      left = 0;
    }
  }
  return out;
}

function pegasusErrorOf(what: string, e: unknown): PegasusError {
  const errno = (e as NodeJS.ErrnoException).code;
  const code: ErrorCode =
    errno === 'ENOSPC' || errno === 'EDQUOT' ? 'ERR_DISK_INSUFFICIENT'
    : errno === 'ENOENT' ? 'ERR_PATH_NOT_FOUND'
    : 'ERR_FILE_OPERATION_FAILED';
  return new PegasusError(code, `${what}: ${errno ?? String(e)}`, { cause: e });
}

async function io<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw pegasusErrorOf(what, e);
  }
}

function ioSync<T>(what: string, op: () => T): T {
  try {
    return op();
  } catch (e) {
    throw pegasusErrorOf(what, e);
  }
}
