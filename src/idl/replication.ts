/**
 * TypeScript shapes of the server-to-server messages (meta ↔ replica, replica ↔ replica): the enums of
 * upstream's idl/metadata.thrift and idl/meta_admin.thrift, replica_configuration and replica_info, failure
 * detection beacons (src/failure_detector/fd.thrift), reconfiguration and config sync (meta_admin.thrift) and
 * the shell's replica queries (idl/replica_admin.thrift). The consensus messages (prepare, group check,
 * learning) are in replication-consensus.ts. Codecs: src/idl/codec/replication-structs*.ts.
 *
 * Conventions as in meta.ts: camelCase thrift names, `err` an upstream error name, i64 ballots, decrees,
 * signatures and timestamps are numbers (the codecs range-check them), enums are plain numbers so an unknown
 * value read from the wire can be answered rather than assumed away. app_status, node_status, app_info and
 * partition_configuration are meta.ts's, reused. `hp*` fields are the optional
 * host_port twins of rpc_address fields that modern upstream servers add (see the codec file for the ids).
 */
import type { ErrorCode } from '../base/error-code.ts';
import type { Gpid } from '../base/gpid.ts';
import type { AppInfo, PartitionConfiguration } from './meta.ts';
import type { HostPort, RpcAddress } from './thrift/dsn.ts';

/** `partition_status` (metadata.thrift): a replica's role. */
export const PartitionStatus = {
  PS_INVALID: 0,
  PS_INACTIVE: 1,
  PS_ERROR: 2,
  PS_PRIMARY: 3,
  PS_SECONDARY: 4,
  PS_POTENTIAL_SECONDARY: 5,
  PS_PARTITION_SPLIT: 6,
} as const;
export type PartitionStatus = number;

/** `split_status` (metadata.thrift), carried by config sync and group check during a partition split. */
export const SplitStatus = { NOT_SPLIT: 0, SPLITTING: 1, PAUSING: 2, PAUSED: 3, CANCELING: 4 } as const;
export type SplitStatus = number;

/** `disk_status` (metadata.thrift), reported by secondaries in group check replies. */
export const DiskStatus = { NORMAL: 0, SPACE_INSUFFICIENT: 1 } as const;
export type DiskStatus = number;

/** `manual_compaction_status` (metadata.thrift), reported per stored replica in config sync. */
export const ManualCompactionStatus = { IDLE: 0, QUEUING: 1, RUNNING: 2, FINISHED: 3 } as const;
export type ManualCompactionStatus = number;

/** `config_type` (meta_admin.thrift): what a reconfiguration proposal or update request does. */
export const ConfigType = {
  CT_INVALID: 0,
  CT_ASSIGN_PRIMARY: 1,
  CT_UPGRADE_TO_PRIMARY: 2,
  CT_ADD_SECONDARY: 3,
  /** Sent by a primary whose learner finished; the meta never proposes it. */
  CT_UPGRADE_TO_SECONDARY: 4,
  CT_DOWNGRADE_TO_SECONDARY: 5,
  CT_DOWNGRADE_TO_INACTIVE: 6,
  CT_REMOVE: 7,
  CT_ADD_SECONDARY_FOR_LB: 8,
  CT_PRIMARY_FORCE_UPDATE_BALLOT: 9,
  CT_DROP_PARTITION: 10,
  CT_REGISTER_CHILD: 11,
} as const;
export type ConfigType = number;

/** A replica's view of its partition: what the primary tells each member about that member's role. */
export interface ReplicaConfiguration {
  pid: Gpid;
  ballot: number;
  primary: RpcAddress;
  /** Upstream's declared default is PS_INVALID, which is also thrift's zero. */
  status: PartitionStatus;
  learnerSignature: number;
  /** Bulk load: a secondary pops every committed mutation even when its buffer is not full. */
  popAll?: boolean;
  /** Partition split: the secondary copies this prepare's mutation to its child synchronously. */
  splitSyncToChild?: boolean;
  hpPrimary?: HostPort;
}

