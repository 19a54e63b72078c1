/**
 * The disks of one simulated machine (simulation.md "Disk", "Processes"): its replica directories, each a
 * MemStore data directory on the machine's MemDisk, a MemLogDir for the plog, and the two small files.
 *
 * What survives what, and why:
 * - MemStore: only its durable image (what the last flush wrote) is on the MemDisk; the memtable lives in
 *   the process. A reopen after either crash kind starts from the last flush and the plog replay brings the
 *   rest back, exactly like RocksDB with its WAL off. Flushed images survive a machine crash too (RocksDB
 *   syncs SSTs and the MANIFEST before a flush completes), so the disk itself never changes on a crash.
 * - plog: MemLogDir keeps written bytes (the OS has them) apart from synced ones. A process crash keeps
 *   every written byte; a machine crash keeps the synced bytes plus a random prefix of the unsynced writes
 *   (`crashMachine`), possibly cut in the middle of a block.
 * - `.init-info` and `.app-info` are written atomically and durably (temp file, fsync, rename): they survive
 *   both crash kinds, in their last written version.
 *
 * A process reaches the directories only through `forProcess`, a view fenced by its SimProcess: once the
 * process died, every call through the view — and through the MemStores and plogs it opened — fails, so a
 * stale object of a dead process can never write over what its successor reads.
 *
 * Learning a checkpoint (LT_APP) goes through the same chunked RPC as on real disks: a MemStore checkpoint
 * is served as one file, its serialized image (storage/mem/mem-learn.ts); the learner stages the chunks in
 * the replica directory (they survive a process crash, like files in `learn/`), and the install writes the
 * learned store into a new incarnation of the data directory, then — in one synchronous step, the commit
 * point — makes it the replica's data and gives it a new, empty plog. A crash before that step leaves the
 * old data and plog in place (the half-built incarnation is unreferenced garbage); a dead process's view
 * fails before it can commit.
 */
import { PegasusError } from '../base/error-code.ts';
import { formatGpid, type Gpid } from '../base/gpid.ts';
import { MemLog } from '../log/mem-log.ts';
import { MemLogDir } from '../log/mem-log-dir.ts';
import type { MutationLogOptions } from '../log/mutation-log.ts';
import type { MoveAsideSuffix, OpenedReplicaFiles, ReplicaFileName, ReplicaStorage } from '../replica/stub/stub-env.ts';
import type { RpcAddress } from '../rpc/transport.ts';
import { assert } from '../base/assert.ts';
import type { CheckpointFile } from '../storage/checkpoint-files.ts';
import { MemDisk, type DurableImage } from '../storage/mem/mem-disk.ts';
import { MemStagedFiles, learnedMemImage, memCheckpointManifest, readMemCheckpointFile } from '../storage/mem/mem-learn.ts';
import { MemStore } from '../storage/mem/mem-store.ts';
import { checkpointDirName } from '../storage/partition-store.ts';
import { PartitionDb, type PartitionDbOptions } from '../storage/rrdb/partition-db.ts';
import type { SimProcess } from './sim-process.ts';
import type { SimRandom } from './sim-random.ts';

export interface SimStorageOptions {
  /**
   * Applied bytes after which a MemStore flushes by itself (RocksDB's write buffer). Small values flush
   * often, so crashes lose little of the store and replay is short; large ones exercise long replays.
   * Default 64 KiB.
   */
  readonly memtableBytesMax?: number;
  /** Plog options other than the gpid and clock, e.g. `forceFlush` (plog_force_flush) or a small `fileSizeBytesMax`. */
  readonly log?: Partial<Omit<MutationLogOptions, 'gpid' | 'nowMs'>>;
  /** A slow disk: every plog append and sync waits for this first (see MemLogDirOptions.ioDelay). */
  readonly ioDelay?: () => Promise<void>;
  /** PartitionDb options other than identity and clock (cluster id, limits, scanner options). */
  readonly db?: Partial<Omit<PartitionDbOptions, 'gpid' | 'server' | 'clock'>>;
}

const MEMTABLE_BYTES_MAX_DEFAULT = 64 * 1024;

/** Replica directories of a node: `<data dir>/replica/reps/<app>.<pidx>.pegasus`, as in the contract. */
const REPS_DIR = '/replica/reps';

