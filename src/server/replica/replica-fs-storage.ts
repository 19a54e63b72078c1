/**
 * The real replica directories (contract layout, upstream replication_common.cpp / replica_init.cpp):
 * `<data dir>/replica/reps/<app_id>.<pidx>.pegasus/` holding `data/` (RocksStore), `plog/` (FileLog),
 * `.init-info` and `.app-info`. The small files are replaced atomically and durably — write a temp file,
 * fsync it, rename over the old one, fsync the directory — so a crash leaves the old or the new file,
 * never a torn one. Directories moved aside get upstream's names: `<gpid>.pegasus.<µs>.err|gar`.
 *
 * Learning a checkpoint (LT_APP). The learnee serves the files of `data/checkpoint.<decree>` by name, never
 * by a path a peer sent. The learner stages chunks in `learn/`, then installs in steps whose only commit
 * point is one directory rename, so a crash anywhere leaves the old replica or the new one:
 *   1. fsync the staged files; rename `learn/` to `learn.install/data/rdb` and hard-link its files into
 *      `learn.install/data/checkpoint.<decree>`; open RocksDB there once to check it is the checkpoint at
 *      `decree` (applied = flushed = decree). Not committed: a crash leaves `learn.install/`, which the next
 *      open deletes, and the old `data/` and `plog/` stand.
 *   2. rename `learn.install` to `learn.ready` and fsync the replica directory: committed.
 *   3. roll forward, each step idempotent: `data/` to `data.old/`, `learn.ready/data` to `data/`, delete
 *      `plog/` (its decrees belong to the replaced data), delete `data.old/`, delete `learn.ready/` last.
 *      `openReplica` runs this again while `learn.ready/` exists, so a crash in step 3 ends in the new state.
 */
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readFile, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvClock } from '../../base/clock.ts';
import { PegasusError, isPegasusError } from '../../base/error-code.ts';
import { formatGpid, type Gpid } from '../../base/gpid.ts';
import { FileLog, type MutationLogOptions } from '../../log/index.ts';
import type { MoveAsideSuffix, OpenedReplicaFiles, ReplicaFileName, ReplicaStorage } from '../../replica/stub/stub-env.ts';
import {
  LEARN_DIR_NAME,
  checkCheckpointFileName,
  checkReadRange,
  checkStageRange,
  isCheckpointFileName,
  type CheckpointFile,
} from '../../storage/checkpoint-files.ts';
import { checkpointDirName } from '../../storage/partition-store.ts';
import { RocksStore } from '../../storage/rocks/rocks-store.ts';
import { PartitionDb } from '../../storage/rrdb/partition-db.ts';

const REPLICA_DIR_NAME = /^(\d+)\.(\d+)\.pegasus$/;

export interface FsReplicaStorageOptions {
  /** The disk's directory (`[replication] data_dirs` path or `[core] data_dir`); `replica/reps` is appended. */
  dataDir: string;
  clock: EnvClock;
  /** This server's address, written into every rrdb response. */
  server: string;
  clusterId: number;
  /**
   * Test-only: called as `installLearnedCheckpoint` reaches each step; a throw stops the install right
   * there, with nothing cleaned up, as a crash would.
   */
  installStepHook?: (step: LearnInstallStep) => void;
}

/** The points of an install a crash test can stop at, in order (see the file comment). */
export type LearnInstallStep = 'staged' | 'prepared' | 'committed' | 'old-data-moved' | 'data-swapped' | 'plog-removed';

type LogOptions = Partial<Omit<MutationLogOptions, 'gpid' | 'nowMs'>>;

const INSTALL_DIR_NAME = 'learn.install';
const READY_DIR_NAME = 'learn.ready';
const OLD_DATA_DIR_NAME = 'data.old';
/** RocksDB's pointer to its live MANIFEST: staged files without it are no checkpoint. */
const ROCKSDB_CURRENT_FILE = 'CURRENT';

function errnoOf(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

function isMissing(e: unknown): boolean {
  return errnoOf(e) === 'ENOENT';
}

/** Runs an fs call; a failure that is not already a PegasusError becomes ERR_FILE_OPERATION_FAILED. */
async function io<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (isPegasusError(e)) throw e;
    throw new PegasusError('ERR_FILE_OPERATION_FAILED', what, { cause: e });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw new PegasusError('ERR_FILE_OPERATION_FAILED', `stat ${path}`, { cause: e });
  }
}