/** One replica a node stores, as config sync and query_replica_info report it. */
export interface ReplicaInfo {
  pid: Gpid;
  ballot: number;
  status: PartitionStatus;
  lastCommittedDecree: number;
  lastPreparedDecree: number;
  lastDurableDecree: number;
  appType: string;
  diskTag: string;
  manualCompactStatus?: ManualCompactionStatus;
}

/** fd.thrift `beacon_msg`: a replica server's heartbeat to the meta (upstream names: from_node, to_node). */
export interface BeaconMsg {
  /** The sender's clock (ms) when sent; echoed in the ack so the worker can match its lease. */
  time: number;
  fromNode: RpcAddress;
  toNode: RpcAddress;
  /** The worker process's start time (ms): the meta counts restarts closer than stable_rs_min_running_seconds. */
  startTime?: number;
  hpFromNode?: HostPort;
  hpToNode?: HostPort;
}

export interface BeaconAck {
  /** The beacon's `time`, echoed. */
  time: number;
  thisNode: RpcAddress;
  /** The meta leader as this meta knows it; the worker switches to it when `isMaster` is false. */
  primaryNode: RpcAddress;
  isMaster: boolean;
  /** False when the meta refuses the worker (allow-list, or too many unstable restarts). */
  allowed: boolean;
  hpThisNode?: HostPort;
  hpPrimaryNode?: HostPort;
}

/**
 * meta_admin.thrift `configuration_update_request`: a primary's (or upgrading secondary's) request to change
 * membership (RPC_CM_UPDATE_PARTITION_CONFIGURATION), also the meta's proposal (RPC_CONFIG_PROPOSAL), the
 * body of RPC_REMOVE_REPLICA, and one entry of a config sync answer.
 */
export interface ConfigurationUpdateRequest {
  info: AppInfo;
  config: PartitionConfiguration;
  type: ConfigType;
  /** The node the change is about (the one added, removed, upgraded…). */
  node: RpcAddress;
  /** Deprecated upstream ("only used by stateless apps"); written as the invalid address. */
  hostNode: RpcAddress;
  /** Set only in config sync answers, for a partition that is splitting. */
  metaSplitStatus?: SplitStatus;
  hpNode?: HostPort;
}

export interface ConfigurationUpdateResponse {
  err: ErrorCode;
  config: PartitionConfiguration;
}

/** meta_admin.thrift `replica_server_info`: optional self-description in a config sync request. */
export interface ReplicaServerInfo {
  /** e.g. host, rack, datacenter, city. */
  geoTags: Map<string, string>;
  totalCapacityMb: number;
}

/** RPC_CM_CONFIG_SYNC request (`configuration_query_by_node_request`). */
export interface ConfigurationQueryByNodeRequest {
  node: RpcAddress;
  storedReplicas?: ReplicaInfo[];
  info?: ReplicaServerInfo;
  hpNode?: HostPort;
}

/** RPC_CM_CONFIG_SYNC response (`configuration_query_by_node_response`). */
export interface ConfigurationQueryByNodeResponse {
  err: ErrorCode;
  /** One entry per partition the meta believes the node serves. */
  partitions: ConfigurationUpdateRequest[];
  /** Stored replicas the node may garbage-collect. */
  gcReplicas?: ReplicaInfo[];
}

/** replica_admin.thrift, RPC_QUERY_PN_DECREE: a partition's last committed decree on one node. */
export interface QueryReplicaDecreeRequest {
  pid: Gpid;
  node1: RpcAddress;
  hpNode1?: HostPort;
}

export interface QueryReplicaDecreeResponse {
  err: ErrorCode;
  lastDecree: number;
}

/** replica_admin.thrift, RPC_QUERY_REPLICA_INFO: every replica a node hosts. */
export interface QueryReplicaInfoRequest {
  node1: RpcAddress;
  hpNode1?: HostPort;
}

export interface QueryReplicaInfoResponse {
  err: ErrorCode;
  replicas: ReplicaInfo[];
}
