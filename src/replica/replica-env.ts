/**
 * What one Replica touches of the world (architecture.md §3): its clock and timers, the channel to its
 * peers, the meta (through the stub, which retries), the durable ballot in `.init-info`, the table's
 * app_info, and the timing knobs of pegasus-internals.md §2.12. The stub wires it; tests and the simulator
 * wire fakes. Everything else a replica needs (its PartitionDb and MutationLog) is handed to `Replica.open`.
 */
import type { EnvClock } from '../base/clock.ts';
import type { Gpid } from '../base/gpid.ts';
import type { AppInfo } from '../idl/meta.ts';
import type { ConfigurationUpdateRequest, ConfigurationUpdateResponse } from '../idl/replication.ts';
import type { MutationLog } from '../log/mutation-log.ts';
import type { RpcAddress, RpcChannel } from '../rpc/transport.ts';
import type { PartitionDb } from '../storage/rrdb/partition-db.ts';

export interface ReplicaLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Knobs, by upstream's `[replication]` key names (pegasus-internals.md §2.12). */
export interface ReplicaTiming {
  /** `prepare_timeout_ms_for_secondaries`. */
  readonly prepareTimeoutMsForSecondaries: number;
  /** `prepare_timeout_ms_for_potential_secondaries`. */
  readonly prepareTimeoutMsForPotentialSecondaries: number;
  /** `group_check_interval_ms`; also the idle period after which the primary sends an empty write. */
  readonly groupCheckIntervalMs: number;
  readonly groupCheckDisabled: boolean;
  readonly emptyWriteDisabled: boolean;
  /** `mutation_2pc_min_replica_count`; ≤ 0 derives it from the table's max_replica_count (§2.9). */
  readonly mutation2pcMinReplicaCount: number;
  /** Upstream retries a prepare answered ERR_INACTIVE_STATE / ERR_TRY_AGAIN after 5 ms. */
  readonly prepareRetryDelayMs: number;
  /** A learner retries a refused or failed learn round after this (upstream: 1 s). */
  readonly learnRetryDelayMs: number;
  /** Bytes of mutations one LT_LOG / LT_CACHE learn response carries at most. */
  readonly learnResponseBytesMax: number;
  /** `checkpoint_interval_seconds` in ms: period of the checkpoint and plog GC timer (§3.4). */
  readonly checkpointIntervalMs: number;
  /** `checkpoint_disabled`. */
  readonly checkpointDisabled: boolean;
  /** `plog_gc_enabled`. */
  readonly plogGcEnabled: boolean;
  /** `log_private_reserve_max_size_mb` in bytes. */
  readonly logPrivateReserveMaxBytes: number;
  /** `log_private_reserve_max_time_seconds` in ms. */
  readonly logPrivateReserveMaxTimeMs: number;
  /** `checkpoint_reserve_min_count`. */
  readonly checkpointReserveMinCount: number;
  /** `checkpoint_reserve_time_seconds`. */
  readonly checkpointReserveTimeSeconds: number;
}

/**
 * upstream's `app_mutation_2pc_min_replica_count`: the configured `[replication] mutation_2pc_min_replica_count`
 * when > 0, else derived from the table's max_replica_count. The primary refuses writes below it; the meta's
 * guardian calls a partition short of it an emergency.
 */
export function mutation2pcMinReplicaCount(configured: number, maxReplicaCount: number): number {
  if (configured > 0) return configured;
  return maxReplicaCount <= 2 ? 1 : Math.floor(maxReplicaCount / 2) + 1;
}

export const REPLICA_TIMING_DEFAULT: ReplicaTiming = {
  prepareTimeoutMsForSecondaries: 3000,
  prepareTimeoutMsForPotentialSecondaries: 5000,
  groupCheckIntervalMs: 100_000,
  groupCheckDisabled: false,
  emptyWriteDisabled: false,
  mutation2pcMinReplicaCount: 2,
  prepareRetryDelayMs: 5,
  learnRetryDelayMs: 1000,
  learnResponseBytesMax: 4 * 1024 * 1024,
  checkpointIntervalMs: 300_000,
  checkpointDisabled: false,
  plogGcEnabled: true,
  logPrivateReserveMaxBytes: 1000 * 1024 * 1024,
  logPrivateReserveMaxTimeMs: 36_000_000,
  checkpointReserveMinCount: 2,
  checkpointReserveTimeSeconds: 1800,
};

/**
 * Deliberately broken variants, for the simulator to prove its checkers catch real PacificA bugs
 * (simulation.md "Anti-toy gates"). Never set outside those tests. `read-on-secondary` serves reads in
 * any role (a secondary, or a primary paused after losing its lease); `apply-before-logging` commits and
 * acknowledges before the plog write completes, on the primary and on secondaries.
 */
export type BrokenVariant = 'commit-before-all-acks' | 'read-on-secondary' | 'skip-reconciliation' | 'apply-before-logging';

export interface ReplicaEnv {
  readonly gpid: Gpid;
  /** This replica server's address, as members and learners are named. */
  readonly selfAddress: RpcAddress;
  readonly clock: EnvClock;
  /** To the other replicas of the partition (prepare, group check, learn). */
  readonly channel: RpcChannel;
  readonly logger?: ReplicaLogger;
  readonly timing: ReplicaTiming;
  /** `max_mutation_count_in_prepare_list`. */
  readonly prepareListCapacity: number;
  /** `staleness_for_commit`: mutations in 2PC at once. */
  readonly stalenessForCommit: number;
  /** `max_allowed_write_size`, also the batch bound of single puts. */
  readonly writeSizeBytesMax: number;
  readonly batchWriteDisabled: boolean;
  /** Client writes waiting for a mutation before new ones get ERR_BUSY. */
  readonly queuedWritesMax: number;
  /** The table as the stub knows it (name, envs, max_replica_count). */
  appInfo(): AppInfo;
  /** The ballot in `.init-info`. */
  persistedBallot(): number;
  /** Writes a higher ballot to `.init-info`, durably, before the replica acts on it (§2.2). */
  persistBallot(ballot: number): Promise<void>;
  /** The data ballot in `.init-info` (see Replica.dataBallot). */
  persistedDataBallot(): number;
  /** Records a higher data ballot in `.init-info`. */
  persistDataBallot(dataBallot: number): Promise<void>;
  /**
   * Sends RPC_CM_UPDATE_PARTITION_CONFIGURATION to the meta, resending on timeouts as upstream does
   * every second; resolves with the meta's answer, rejects when the stub gives up or closes.
   */
  updateConfigurationOnMeta(request: ConfigurationUpdateRequest): Promise<ConfigurationUpdateResponse>;
  /**
   * LT_APP, learner side: copies the learnee's `checkpoint.<decree>` into this replica's staging area over
   * RPC_NFS_COPY; resolves with the bytes copied. The replica's own store and plog stay open meanwhile.
   */
  copyCheckpointFrom(learnee: RpcAddress, decree: number): Promise<number>;
  /**
   * `learn_app_max_concurrent_count` per replica server: a checkpoint copy takes a slot first (false when
   * none is free: the learner asks again later) and gives it back when done.
   */
  tryAcquireLearnAppSlot(): boolean;
  releaseLearnAppSlot(): void;
  /**
   * LT_APP, learner side, after the replica closed its store and plog: the staged checkpoint becomes the
   * replica's data (applied = flushed = `decree`), with an empty plog; both are returned open.
   */
  installLearnedCheckpoint(decree: number): Promise<{ db: PartitionDb; log: MutationLog }>;
  /** Test-only: run a broken variant (see BrokenVariant). */
  readonly brokenVariant?: BrokenVariant;
}
