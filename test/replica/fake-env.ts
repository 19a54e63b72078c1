/**
 * A fake world for ReplicaStub tests: a manual clock whose timers fire only when a test advances it, an
 * in-memory network that records every outgoing call and answers it through a fake meta's handler table
 * (messages encoded and decoded with the real codec tables), and replica directories on MemDisk/MemLogDir
 * that outlive a stub, so a second stub on the same storage is a restart.
 */
import type { EnvClock, TimerHandle } from '../../src/base/clock.ts';
import { PegasusError } from '../../src/base/error-code.ts';
import { formatGpid, type Gpid } from '../../src/base/gpid.ts';
import { MemLog, MemLogDir, type MutationLogOptions } from '../../src/log/index.ts';
import type { MoveAsideSuffix, OpenedReplicaFiles, ReplicaFileName, ReplicaStorage, ReplicaStubConfig, ReplicaStubEnv, StubLogger } from '../../src/replica/stub/stub-env.ts';
import { RpcHandlerTable, createReply, dispatchRpc, type RpcCall, type RpcCallResult, type RpcChannel, type RpcRequest } from '../../src/rpc/transport.ts';
import type { CheckpointFile } from '../../src/storage/checkpoint-files.ts';
import { MemDisk } from '../../src/storage/mem/mem-disk.ts';
import { MemStagedFiles, learnedMemImage, memCheckpointManifest, readMemCheckpointFile } from '../../src/storage/mem/mem-learn.ts';
import { MemStore } from '../../src/storage/mem/mem-store.ts';
import { checkpointDirName } from '../../src/storage/partition-store.ts';
import { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';

export const SELF = '10.0.0.1:34801';
export const META = '10.0.0.9:34601';

/** Lets promise chains and MemStore/MemLog continuations run. */
export async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class ManualClock implements EnvClock {
  private timers: Array<{ atMs: number; seq: number; callback: () => void; cancelled: boolean }> = [];
  private seq = 0;
  constructor(public now = 1_750_000_000_000) {}
  nowMs(): number {
    return this.now;
  }
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = { atMs: this.now + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
  /** Moves time forward, firing due timers in order and letting their async work settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.atMs <= end).sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.now = Math.max(this.now, due.atMs);
      due.callback();
      await settle(5);
    }
    this.now = end;
    await settle();
  }
}

export interface RecordedCall {
  address: string;
  name: string;
  args: Buffer;
  atMs: number;
}

/** The network: outgoing calls go to `remote` (the fake meta); the stub's handlers are `local`. */
export class FakeNetwork implements RpcChannel {
  readonly calls: RecordedCall[] = [];
  remote = new RpcHandlerTable();
  local = new RpcHandlerTable();
  /** When set, calls fail as if the meta were unreachable. */
  down = false;
  constructor(private readonly clock: ManualClock) {}

  call(address: string, call: RpcCall): Promise<RpcCallResult> {
    this.calls.push({ address, name: call.name, args: call.args, atMs: this.clock.nowMs() });
    if (this.down) return Promise.reject(new PegasusError('ERR_NETWORK_FAILURE', 'the fake meta is down'));
    const answered = this.dispatch(this.remote, { name: call.name, gpid: call.gpid, args: call.args, oneway: call.oneway === true, remote: SELF });
    // An unanswered call times out on the manual clock, as a real channel's would.
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(call.timeoutMs, () => reject(new PegasusError('ERR_TIMEOUT', `${call.name} to ${address}`)));
      answered.then((result) => {
        timer.cancel();
        resolve(result);
      });
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  callsNamed(name: string): RecordedCall[] {
    return this.calls.filter((c) => c.name === name);
  }

  /** Delivers a request to the stub, as the meta or a client would. */
  deliver(name: string, gpid: Gpid, args: Buffer, oneway = false, partitionHash = 0n): Promise<RpcCallResult> {
    return this.dispatch(this.local, { name, gpid, args, oneway, remote: META, partitionHash });
  }

  private dispatch(
    table: RpcHandlerTable,
    r: { name: string; gpid: Gpid; args: Buffer; oneway: boolean; remote: string; partitionHash?: bigint },
  ): Promise<RpcCallResult> {
    return new Promise((resolve) => {
      const request: RpcRequest = {
        name: r.name,
        seqid: 1,
        header: { gpid: r.gpid, partitionHash: r.partitionHash ?? 0n, clientTimeoutMs: 0, isBackupRequest: false },
        args: r.args,
        oneway: r.oneway,
        remote: r.remote,
      };
      const reply = createReply(request, (errorName, result) => resolve({ errorName, ...(result === undefined ? {} : { result }) }));
      dispatchRpc(table, request, reply);
      // A oneway request (or a handler that never answers, like a busy meta) resolves nothing: the
      // caller's own timeout decides; here a oneway counts as handed over.
      if (r.oneway) resolve({ errorName: 'ERR_OK' });
    });
  }
}

interface MemReplicaDir {
  generation: number;
  files: Map<ReplicaFileName, string>;
  logDir: MemLogDir;
  staged: MemStagedFiles;
}

/** Replica directories on a simulated disk that survive the stub (a restart reopens them). */
export class MemReplicaStorage implements ReplicaStorage {
  readonly disk = new MemDisk();
  readonly dirs = new Map<string, MemReplicaDir>();
  readonly movedAside: string[] = [];
  private generation = 0;
  constructor(private readonly clock: ManualClock) {}

  listReplicas(): Promise<Gpid[]> {
    return Promise.resolve(
      [...this.dirs.keys()].map((name) => {
        const [appId, partitionIndex] = name.split('.').map(Number) as [number, number];
        return { appId, partitionIndex };
      }),
    );
  }

  private dir(gpid: Gpid): MemReplicaDir {
    const name = formatGpid(gpid);
    let dir = this.dirs.get(name);
    if (dir === undefined) {
      dir = { generation: this.generation++, files: new Map(), logDir: this.newLogDir(), staged: new MemStagedFiles() };
      this.dirs.set(name, dir);
    }
    return dir;
  }

  private newLogDir(): MemLogDir {
    return new MemLogDir({ nowMs: () => this.clock.nowMs() });
  }

  private dataDirOf(gpid: Gpid, generation: number): string {
    return `/reps/${formatGpid(gpid)}.pegasus#${generation}/data`;
  }

  async openReplica(gpid: Gpid): Promise<OpenedReplicaFiles> {
    const dir = this.dir(gpid);
    const clock = { nowMs: () => this.clock.nowMs() };
    const store = await MemStore.open(this.disk, this.dataDirOf(gpid, dir.generation), { nowMs: clock.nowMs, memtableBytesMax: 4096 });
    const db = new PartitionDb(store, { gpid, server: SELF, clock });
    const log = await MemLog.open(dir.logDir, { gpid, nowMs: clock.nowMs });
    return { db, log };
  }

  private existing(gpid: Gpid): MemReplicaDir {
    const dir = this.dirs.get(formatGpid(gpid));
    if (dir === undefined) throw new PegasusError('ERR_OBJECT_NOT_FOUND', `no replica ${formatGpid(gpid)}`);
    return dir;
  }

  private checkpointPathOf(gpid: Gpid, decree: number): string {
    return `${this.dataDirOf(gpid, this.existing(gpid).generation)}/${checkpointDirName(decree)}`;
  }

  async checkpointManifest(gpid: Gpid, decree: number): Promise<CheckpointFile[]> {
    return memCheckpointManifest(this.disk, this.checkpointPathOf(gpid, decree));
  }

  async readCheckpointFile(gpid: Gpid, decree: number, name: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    return readMemCheckpointFile(this.disk, this.checkpointPathOf(gpid, decree), name, offsetBytes, lengthBytes);
  }

  async stageLearnedFile(gpid: Gpid, name: string, offsetBytes: number, bytes: Buffer): Promise<void> {
    this.existing(gpid).staged.stage(name, offsetBytes, bytes);
  }

  async discardStagedFiles(gpid: Gpid): Promise<void> {
    this.dirs.get(formatGpid(gpid))?.staged.clear();
  }

  /** As the simulator's: build a new incarnation of the data directory, then switch to it in one step. */
  async installLearnedCheckpoint(gpid: Gpid, decree: number, logOptions: Partial<Omit<MutationLogOptions, 'gpid' | 'nowMs'>> = {}): Promise<OpenedReplicaFiles> {
    const dir = this.existing(gpid);
    const clock = { nowMs: () => this.clock.nowMs() };
    const image = learnedMemImage(dir.staged, decree, clock.nowMs());
    const generation = this.generation++;
    const dataDir = this.dataDirOf(gpid, generation);
    const checkpointPath = `${dataDir}/${checkpointDirName(decree)}`;
    this.disk.set(checkpointPath, image);
    const store = await MemStore.restoreFromCheckpoint(this.disk, checkpointPath, dataDir, { nowMs: clock.nowMs, memtableBytesMax: 4096 });
    const oldDataDir = this.dataDirOf(gpid, dir.generation);
    dir.generation = generation;
    dir.logDir = this.newLogDir();
    dir.staged.clear();
    for (const name of this.disk.list(oldDataDir)) this.disk.delete(`${oldDataDir}/${name}`);
    const db = new PartitionDb(store, { gpid, server: SELF, clock });
    const log = await MemLog.open(dir.logDir, { ...logOptions, gpid, nowMs: clock.nowMs });
    return { db, log };
  }

  readFile(gpid: Gpid, name: ReplicaFileName): Promise<string | undefined> {
    return Promise.resolve(this.dirs.get(formatGpid(gpid))?.files.get(name));
  }

  writeFile(gpid: Gpid, name: ReplicaFileName, text: string): Promise<void> {
    this.dir(gpid).files.set(name, text);
    return Promise.resolve();
  }

  moveAside(gpid: Gpid, suffix: MoveAsideSuffix): Promise<string> {
    const name = formatGpid(gpid);
    if (!this.dirs.delete(name)) return Promise.reject(new PegasusError('ERR_PATH_NOT_FOUND', name));
    const moved = `${name}.pegasus.${this.clock.nowMs() * 1000}.${suffix}`;
    this.movedAside.push(moved);
    return Promise.resolve(moved);
  }
}

export class CollectingLogger implements StubLogger {
  readonly lines: Array<{ level: string; msg: string; obj: object }> = [];
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', msg, obj });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', msg, obj });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', msg, obj });
  }
}

export const TEST_CONFIG: ReplicaStubConfig = {
  selfAddress: SELF,
  metaServers: [META],
  diskTag: 'default',
  fdDisabled: false,
  fdBeaconIntervalSeconds: 1,
  fdCheckIntervalSeconds: 1,
  fdLeaseSeconds: 3,
  configSyncDisabled: false,
  configSyncIntervalMs: 5000,
  writeSizeBytesMax: 1024 * 1024,
  stalenessForCommit: 20,
  prepareListCapacity: 110,
  batchWriteDisabled: false,
  replicaTiming: { mutation2pcMinReplicaCount: 1 },
};

/** One node's world; `env()` gives a fresh Env over the same storage (a restart keeps the disk). */
export class FakeNode {
  readonly clock = new ManualClock();
  readonly network = new FakeNetwork(this.clock);
  readonly storage = new MemReplicaStorage(this.clock);
  readonly logger = new CollectingLogger();

  env(config: Partial<ReplicaStubConfig> = {}): ReplicaStubEnv {
    // A restarted process registers its handlers anew.
    const handlers = new RpcHandlerTable();
    this.network.local = handlers;
    return {
      clock: this.clock,
      network: { channel: this.network, handlers },
      storage: this.storage,
      logger: this.logger,
      config: { ...TEST_CONFIG, ...config },
    };
  }
}