interface ReplicaDir {
  /** `<app>.<pidx>`. */
  readonly name: string;
  /**
   * The store's data directory on the MemDisk. It names this directory's incarnation, so a replica created
   * again after a move aside starts empty instead of finding the moved store. An installed checkpoint
   * replaces it with a new incarnation.
   */
  dataDir: string;
  readonly files: Map<ReplicaFileName, string>;
  /** Replaced by an empty one when a checkpoint is installed. */
  logDir: MemLogDir;
  /** Chunks of a checkpoint being learned (upstream's `learn/`). */
  readonly staged: MemStagedFiles;
}

function gpidOfName(name: string): Gpid {
  const [appId, partitionIndex] = name.split('.').map(Number) as [number, number];
  return { appId, partitionIndex };
}

function deadProcessError(process: SimProcess, what: string): PegasusError {
  return new PegasusError('ERR_FILE_OPERATION_FAILED', `${what}: process ${process.name} crashed`);
}

/**
 * The machine's MemDisk as one process sees it: after the process dies, a MemStore it opened can neither
 * read nor flush (a killed process's RocksDB does neither).
 */
class FencedMemDisk extends MemDisk {
  constructor(
    private readonly machineDisk: MemDisk,
    private readonly process: SimProcess,
  ) {
    super();
  }

  override get(path: string): DurableImage | undefined {
    this.check(path);
    return this.machineDisk.get(path);
  }

  override set(path: string, image: DurableImage): void {
    this.check(path);
    this.machineDisk.set(path, image);
  }

  override has(path: string): boolean {
    this.check(path);
    return this.machineDisk.has(path);
  }

  override delete(path: string): boolean {
    this.check(path);
    return this.machineDisk.delete(path);
  }

  override list(dir: string): string[] {
    this.check(dir);
    return this.machineDisk.list(dir);
  }

  private check(path: string): void {
    if (!this.process.alive) throw deadProcessError(this.process, path);
  }
}

/** The replica directories of one machine; outlives its processes. */
export class SimNodeStorage {
  /** Durable store images (and, later, checkpoints to copy between machines). */
  readonly disk = new MemDisk();
  private readonly dirs = new Map<string, ReplicaDir>();
  private readonly movedDirs = new Map<string, ReplicaDir>();
  private generation = 0;

  constructor(
    readonly address: RpcAddress,
    /** The machine's wall clock, for file times and move-aside names. */
    readonly nowMs: () => number,
    readonly options: SimStorageOptions = {},
  ) {}

  /** The ReplicaStorage of one process, fenced by it. */
  forProcess(process: SimProcess): ReplicaStorage {
    return new SimReplicaStorage(this, process);
  }

  // ---- crashes ----------------------------------------------------------------------------------------

  /** The process died: plog handles die with it; every written byte stays. */
  crashProcess(): void {
    for (const dir of this.allDirs()) dir.logDir.crashProcess();
  }

  /**
   * The machine lost power: every plog loses its unsynced bytes, except a random prefix of them when
   * `random` is given (the OS may have written some back already). Store images and small files stay.
   */
  crashMachine(random?: SimRandom): void {
    const keep = random === undefined ? {} : { random: () => random.float() };
    for (const dir of this.allDirs()) dir.logDir.crashMachine(keep);
  }

  // ---- inspection and fault injection ---------------------------------------------------------------

  /** `<app>.<pidx>` of the replica directories present, sorted. */
  replicaNames(): string[] {
    return this.sortedGpids().map(formatGpid);
  }

  /** The plog directory of a replica, for disk faults (`failNextAppend`, `diskFullAfter`...) and checks. */
  logDirOf(gpid: Gpid): MemLogDir | undefined {
    return this.dirs.get(formatGpid(gpid))?.logDir;
  }

  /** Where the replica's MemStore keeps its durable image and checkpoints on `disk`. */
  dataDirOf(gpid: Gpid): string | undefined {
    return this.dirs.get(formatGpid(gpid))?.dataDir;
  }

  /** A small file's current content, as a restarted process would read it. */
  fileText(gpid: Gpid, name: ReplicaFileName): string | undefined {
    return this.dirs.get(formatGpid(gpid))?.files.get(name);
  }

