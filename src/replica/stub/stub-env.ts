/**
 * Everything the replica server's decision logic (ReplicaStub) touches of the world (architecture.md §3):
 * the clock and timers, the network (outgoing calls and handler registration), the replica directories
 * (stores, plogs and the two small JSON files), a logger, and the config values it reads. src/server/replica/
 * wires the real ones; tests and the simulator wire fakes.
 */
import type { EnvClock } from '../../base/clock.ts';
import type { Gpid } from '../../base/gpid.ts';
import type { MutationLog, MutationLogOptions } from '../../log/mutation-log.ts';
import type { RpcAddress, RpcChannel, RpcHandlerRegistry } from '../../rpc/transport.ts';
import type { PartitionDb } from '../../storage/rrdb/partition-db.ts';
import type { BrokenVariant, ReplicaTiming } from '../replica-env.ts';

/** The slice of pino's Logger the stub uses. */
export interface StubLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StubNetwork {
  readonly channel: RpcChannel;
  readonly handlers: RpcHandlerRegistry;
}

/** The small files of a replica directory (contract: `.init-info`, `.app-info`). */
export type ReplicaFileName = '.init-info' | '.app-info';

/** Why a replica directory is moved aside (pegasus-internals.md §1.2): `.err` failed to load, `.gar` garbage. */
export type MoveAsideSuffix = 'err' | 'gar';

export interface OpenedReplicaFiles {
  readonly db: PartitionDb;
  readonly log: MutationLog;
}

/**
 * The replica directories of this node: `<data dir>/replica/reps/<app_id>.<pidx>.pegasus/` with `data/`,
 * `plog/`, `.init-info` and `.app-info` (the contract's layout). Every method may reject; the stub turns a
 * failure into a `.err` move or a logged error, never a crash.
 */
export interface ReplicaStorage {
  /** The gpids of the replica directories present (names that are not `<app>.<pidx>.pegasus` are skipped). */
  listReplicas(): Promise<Gpid[]>;
  /** Opens (creating if missing) the directory's store and plog. */
  openReplica(gpid: Gpid): Promise<OpenedReplicaFiles>;
  /** The file's text, or undefined when it does not exist. */
  readFile(gpid: Gpid, name: ReplicaFileName): Promise<string | undefined>;
  /** Replaces the file atomically and durably (temp file + fsync + rename), creating the directory. */
  writeFile(gpid: Gpid, name: ReplicaFileName, text: string): Promise<void>;
  /** Renames the directory to `<dir>.<suffix>` (with a timestamp, as upstream); returns the new name. */
  moveAside(gpid: Gpid, suffix: MoveAsideSuffix): Promise<string>;

  // ---- learning a checkpoint (LT_APP, pegasus-internals.md §2.8) -------------------------------------------

