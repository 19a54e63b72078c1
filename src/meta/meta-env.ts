/**
 * Everything the meta server's decision logic touches of the world (architecture.md §3): the clock and
 * timers, the network (outgoing calls and handler registration), the metadata store, a logger, and the
 * config values it reads. src/server/meta/ wires the real ones; tests and the simulator wire fakes.
 */
import type { EnvClock } from '../base/clock.ts';
import type { MetaStateStore } from '../metastore/meta-state-store.ts';
import type { RpcAddress, RpcChannel, RpcHandlerRegistry } from '../rpc/transport.ts';

/** The slice of pino's Logger the meta uses. */
export interface MetaLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MetaNetwork {
  readonly channel: RpcChannel;
  readonly handlers: RpcHandlerRegistry;
}

/** The config values the meta reads, by upstream's key names (src/server/meta derives them from the INI). */
export interface MetaServerConfig {
  /** This meta's own address, as beacon acks and cluster_info name it. */
  readonly selfAddress: RpcAddress;
  /** `[meta_server] cluster_root`. */
  readonly clusterRoot: string;
  /** `[meta_server] server_list`. */
  readonly metaServers: readonly string[];
  /** `[replication] cluster_name`. */
  readonly clusterName: string;
  /** `[zookeeper] hosts_list`, only shown by cluster_info. */
  readonly zookeeperHosts: readonly string[];
  /**
   * `[meta_server] meta_function_level_on_start`, shown by cluster_info; above `steady` (i.e. `lively`) the
   * meta also lets replica servers gc replicas it has no use for, as upstream.
   */
  readonly functionLevel: string;
  readonly fdDisabled: boolean;
  readonly fdCheckIntervalSeconds: number;
  readonly fdGraceSeconds: number;
  /** `[replication] lb_interval_ms`: period of the cure pass. */
  readonly lbIntervalMs: number;
  readonly holdSecondsForDroppedApp: number;
  readonly minAllowedReplicaCount: number;
  readonly maxAllowedReplicaCount: number;
  // The guardian's knobs are optional so that a caller written before them (a simulator, a test) still
  // builds; META_GUARDIAN_DEFAULTS gives the shipped config.ini values.
  /** `[meta_server] replica_assign_delay_ms_for_dropouts`: how long a dropped secondary is waited for. */
  readonly replicaAssignDelayMsForDropouts?: number;
  /** `[replication] mutation_2pc_min_replica_count` (<= 0: derived from each table's max_replica_count). */
  readonly mutation2pcMinReplicaCount?: number;
  /** `[meta_server] max_reserved_dropped_replicas`: dropped replicas remembered beyond max_replica_count. */
  readonly maxReservedDroppedReplicas?: number;
  /** `[meta_server] add_secondary_enable_flow_control`. */
  readonly addSecondaryEnableFlowControl?: boolean;
  /** `[meta_server] add_secondary_max_count_for_one_node`: add-secondary proposals per node per cure pass. */
  readonly addSecondaryMaxCountForOneNode?: number;
}

/** The shipped config.ini values of the optional MetaServerConfig keys. */
export const META_GUARDIAN_DEFAULTS = {
  replicaAssignDelayMsForDropouts: 600_000,
  mutation2pcMinReplicaCount: 2,
  maxReservedDroppedReplicas: 0,
  addSecondaryEnableFlowControl: true,
  addSecondaryMaxCountForOneNode: 20,
} as const satisfies Required<Pick<MetaServerConfig, 'replicaAssignDelayMsForDropouts' | 'mutation2pcMinReplicaCount' | 'maxReservedDroppedReplicas' | 'addSecondaryEnableFlowControl' | 'addSecondaryMaxCountForOneNode'>>;

/** Bounds that are not upstream config keys (house rule: every queue and retry is bounded). */
export interface MetaLimits {
  /** DDL requests waiting behind the one running; more are answered ERR_BUSY. */
  readonly ddlQueueMax: number;
  /** Store writes of partition configurations in flight at once; beyond it updates wait for the replica's retry. */
  readonly partitionWritesInFlightMax: number;
  /** Proposals (one per partition) outstanding at once. */
  readonly proposalsInFlightMax: number;
  /** A proposal not answered by an update within this is sent again by the next cure pass. */
  readonly proposalRetryMs: number;
  /** Replica servers remembered; beacons from more are refused (allowed = false). */
  readonly nodesMax: number;
  /** Timeout of outgoing one-way sends (only bounds the hand-off to the transport). */
  readonly sendTimeoutMs: number;
}

export const META_LIMITS_DEFAULT: MetaLimits = {
  ddlQueueMax: 256,
  partitionWritesInFlightMax: 1024,
  proposalsInFlightMax: 4096,
  proposalRetryMs: 3000,
  nodesMax: 10_000,
  sendTimeoutMs: 5000,
};

export interface MetaEnv {
  readonly clock: EnvClock;
  readonly network: MetaNetwork;
  readonly metaStore: MetaStateStore;
  readonly logger: MetaLogger;
  readonly config: MetaServerConfig;
  readonly limits?: Partial<MetaLimits>;
}
