/** What the contract suites need from a log implementation: a fresh "disk" they can open logs on and poke at. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogFileName } from '../../src/log/log-block.ts';
import type { LogDir } from '../../src/log/log-dir.ts';
import { MemLogDir } from '../../src/log/mem-log-dir.ts';
import { MutationLog, type MutationLogOptions } from '../../src/log/mutation-log.ts';
import { NodeLogDir } from '../../src/log/node-log-dir.ts';
import { CountingLogDir } from './counting-log-dir.ts';
import { FakeClock, GPID } from './log-test-util.ts';

export interface OpenedLog {
  log: MutationLog;
  counting: CountingLogDir;
}

export interface TestDisk {
  clock: FakeClock;
  /** Opens a log on this disk through a fresh `CountingLogDir`. */
  open(options?: Partial<MutationLogOptions>): Promise<OpenedLog>;
  /** Every name in the directory, log files ordered by index, others after them. */
  names(): Promise<string[]>;
  bytes(name: string): Promise<Buffer>;
  setBytes(name: string, bytes: Buffer): Promise<void>;
  removeFile(name: string): Promise<void>;
  cleanup(): Promise<void>;
}

export interface LogHarness {
  kind: string;
  newDisk(): Promise<TestDisk>;
}

function openOn(dir: LogDir, clock: FakeClock) {
  return async (options: Partial<MutationLogOptions> = {}): Promise<OpenedLog> => {
    const counting = new CountingLogDir(dir);
    const log = await MutationLog.open(counting, { gpid: GPID, nowMs: clock.nowMs, ...options });
    return { log, counting };
  };
}

export function byIndex(names: string[]): string[] {
  const key = (n: string) => parseLogFileName(n)?.index ?? Number.MAX_SAFE_INTEGER;
  return [...names].sort((a, b) => key(a) - key(b) || a.localeCompare(b));
}

export const memHarness: LogHarness = {
  kind: 'MemLog',
  async newDisk() {
    const clock = new FakeClock();
    const dir = new MemLogDir({ nowMs: clock.nowMs });
    return {
      clock,
      open: (options) => openOn(dir.attach(), clock)(options),
      names: async () => byIndex(dir.fileNames()),
      bytes: async (name) => dir.fileBytes(name),
      setBytes: async (name, bytes) => dir.setFileBytes(name, bytes),
      removeFile: (name) => dir.remove(name),
      cleanup: async () => {},
    };
  },
};

export const fileHarness: LogHarness = {
  kind: 'FileLog',
  async newDisk() {
    const clock = new FakeClock();
    const path = await mkdtemp(join(tmpdir(), 'pegasus-plog-'));
    const dir = await NodeLogDir.open(join(path, 'plog'));
    const plog = dir.dirPath;
    return {
      clock,
      open: openOn(dir, clock),
      names: async () => byIndex(await readdir(plog)),
      bytes: (name) => readFile(join(plog, name)),
      setBytes: (name, bytes) => writeFile(join(plog, name), bytes),
      removeFile: (name) => rm(join(plog, name)),
      cleanup: () => rm(path, { recursive: true, force: true }),
    };
  },
};
