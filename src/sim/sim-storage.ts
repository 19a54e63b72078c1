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
 * Learning (later): copying a checkpoint between nodes is a copy of one `DurableImage` from this machine's
 * `disk` at `checkpointPath` to another machine's disk, then `MemStore.restoreFromCheckpoint` there; the
 * data directory of a replica is `dataDirOf(gpid)`, so a copy needs nothing more from this class than that.
 */
import { PegasusError } from '../base/error-code.ts';
import { formatGpid, type Gpid } from '../base/gpid.ts';
import { MemLog } from '../log/mem-log.ts';
import { MemLogDir } from '../log/mem-log-dir.ts';
import type { MutationLogOptions } from '../log/mutation-log.ts';
import type { MoveAsideSuffix, OpenedReplicaFiles, ReplicaFileName, ReplicaStorage } from '../replica/stub/stub-env.ts';
import type { RpcAddress } from '../rpc/transport.ts';
import { MemDisk, type DurableImage } from '../storage/mem/mem-disk.ts';
import { MemStore } from '../storage/mem/mem-store.ts';
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
   * again after a move aside starts empty instead of finding the moved store.
   */
  readonly dataDir: string;
  readonly files: Map<ReplicaFileName, string>;
  readonly logDir: MemLogDir;
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
        dataDir: `${REPS_DIR}/${name}.pegasus#${this.generation++}/data`,
        files: new Map(),
        logDir: new MemLogDir({ nowMs: this.nowMs }),
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

  private check(what: string): void {
    if (!this.process.alive) throw deadProcessError(this.process, what);
  }
}
