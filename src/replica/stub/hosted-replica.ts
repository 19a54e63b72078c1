/**
 * One replica as the stub hosts it: its directory's identity (gpid, app_info, the ballot persisted in
 * `.init-info`) and, while open, the Replica that serves it. A closed replica stays known (its directory is
 * still on disk, reported by config sync) until it is garbage-collected. Opening is asynchronous; callers
 * share one open in flight and re-check state after it, so no transition is split by an await
 * (architecture.md §4).
 */
import { PegasusError } from '../../base/error-code.ts';
import { formatGpid, type Gpid } from '../../base/gpid.ts';
import type { AppInfo } from '../../idl/meta.ts';
import type { ConfigurationUpdateRequest, ConfigurationUpdateResponse, ReplicaInfo } from '../../idl/replication.ts';
import { Replica, wireStatus } from '../replica.ts';
import { copyCheckpoint, fetchCheckpointManifest } from '../checkpoint-copy.ts';
import { REPLICA_TIMING_DEFAULT, type ReplicaEnv } from '../replica-env.ts';
import { formatAppInfo, formatInitInfo, parseAppInfo, parseInitInfo } from './replica-files.ts';
import type { ReplicaStubEnv } from './stub-env.ts';

/** What a closed replica last showed, so config sync can still report it. */
interface Progress {
  ballot: number;
  /** Replica.dataBallot: what the meta's DDD rule ranks replicas by. */
  dataBallot: number;
  lastCommittedDecree: number;
  lastPreparedDecree: number;
  lastDurableDecree: number;
}

/** What the stub lends each replica beyond its Env: the meta update channel (one per server). */
export interface ReplicaServices {
  updateConfigurationOnMeta(request: ConfigurationUpdateRequest): Promise<ConfigurationUpdateResponse>;
  /** The server's checkpoint-copy slots (`learn_app_max_concurrent_count`). */
  tryAcquireLearnAppSlot(): boolean;
  releaseLearnAppSlot(): void;
}

/** The fields of `values` that are set (optional config keys fall back to the timing defaults). */
function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Per chunk of a checkpoint copy (LT_APP). */
const LEARN_COPY_TIMEOUT_MS = 10_000;

/** Client writes waiting for a mutation before new ones get ERR_BUSY (house bound, not an upstream key). */
const QUEUED_WRITES_MAX = 10_000;

export class HostedReplica {
  private replicaNow: Replica | undefined;
  private opening: Promise<Replica> | undefined;
  private closing: Promise<void> | undefined;
  private progress: Progress;
  private initInfoWrites: Promise<void> = Promise.resolve();
  private wantedBallot = 0;
  private wantedDataBallot = 0;
  /** Set once the directory was moved aside or the stub closed: it is never opened again. */
  retired = false;

  private constructor(
    private readonly env: ReplicaStubEnv,
    private readonly services: ReplicaServices,
    readonly gpid: Gpid,
    private appInfoNow: AppInfo,
    private persistedBallotNow: number,
    private persistedDataBallotNow: number,
  ) {
    this.progress = { ballot: persistedBallotNow, dataBallot: persistedDataBallotNow, lastCommittedDecree: 0, lastPreparedDecree: 0, lastDurableDecree: 0 };
  }

  /** Reads the identity files of a stored replica; rejects with ERR_CORRUPTION when one does not parse. */
  static async load(env: ReplicaStubEnv, services: ReplicaServices, gpid: Gpid): Promise<HostedReplica> {
    const name = formatGpid(gpid);
    const appText = await env.storage.readFile(gpid, '.app-info');
    // Upstream refuses to load a replica without app info: nothing says which table it belongs to.
    if (appText === undefined) throw new PegasusError('ERR_CORRUPTION', `${name}: no .app-info`);
    const appInfo = parseAppInfo(appText, gpid.appId, `${name}/.app-info`);
    if (gpid.partitionIndex < 0 || gpid.partitionIndex >= appInfo.partitionCount) {
      throw new PegasusError('ERR_CORRUPTION', `${name}: partition index outside the table's ${appInfo.partitionCount} partitions`);
    }
    const initText = await env.storage.readFile(gpid, '.init-info');
    // No .init-info: the directory was created for a proposal the meta never confirmed (ballot 0).
    const init = initText === undefined ? { ballot: 0, dataBallot: 0 } : parseInitInfo(initText, `${name}/.init-info`);
    return new HostedReplica(env, services, gpid, appInfo, init.ballot, init.dataBallot);
  }