  /**
   * Learnee side: the files of the replica's `checkpoint.<decree>`, sorted by name, with their sizes (a
   * RocksDB checkpoint: the files of its directory; a MemStore one: one file, `image`). No such checkpoint:
   * ERR_OBJECT_NOT_FOUND.
   */
  checkpointManifest(gpid: Gpid, decree: number): Promise<Array<{ name: string; sizeBytes: number }>>;
  /**
   * Learnee side: up to `lengthBytes` of a file of that checkpoint from `offsetBytes`, short at its end. A
   * name not in the manifest (or with a separator, `..`, an absolute path), an offset past the end or a
   * length over CHECKPOINT_READ_BYTES_MAX: ERR_INVALID_PARAMETERS; no such checkpoint: ERR_OBJECT_NOT_FOUND.
   */
  readCheckpointFile(gpid: Gpid, decree: number, name: string, offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  /**
   * Learner side: writes `bytes` at `offsetBytes` of file `name` in the replica's staging area (`learn/`),
   * creating it; chunks may arrive in any order. A bad name or a write past LEARN_FILE_BYTES_MAX:
   * ERR_INVALID_PARAMETERS; no such replica: ERR_OBJECT_NOT_FOUND.
   */
  stageLearnedFile(gpid: Gpid, name: string, offsetBytes: number, bytes: Buffer): Promise<void>;
  /** Learner side: empties the staging area (a learning round restarts or gives up). */
  discardStagedFiles(gpid: Gpid): Promise<void>;
  /**
   * Learner side, after the caller closed the replica's store and plog: makes the staged checkpoint at
   * `decree` the replica's data (its applied and flushed decree is `decree`, so a crash right after reopens
   * there; the checkpoint stays beside it as `checkpoint.<decree>`, its durable decree), empties the plog (the learned state is in the store, and the old plog's decrees belong to the
   * replaced data) and opens both as `openReplica` does. Crash-safe: an interruption leaves either the old
   * directory or the new one, and the next `openReplica` finishes or undoes it. Nothing staged:
   * ERR_OBJECT_NOT_FOUND; staged files that are not the checkpoint at `decree`: ERR_LOCAL_APP_FAILURE (the
   * old data stays).
   */
  installLearnedCheckpoint(
    gpid: Gpid,
    decree: number,
    logOptions?: Partial<Omit<MutationLogOptions, 'gpid' | 'nowMs'>>,
  ): Promise<OpenedReplicaFiles>;
}

/** The config values the stub reads, by upstream's key names (src/server/replica derives them from the INI). */
export interface ReplicaStubConfig {
  /** This replica server's address, as beacons, config sync and update requests name it. */
  readonly selfAddress: RpcAddress;
  /** `[meta_server] server_list`. */
  readonly metaServers: readonly RpcAddress[];
  /** The disk tag reported with stored replicas (`[replication] data_dirs` tag, `default` without). */
  readonly diskTag: string;
  readonly fdDisabled: boolean;
  readonly fdBeaconIntervalSeconds: number;
  readonly fdCheckIntervalSeconds: number;
  readonly fdLeaseSeconds: number;
  readonly configSyncDisabled: boolean;
  readonly configSyncIntervalMs: number;
  /** `max_allowed_write_size`. */
  readonly writeSizeBytesMax: number;
  readonly stalenessForCommit: number;
  /** `max_mutation_count_in_prepare_list`. */
  readonly prepareListCapacity: number;
  readonly batchWriteDisabled: boolean;
  /**
   * The replicas' PacificA knobs by upstream's key names (prepare timeouts, group check, empty writes,
   * `mutation_2pc_min_replica_count`, the checkpoint and plog GC timer); the ones left out take their
   * defaults (REPLICA_TIMING_DEFAULT).
   */
  readonly replicaTiming: Partial<ReplicaTiming>;
  /** `learn_app_max_concurrent_count`: checkpoint copies (LT_APP) running at once on this server (default 5). */
  readonly learnAppMaxConcurrentCount?: number;
  /** Test-only (the simulator's checker tests): every replica runs this broken variant. */
  readonly brokenVariant?: BrokenVariant;
}

/** Bounds that are not upstream config keys (house rule: every queue and retry is bounded). */
export interface ReplicaStubLimits {
  /** Replicas hosted; a proposal for one more is refused (logged). */
  readonly replicasMax: number;
  /** Upstream retries the update-configuration request every second (replica_config.cpp). */
  readonly updateRetryIntervalMs: number;
  /** Attempts of one update request before it gives up (the meta's cure proposes again). */
  readonly updateAttemptsMax: number;
  /** Timeout of a beacon; at most one beacon is in flight. */
  readonly beaconTimeoutMs: number;
  /** Timeout of a config sync; at most one is in flight. */
  readonly configSyncTimeoutMs: number;
  /** Upstream retries a config sync answered ERR_BUSY after 500 ms (replica_stub.cpp). */
  readonly configSyncBusyRetryMs: number;
  /** How often idle scanners are looked for (they expire after the PartitionDb's idle limit, 5 min). */
  readonly scannerExpiryCheckMs: number;
  /** Timeout of outgoing one-way sends (only bounds the hand-off to the transport). */
  readonly sendTimeoutMs: number;
}

export const REPLICA_STUB_LIMITS_DEFAULT: ReplicaStubLimits = {
  replicasMax: 10_000,
  updateRetryIntervalMs: 1000,
  updateAttemptsMax: 60,
  beaconTimeoutMs: 3000,
  configSyncTimeoutMs: 5000,
  configSyncBusyRetryMs: 500,
  scannerExpiryCheckMs: 60_000,
  sendTimeoutMs: 5000,
};

export interface ReplicaStubEnv {
  readonly clock: EnvClock;
  readonly network: StubNetwork;
  readonly storage: ReplicaStorage;
  readonly logger: StubLogger;
  readonly config: ReplicaStubConfig;
  readonly limits?: Partial<ReplicaStubLimits>;
}