  /** Names the directories were moved aside to, in move order. */
  movedAside(): string[] {
    return [...this.movedDirs.keys()];
  }

  // ---- used by SimReplicaStorage ------------------------------------------------------------------------

  /** @internal */
  sortedGpids(): Gpid[] {
    return [...this.dirs.keys()].map(gpidOfName).sort((a, b) => a.appId - b.appId || a.partitionIndex - b.partitionIndex);
  }

  /** @internal The directory of `gpid`; created (durably) when `create` says so. */
  dir(gpid: Gpid, create: boolean): ReplicaDir | undefined {
    const name = formatGpid(gpid);
    let dir = this.dirs.get(name);
    if (dir === undefined && create) {
      dir = {
        name,
        dataDir: this.newDataDir(name),
        files: new Map(),
        logDir: this.newLogDir(),
        staged: new MemStagedFiles(),
      };
      this.dirs.set(name, dir);
    }
    return dir;
  }

  /** @internal Renames the directory to `<app>.<pidx>.pegasus.<timestamp_us>.<suffix>` (upstream's form). */
  moveAside(gpid: Gpid, suffix: MoveAsideSuffix): string {
    const name = formatGpid(gpid);
    const dir = this.dirs.get(name);
    if (dir === undefined) throw new PegasusError('ERR_PATH_NOT_FOUND', `${REPS_DIR}/${name}.pegasus does not exist`);
    const base = `${name}.pegasus.${this.nowMs() * 1000}`;
    let moved = `${base}.${suffix}`;
    // Two moves of one gpid within a millisecond would collide; upstream's microseconds rarely do.
    for (let n = 1; this.movedDirs.has(moved); n++) moved = `${base}-${n}.${suffix}`;
    this.dirs.delete(name);
    this.movedDirs.set(moved, dir);
    return moved;
  }

  /** @internal A data directory no replica uses yet (a new incarnation of `<app>.<pidx>`'s). */
  newDataDir(name: string): string {
    return `${REPS_DIR}/${name}.pegasus#${this.generation++}/data`;
  }

  private newLogDir(): MemLogDir {
    return new MemLogDir({ nowMs: this.nowMs, ...(this.options.ioDelay === undefined ? {} : { ioDelay: this.options.ioDelay }) });
  }

  /**
   * @internal The commit point of an install, one synchronous step: `dataDir` (holding the learned store)
   * becomes the replica's data and the plog starts empty; then the old incarnation's images are deleted.
   */
  installLearned(gpid: Gpid, dataDir: string): void {
    const dir = this.dirs.get(formatGpid(gpid));
    if (dir === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `no replica ${formatGpid(gpid)} here`);
    const oldDataDir = dir.dataDir;
    dir.dataDir = dataDir;
    dir.logDir = this.newLogDir();
    dir.staged.clear();
    for (const name of this.disk.list(oldDataDir)) this.disk.delete(`${oldDataDir}/${name}`);
  }

  /** @internal */
  memtableBytesMax(): number {
    return this.options.memtableBytesMax ?? MEMTABLE_BYTES_MAX_DEFAULT;
  }

  private allDirs(): ReplicaDir[] {
    return [...this.dirs.values(), ...this.movedDirs.values()];
  }
}

/** One process's view of its machine's replica directories. */
class SimReplicaStorage implements ReplicaStorage {
  private readonly disk: FencedMemDisk;

  constructor(
    private readonly machine: SimNodeStorage,
    private readonly process: SimProcess,
  ) {
    this.disk = new FencedMemDisk(machine.disk, process);
  }

  async listReplicas(): Promise<Gpid[]> {
    this.check('list replicas');
    return this.machine.sortedGpids();
  }

  async openReplica(gpid: Gpid): Promise<OpenedReplicaFiles> {
    this.check(`open ${formatGpid(gpid)}`);
    const dir = this.machine.dir(gpid, true)!;
    const nowMs = this.machine.nowMs;
    const store = await MemStore.open(this.disk, dir.dataDir, { nowMs, memtableBytesMax: this.machine.memtableBytesMax() });
    try {
      const log = await MemLog.open(dir.logDir, { ...this.machine.options.log, gpid, nowMs });
      const db = new PartitionDb(store, { ...this.machine.options.db, gpid, server: this.process.address, clock: { nowMs } });
      return { db, log };
    } catch (e) {
      // A plog that does not open leaves nothing open behind it; the stub moves the directory aside.
      await store.close();
      throw e;
    }
  }

