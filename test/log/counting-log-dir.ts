/**
 * A `LogDir` wrapper for tests: counts the calls that reach the disk and fails the next append or sync
 * on demand, over either implementation, so the contract suite can check batching and write errors on
 * the real file system too.
 */
import { PegasusError, type ErrorCode } from '../../src/base/error-code.ts';
import type { LogDir, LogDirEntry, LogFileHandle } from '../../src/log/log-dir.ts';

export class CountingLogDir implements LogDir {
  appendCalls = 0;
  syncCalls = 0;
  private failAppend: ErrorCode | undefined;
  private failSync: ErrorCode | undefined;

  constructor(readonly inner: LogDir) {}

  failNextAppend(code: ErrorCode = 'ERR_FILE_OPERATION_FAILED'): void {
    this.failAppend = code;
  }

  failNextSync(code: ErrorCode = 'ERR_FILE_OPERATION_FAILED'): void {
    this.failSync = code;
  }

  list(): Promise<LogDirEntry[]> {
    return this.inner.list();
  }

  async create(name: string): Promise<LogFileHandle> {
    const handle = await this.inner.create(name);
    return {
      name,
      append: async (buffers) => {
        this.appendCalls++;
        const code = this.failAppend;
        this.failAppend = undefined;
        if (code !== undefined) throw new PegasusError(code, `write ${name}: injected by the test`);
        await handle.append(buffers);
      },
      sync: async () => {
        this.syncCalls++;
        const code = this.failSync;
        this.failSync = undefined;
        if (code !== undefined) throw new PegasusError(code, `sync ${name}: injected by the test`);
        await handle.sync();
      },
      close: () => handle.close(),
    };
  }

  read(name: string, offsetBytes?: number, lengthBytes?: number): Promise<Buffer> {
    return this.inner.read(name, offsetBytes, lengthBytes);
  }

  sync(name: string): Promise<void> {
    this.syncCalls++;
    return this.inner.sync(name);
  }

  truncate(name: string, sizeBytes: number): Promise<void> {
    return this.inner.truncate(name, sizeBytes);
  }

  remove(name: string): Promise<void> {
    return this.inner.remove(name);
  }

  syncDir(): Promise<void> {
    return this.inner.syncDir();
  }
}