  /** A new replica directory for a proposal: `.app-info` is written, the ballot waits for the meta's answer. */
  static async create(env: ReplicaStubEnv, services: ReplicaServices, gpid: Gpid, appInfo: AppInfo): Promise<HostedReplica> {
    await env.storage.writeFile(gpid, '.app-info', formatAppInfo(appInfo));
    return new HostedReplica(env, services, gpid, appInfo, 0, 0);
  }

  get name(): string {
    return formatGpid(this.gpid);
  }

  get appInfo(): AppInfo {
    return this.appInfoNow;
  }

  get replica(): Replica | undefined {
    return this.replicaNow;
  }

  get persistedBallot(): number {
    return this.persistedBallotNow;
  }

  /** The highest ballot known: persisted, or seen in the replayed plog. */
  get ballot(): number {
    return Math.max(this.persistedBallotNow, this.replicaNow?.ballot ?? this.progress.ballot);
  }

  get isPrimary(): boolean {
    return this.replicaNow?.status === 'PS_PRIMARY';
  }

  /** Opens the store and plog and replays (§3.5); the replica comes up INACTIVE. Shares an open in flight. */
  open(): Promise<Replica> {
    if (this.replicaNow !== undefined) return Promise.resolve(this.replicaNow);
    if (this.retired) return Promise.reject(new PegasusError('ERR_OBJECT_NOT_FOUND', `${this.name} is no longer hosted`));
    this.opening ??= this.openOnce().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openOnce(): Promise<Replica> {
    await this.closing;
    const { db, log } = await this.env.storage.openReplica(this.gpid);
    const { config, logger } = this.env;
    try {
      const replica = await Replica.open(db, log, this.replicaEnv());
      await db.loadCheckpoints();
      if (this.retired) {
        await replica.close();
        throw new PegasusError('ERR_OBJECT_NOT_FOUND', `${this.name} was retired while opening`);
      }
      this.replicaNow = replica;
      this.snapshotProgress();
      return replica;
    } catch (e) {
      // Replica.open failed after the files were opened: release them before the directory moves aside.
      if (this.replicaNow === undefined) await Promise.allSettled([log.close(), db.close()]);
      throw e;
    }
  }

  private replicaEnv(): ReplicaEnv {
    const { config, logger, clock, network } = this.env;
    return {
      gpid: this.gpid,
      selfAddress: config.selfAddress,
      clock,
      channel: network.channel,
      logger,
      timing: { ...REPLICA_TIMING_DEFAULT, ...definedOnly(config.replicaTiming) },
      prepareListCapacity: config.prepareListCapacity,
      stalenessForCommit: config.stalenessForCommit,
      writeSizeBytesMax: config.writeSizeBytesMax,
      batchWriteDisabled: config.batchWriteDisabled,
      queuedWritesMax: QUEUED_WRITES_MAX,
      appInfo: () => this.appInfoNow,
      persistedBallot: () => this.persistedBallotNow,
      persistBallot: (ballot) => this.persistBallot(ballot),
      persistedDataBallot: () => this.persistedDataBallotNow,
      persistDataBallot: (dataBallot) => this.persistDataBallot(dataBallot),
      updateConfigurationOnMeta: (request) => this.services.updateConfigurationOnMeta(request),
      copyCheckpointFrom: async (learnee, decree) => {
        const remote = { channel: network.channel, learnee, gpid: this.gpid, decree, timeoutMs: LEARN_COPY_TIMEOUT_MS };
        const files = await fetchCheckpointManifest(remote);
        return copyCheckpoint({ ...remote, files, storage: this.env.storage });
      },
      installLearnedCheckpoint: (decree) => this.env.storage.installLearnedCheckpoint(this.gpid, decree),
      tryAcquireLearnAppSlot: () => this.services.tryAcquireLearnAppSlot(),
      releaseLearnAppSlot: () => this.services.releaseLearnAppSlot(),
      ...(config.brokenVariant === undefined ? {} : { brokenVariant: config.brokenVariant }),
    };
  }

  /** Persists a higher ballot to `.init-info` before anyone acts on it (pegasus-internals.md §2.2). */
  async persistBallot(ballot: number): Promise<void> {
    if (ballot <= this.persistedBallotNow) return;
    await this.writeInitInfo(ballot, this.persistedDataBallotNow);
  }

  /** Records the newest ballot the replica holds data of (never above the persisted ballot). */
  async persistDataBallot(dataBallot: number): Promise<void> {
    if (dataBallot <= this.persistedDataBallotNow) return;
    await this.writeInitInfo(Math.max(this.persistedBallotNow, dataBallot), dataBallot);
  }

  /**
   * One `.init-info` write at a time, each writing the highest values asked for so far: two overlapping
   * writes finishing out of order must never leave an older ballot on disk.
   */
  private writeInitInfo(ballot: number, dataBallot: number): Promise<void> {
    this.wantedBallot = Math.max(this.wantedBallot, ballot);
    this.wantedDataBallot = Math.max(this.wantedDataBallot, dataBallot);
    const write = this.initInfoWrites.then(async () => {
      const b = Math.max(this.wantedBallot, this.persistedBallotNow);
      const d = Math.max(this.wantedDataBallot, this.persistedDataBallotNow);
      if (b === this.persistedBallotNow && d === this.persistedDataBallotNow) return;
      await this.env.storage.writeFile(this.gpid, '.init-info', formatInitInfo({ ballot: b, dataBallot: d, initOffsetInPrivateLog: 0 }));
      this.persistedBallotNow = Math.max(this.persistedBallotNow, b);
      this.persistedDataBallotNow = Math.max(this.persistedDataBallotNow, d);
    });
    this.initInfoWrites = write.catch(() => undefined);
    return write;
  }

  /** Keeps `.app-info` in step with what the meta sends (name, envs, replica count can change). */
  async updateAppInfo(info: AppInfo): Promise<void> {
    if (info.appId !== this.gpid.appId || formatAppInfo(info) === formatAppInfo(this.appInfoNow)) return;
    await this.env.storage.writeFile(this.gpid, '.app-info', formatAppInfo(info));
    this.appInfoNow = info;
  }

  /** Closes the Replica (waiting clients get ERR_INVALID_STATE); the directory stays. */
  close(): Promise<void> {
    const replica = this.replicaNow;
    if (replica === undefined) return this.closing ?? Promise.resolve();
    this.snapshotProgress();
    this.replicaNow = undefined;
    this.closing = replica.close().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  /** Closes and never reopens (stub shutdown, `.gar`, `.err`); waits for an open in flight too. */
  async retire(): Promise<void> {
    this.retired = true;
    await this.opening?.catch(() => undefined);
    await this.close();
  }

  /** The stored-replica report of config sync and RPC_QUERY_REPLICA_INFO. */
  info(diskTag: string): ReplicaInfo {
    if (this.replicaNow !== undefined) this.snapshotProgress();
    return {
      pid: { ...this.gpid },
      // The ballot of the newest data or role, not of a configuration merely adopted (see Replica.dataBallot):
      // the meta ranks the last drops of a dead partition by it.
      ballot: this.progress.dataBallot,
      status: wireStatus(this.replicaNow?.status ?? 'PS_INACTIVE'),
      lastCommittedDecree: this.progress.lastCommittedDecree,
      lastPreparedDecree: this.progress.lastPreparedDecree,
      lastDurableDecree: this.progress.lastDurableDecree,
      appType: 'pegasus',
      diskTag,
    };
  }

  private snapshotProgress(): void {
    const replica = this.replicaNow;
    if (replica === undefined) return;
    this.progress = {
      ballot: replica.ballot,
      dataBallot: replica.dataBallot,
      lastCommittedDecree: replica.lastCommittedDecree(),
      lastPreparedDecree: Math.max(replica.maxPreparedDecree(), replica.lastCommittedDecree()),
      lastDurableDecree: replica.db.lastDurableDecree(),
    };
  }
}