  async readFile(gpid: Gpid, name: ReplicaFileName): Promise<string | undefined> {
    this.check(`read ${formatGpid(gpid)}/${name}`);
    return this.machine.dir(gpid, false)?.files.get(name);
  }

  async writeFile(gpid: Gpid, name: ReplicaFileName, text: string): Promise<void> {
    this.check(`write ${formatGpid(gpid)}/${name}`);
    this.machine.dir(gpid, true)!.files.set(name, text);
  }

  async moveAside(gpid: Gpid, suffix: MoveAsideSuffix): Promise<string> {
    this.check(`move ${formatGpid(gpid)} aside`);
    return this.machine.moveAside(gpid, suffix);
  }

  async checkpointManifest(gpid: Gpid, decree: number): Promise<CheckpointFile[]> {
    this.check(`list checkpoint ${decree} of ${formatGpid(gpid)}`);
    return memCheckpointManifest(this.disk, this.checkpointPathOf(gpid, decree));
  }

  async readCheckpointFile(gpid: Gpid, decree: number, name: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    this.check(`read checkpoint ${decree} of ${formatGpid(gpid)}`);
    return readMemCheckpointFile(this.disk, this.checkpointPathOf(gpid, decree), name, offsetBytes, lengthBytes);
  }

  async stageLearnedFile(gpid: Gpid, name: string, offsetBytes: number, bytes: Buffer): Promise<void> {
    this.check(`stage ${name} for ${formatGpid(gpid)}`);
    this.existingDir(gpid).staged.stage(name, offsetBytes, bytes);
  }

  async discardStagedFiles(gpid: Gpid): Promise<void> {
    this.check(`discard staged files of ${formatGpid(gpid)}`);
    this.machine.dir(gpid, false)?.staged.clear();
  }

  async installLearnedCheckpoint(
    gpid: Gpid,
    decree: number,
    logOptions: Partial<Omit<MutationLogOptions, 'gpid' | 'nowMs'>> = {},
  ): Promise<OpenedReplicaFiles> {
    const what = `install checkpoint ${decree} for ${formatGpid(gpid)}`;
    this.check(what);
    const dir = this.existingDir(gpid);
    const nowMs = this.machine.nowMs;
    const image = learnedMemImage(dir.staged, decree, nowMs());
    // Built where nothing refers to it yet: until the commit below, a crash leaves the old replica whole.
    const dataDir = this.machine.newDataDir(dir.name);
    const checkpointPath = `${dataDir}/${checkpointDirName(decree)}`;
    this.disk.set(checkpointPath, image);
    const store = await MemStore.restoreFromCheckpoint(this.disk, checkpointPath, dataDir, { nowMs, memtableBytesMax: this.machine.memtableBytesMax() });
    assert(store.lastAppliedDecree() === decree && store.lastFlushedDecree() === decree, `learned store opened at ${store.lastAppliedDecree()}, not ${decree}`);
    try {
      this.check(what);
      this.machine.installLearned(gpid, dataDir);
      const log = await MemLog.open(dir.logDir, { ...this.machine.options.log, ...logOptions, gpid, nowMs });
      const db = new PartitionDb(store, { ...this.machine.options.db, gpid, server: this.process.address, clock: { nowMs } });
      return { db, log };
    } catch (e) {
      // A dead process cannot close (its disk view is fenced); the store then dies with it.
      await store.close().catch(() => undefined);
      throw e;
    }
  }

  private existingDir(gpid: Gpid): ReplicaDir {
    const dir = this.machine.dir(gpid, false);
    if (dir === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `no replica ${formatGpid(gpid)} here`);
    return dir;
  }

  private checkpointPathOf(gpid: Gpid, decree: number): string {
    if (!Number.isSafeInteger(decree) || decree < 0) throw new PegasusError('ERR_INVALID_PARAMETERS', `decree ${decree}`);
    return `${this.existingDir(gpid).dataDir}/${checkpointDirName(decree)}`;
  }

  private check(what: string): void {
    if (!this.process.alive) throw deadProcessError(this.process, what);
  }
}