export class FsReplicaStorage implements ReplicaStorage {
  readonly repsDir: string;

  constructor(private readonly options: FsReplicaStorageOptions) {
    this.repsDir = join(options.dataDir, 'replica', 'reps');
  }

  dirOf(gpid: Gpid): string {
    return join(this.repsDir, `${formatGpid(gpid)}.pegasus`);
  }

  async listReplicas(): Promise<Gpid[]> {
    await mkdir(this.repsDir, { recursive: true });
    const gpids: Gpid[] = [];
    for (const entry of await readdir(this.repsDir, { withFileTypes: true })) {
      const match = REPLICA_DIR_NAME.exec(entry.name);
      if (match === null || !entry.isDirectory()) continue;
      gpids.push({ appId: Number(match[1]), partitionIndex: Number(match[2]) });
    }
    return gpids.sort((a, b) => a.appId - b.appId || a.partitionIndex - b.partitionIndex);
  }

  async openReplica(gpid: Gpid): Promise<OpenedReplicaFiles> {
    // An install interrupted by a crash is finished (committed) or undone (not committed) first.
    await this.recoverInstall(this.dirOf(gpid));
    return this.openFiles(gpid, {});
  }

  private async openFiles(gpid: Gpid, logOptions: LogOptions): Promise<OpenedReplicaFiles> {
    const dir = this.dirOf(gpid);
    const nowMs = (): number => this.options.clock.nowMs();
    const store = await RocksStore.open(join(dir, 'data'), { nowMs });
    try {
      const db = new PartitionDb(store, { gpid, server: this.options.server, clock: { nowMs }, clusterId: this.options.clusterId });
      const log = await FileLog.open(join(dir, 'plog'), { ...logOptions, gpid, nowMs });
      return { db, log };
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  async readFile(gpid: Gpid, name: ReplicaFileName): Promise<string | undefined> {
    try {
      return await readFile(join(this.dirOf(gpid), name), 'utf8');
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw new PegasusError('ERR_FILE_OPERATION_FAILED', `reading ${formatGpid(gpid)}/${name}`, { cause: e });
    }
  }

  async writeFile(gpid: Gpid, name: ReplicaFileName, text: string): Promise<void> {
    const dir = this.dirOf(gpid);
    await mkdir(dir, { recursive: true });
    const path = join(dir, name);
    const temp = `${path}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    await syncDir(dir);
  }

  async moveAside(gpid: Gpid, suffix: MoveAsideSuffix): Promise<string> {
    const name = `${formatGpid(gpid)}.pegasus.${this.options.clock.nowMs() * 1000}.${suffix}`;
    await rename(this.dirOf(gpid), join(this.repsDir, name));
    await syncDir(this.repsDir);
    return name;
  }

  // ---- learnee: serving a checkpoint ------------------------------------------------------------------

  private checkpointDirOf(gpid: Gpid, decree: number): string {
    if (!Number.isSafeInteger(decree) || decree < 0) throw new PegasusError('ERR_INVALID_PARAMETERS', `decree ${decree}`);
    return join(this.dirOf(gpid), 'data', checkpointDirName(decree));
  }

  async checkpointManifest(gpid: Gpid, decree: number): Promise<CheckpointFile[]> {
    const dir = this.checkpointDirOf(gpid, decree);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `no checkpoint ${formatGpid(gpid)}/${checkpointDirName(decree)}`);
      throw new PegasusError('ERR_FILE_OPERATION_FAILED', `listing ${dir}`, { cause: e });
    }
    const files: CheckpointFile[] = [];
    for (const entry of entries) {
      // We made the checkpoint: anything but plain files with RocksDB's names means it is not ours to serve.
      if (!entry.isFile() || !isCheckpointFileName(entry.name)) {
        throw new PegasusError('ERR_FILE_OPERATION_FAILED', `unexpected entry ${JSON.stringify(entry.name)} in ${dir}`);
      }
      const { size } = await io(`stat ${entry.name} in ${dir}`, () => stat(join(dir, entry.name)));
      files.push({ name: entry.name, sizeBytes: size });
    }
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async readCheckpointFile(gpid: Gpid, decree: number, name: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    checkCheckpointFileName(name);
    checkReadRange(offsetBytes, lengthBytes);
    const dir = this.checkpointDirOf(gpid, decree);
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: the manifest holds plain files only, so a symlink is not in it.
      handle = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (isMissing(e) && !(await exists(dir))) {
        throw new PegasusError('ERR_OBJECT_NOT_FOUND', `no checkpoint ${formatGpid(gpid)}/${checkpointDirName(decree)}`);
      }
      if (isMissing(e) || errnoOf(e) === 'ELOOP') throw new PegasusError('ERR_INVALID_PARAMETERS', `${name} is not in ${dir}`);
      throw new PegasusError('ERR_FILE_OPERATION_FAILED', `opening ${name} in ${dir}`, { cause: e });
    }
    try {
      const info = await io(`stat ${name}`, () => handle.stat());
      if (!info.isFile()) throw new PegasusError('ERR_INVALID_PARAMETERS', `${name} is not a file of ${dir}`);
      if (offsetBytes > info.size) throw new PegasusError('ERR_INVALID_PARAMETERS', `offset ${offsetBytes} is past the end of ${name} (${info.size} bytes)`);
      const wantedBytes = Math.min(lengthBytes, info.size - offsetBytes);
      const out = Buffer.allocUnsafe(wantedBytes);
      let gotBytes = 0;
      while (gotBytes < wantedBytes) {
        const { bytesRead } = await io(`reading ${name}`, () => handle.read(out, gotBytes, wantedBytes - gotBytes, offsetBytes + gotBytes));
        if (bytesRead === 0) break;
        gotBytes += bytesRead;
      }
      return out.subarray(0, gotBytes);
    } finally {
      await handle.close();
    }
  }

  // ---- learner: staging and installing a checkpoint ---------------------------------------------------

  async stageLearnedFile(gpid: Gpid, name: string, offsetBytes: number, bytes: Buffer): Promise<void> {
    checkCheckpointFileName(name);
    checkStageRange(offsetBytes, bytes.length);
    const learnDir = join(this.dirOf(gpid), LEARN_DIR_NAME);
    try {
      // Not recursive: staging for a replica that is not here must fail, not create its directory.
      await mkdir(learnDir);
    } catch (e) {
      if (isMissing(e)) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `no replica ${formatGpid(gpid)} here`);
      if (errnoOf(e) !== 'EEXIST') throw new PegasusError('ERR_FILE_OPERATION_FAILED', `creating ${learnDir}`, { cause: e });
    }
    // No O_TRUNC: chunks of one file may be written concurrently, and the first must not erase the second.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;
    const handle = await io(`opening ${name} in ${learnDir}`, () => open(join(learnDir, name), flags, 0o644));
    try {
      let writtenBytes = 0;
      while (writtenBytes < bytes.length) {
        const { bytesWritten } = await io(`writing ${name}`, () =>
          handle.write(bytes, writtenBytes, bytes.length - writtenBytes, offsetBytes + writtenBytes),
        );
        writtenBytes += bytesWritten;
      }
    } finally {
      await handle.close();
    }
  }

  async discardStagedFiles(gpid: Gpid): Promise<void> {
    await io(`removing staged files of ${formatGpid(gpid)}`, () => rm(join(this.dirOf(gpid), LEARN_DIR_NAME), { recursive: true, force: true }));
  }

  async installLearnedCheckpoint(gpid: Gpid, decree: number, logOptions: LogOptions = {}): Promise<OpenedReplicaFiles> {
    const dir = this.dirOf(gpid);
    await this.recoverInstall(dir);
    const learnDir = join(dir, LEARN_DIR_NAME);
    const installDir = join(dir, INSTALL_DIR_NAME);
    let names: string[];
    try {
      names = await readdir(learnDir);
    } catch (e) {
      if (isMissing(e)) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `nothing staged for ${formatGpid(gpid)}`);
      throw new PegasusError('ERR_FILE_OPERATION_FAILED', `listing ${learnDir}`, { cause: e });
    }
    if (!names.includes(ROCKSDB_CURRENT_FILE)) {
      throw new PegasusError('ERR_LOCAL_APP_FAILURE', `the files staged for ${formatGpid(gpid)} are no RocksDB checkpoint (no CURRENT)`);
    }
    // The copy wrote through the page cache; RocksDB will not sync files it did not write.
    for (const name of names) await syncFile(join(learnDir, name));
    await syncDir(learnDir);
    this.reached('staged');

    const learnedData = join(installDir, 'data');
    await io(`creating ${learnedData}`, () => mkdir(learnedData, { recursive: true }));
    const rdbDir = join(learnedData, 'rdb');
    await io(`moving ${learnDir} to ${rdbDir}`, () => rename(learnDir, rdbDir));
    // The learned checkpoint stays as the new data's own: hard links, SST files being immutable.
    const checkpointDir = join(learnedData, checkpointDirName(decree));
    await io(`creating ${checkpointDir}`, () => mkdir(checkpointDir));
    for (const name of names) {
      const from = join(rdbDir, name);
      const to = join(checkpointDir, name);
      await io(`linking ${name} into ${checkpointDir}`, () => link(from, to).catch(() => copyFile(from, to)));
    }
    await this.verifyLearnedStore(learnedData, decree, installDir);
    for (const path of [rdbDir, checkpointDir, learnedData, installDir]) await syncDir(path);
    this.reached('prepared');

    await io(`committing ${installDir}`, () => rename(installDir, join(dir, READY_DIR_NAME)));
    await syncDir(dir);
    this.reached('committed');
    await this.rollForward(dir);
    return this.openFiles(gpid, logOptions);
  }

  /** Opens the learned store once: it must be the checkpoint at `decree`, applied and flushed there. */
  private async verifyLearnedStore(dataDir: string, decree: number, installDir: string): Promise<void> {
    let appliedDecree: number;
    let flushedDecree: number;
    try {
      const store = await RocksStore.open(dataDir, { nowMs: () => this.options.clock.nowMs() });
      try {
        appliedDecree = store.lastAppliedDecree();
        flushedDecree = store.lastFlushedDecree();
      } finally {
        await store.close();
      }
    } catch (e) {
      await rm(installDir, { recursive: true, force: true });
      throw new PegasusError('ERR_LOCAL_APP_FAILURE', `the learned checkpoint in ${dataDir} does not open`, { cause: e });
    }
    if (appliedDecree !== decree || flushedDecree !== decree) {
      await rm(installDir, { recursive: true, force: true });
      throw new PegasusError(
        'ERR_LOCAL_APP_FAILURE',
        `the learned checkpoint is at decree ${appliedDecree} (flushed ${flushedDecree}), not ${decree}`,
      );
    }
  }

  /** Finishes a committed install, undoes one that was not committed; a no-op when there is none. */
  private async recoverInstall(dir: string): Promise<void> {
    await io(`removing ${INSTALL_DIR_NAME}`, () => rm(join(dir, INSTALL_DIR_NAME), { recursive: true, force: true }));
    if (await exists(join(dir, READY_DIR_NAME))) await this.rollForward(dir);
  }

  /** Step 3 of the file comment: every step may have run already, so each checks before it acts. */
  private async rollForward(dir: string): Promise<void> {
    const readyDir = join(dir, READY_DIR_NAME);
    const learnedData = join(readyDir, 'data');
    const dataDir = join(dir, 'data');
    const oldDataDir = join(dir, OLD_DATA_DIR_NAME);
    if (await exists(learnedData)) {
      if (await exists(dataDir)) {
        await io(`removing ${oldDataDir}`, () => rm(oldDataDir, { recursive: true, force: true }));
        await io(`moving ${dataDir} aside`, () => rename(dataDir, oldDataDir));
        this.reached('old-data-moved');
      }
      await io(`moving ${learnedData} into place`, () => rename(learnedData, dataDir));
      await syncDir(dir);
    }
    this.reached('data-swapped');
    await io('removing the old plog', () => rm(join(dir, 'plog'), { recursive: true, force: true }));
    await syncDir(dir);
    this.reached('plog-removed');
    await io(`removing ${oldDataDir}`, () => rm(oldDataDir, { recursive: true, force: true }));
    await io(`removing ${readyDir}`, () => rm(readyDir, { recursive: true, force: true }));
    await syncDir(dir);
  }

  private reached(step: LearnInstallStep): void {
    this.options.installStepHook?.(step);
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await io(`opening ${path}`, () => open(path, 'r'));
  try {
    await io(`syncing ${path}`, () => handle.sync());
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
