/**
 * TypeScript shapes of the meta server's client-facing structs: table discovery (`query_cfg_*` and
 * `partition_configuration`, upstream idl/dsn.layer2.thrift), `app_info`, and the admin RPCs of
 * idl/meta_admin.thrift, including `query_app_info`, which replica servers answer. Field ids and wire types
 * are in protocol.md §2, §6 and §11; the codecs are src/idl/codec/meta-structs.ts. Field names are camelCase
 * versions of the thrift names.
 *
 * Every `err` is an upstream error name: it travels as a string (protocol.md §5.1). i64 ballots, decrees and
 * seconds are numbers (far below 2^53; the codecs range-check them). Enums are numbers, not unions: the wire
 * can carry any i32 and an invalid one must be answered, not assumed away.
 */
import type { ErrorCode } from '../base/error-code.ts';
import type { Gpid } from '../base/gpid.ts';
import type { HostPort, RpcAddress } from './thrift/dsn.ts';

/** `dsn.layer2.app_status`. AS_CREATE_FAILED and AS_DROP_FAILED are deprecated upstream but keep their numbers. */
export const AppStatus = {
  AS_INVALID: 0,
  AS_AVAILABLE: 1,
  AS_CREATING: 2,
  AS_CREATE_FAILED: 3,
  AS_DROPPING: 4,
  AS_DROP_FAILED: 5,
  AS_DROPPED: 6,
  AS_RECALLING: 7,
} as const;
export type AppStatus = number;

/** `node_status` (meta_admin.thrift). */
export const NodeStatus = { NS_INVALID: 0, NS_ALIVE: 1, NS_UNALIVE: 2 } as const;
export type NodeStatus = number;

/** `utils.pattern_match_type` (idl/utils.thrift): how list_apps matches `app_name_pattern`. */
export const PatternMatchType = {
  PMT_INVALID: 0,
  PMT_MATCH_ALL: 1,
  PMT_MATCH_EXACT: 2,
  PMT_MATCH_ANYWHERE: 3,
  PMT_MATCH_PREFIX: 4,
  PMT_MATCH_POSTFIX: 5,
  PMT_MATCH_REGEX: 6,
} as const;
export type PatternMatchType = number;

/** `app_env_operation` (meta_admin.thrift). */
export const AppEnvOperation = {
  APP_ENV_OP_INVALID: 0,
  APP_ENV_OP_SET: 1,
  APP_ENV_OP_DEL: 2,
  APP_ENV_OP_CLEAR: 3,
} as const;
export type AppEnvOperation = number;

/** `app_info.init_partition_count` when absent: upstream's declared default, not thrift's zero. */
export const INIT_PARTITION_COUNT_UNSET = -1;

export interface QueryCfgRequest {
  appName: string;
  /** Empty (or absent on the wire, as the Node.js client sends it) means every partition. */
  partitionIndices: number[];
}

export interface PartitionConfiguration {
  pid: Gpid;
  /** < 0 marks a child partition that is not ready during a split. */
  ballot: number;
  maxReplicaCount: number;
  /** The address every client dials for this partition; a non-leader meta puts the leader here in partitions[0]. */
  primary: RpcAddress;
  secondaries: RpcAddress[];
  lastDrops: RpcAddress[];
  lastCommittedDecree: number;
  partitionFlags: number;
  /** The host_port twins of the addresses, sent by modern servers, read by no client. */
  hpPrimary?: HostPort;
  hpSecondaries?: HostPort[];
  hpLastDrops?: HostPort[];
}

export interface QueryCfgResponse {
  err: ErrorCode;
  appId: number;
  partitionCount: number;
  /** The Python client ignores a response whose is_stateful is false, so only a real answer sets it. */
  isStateful: boolean;
  partitions: PartitionConfiguration[];
}

export interface AppInfo {
  status: AppStatus;
  appType: string;
  appName: string;
  appId: number;
  partitionCount: number;
  envs: Map<string, string>;
  isStateful: boolean;
  maxReplicaCount: number;
  expireSecond: number;
  createSecond: number;
  dropSecond: number;
  duplicating?: boolean;
  /** INIT_PARTITION_COUNT_UNSET when absent. */
  initPartitionCount: number;
  isBulkLoading?: boolean;
  atomicIdempotent?: boolean;
}

export interface CreateAppOptions {
  partitionCount: number;
  replicaCount: number;
  successIfExist: boolean;
  appType: string;
  isStateful: boolean;
  envs: Map<string, string>;
  atomicIdempotent?: boolean;
}

export interface ConfigurationCreateAppRequest {
  appName: string;
  options: CreateAppOptions;
}

export interface ConfigurationCreateAppResponse {
  err: ErrorCode;
  /** Upstream spells this field `appid`. */
  appid: number;
}

export interface DropAppOptions {
  successIfNotExist: boolean;
  /** Absent means the meta server's own reservation period. */
  reserveSeconds?: number;
}

export interface ConfigurationDropAppRequest {
  appName: string;
  options: DropAppOptions;
}

export interface ConfigurationDropAppResponse {
  err: ErrorCode;
}

export interface ConfigurationRecallAppRequest {
  appId: number;
  /** Empty means the table's old name. */
  newAppName: string;
}

export interface ConfigurationRecallAppResponse {
  err: ErrorCode;
  info: AppInfo;
}

export interface ConfigurationListAppsRequest {
  /** AS_INVALID means every status. */
  status: AppStatus;
  appNamePattern?: string;
  matchType?: PatternMatchType;
}

export interface ConfigurationListAppsResponse {
  err: ErrorCode;
  infos: AppInfo[];
  hintMessage?: string;
}

export interface NodeInfo {
  status: NodeStatus;
  node: RpcAddress;
  hpNode?: HostPort;
}

export interface ConfigurationListNodesRequest {
  /** NS_INVALID means every status. */
  status: NodeStatus;
}

export interface ConfigurationListNodesResponse {
  err: ErrorCode;
  infos: NodeInfo[];
}

/** An empty struct: the request is just the STOP byte. */
export type ConfigurationClusterInfoRequest = Record<never, never>;

export interface ConfigurationClusterInfoResponse {
  err: ErrorCode;
  /** Parallel lists: values[i] belongs to keys[i]. */
  keys: string[];
  values: string[];
}

export interface ConfigurationRenameAppRequest {
  oldAppName: string;
  newAppName: string;
}

export interface ConfigurationRenameAppResponse {
  err: ErrorCode;
  hintMessage: string;
}

export interface ConfigurationUpdateAppEnvRequest {
  appName: string;
  op: AppEnvOperation;
  /** SET and DEL. */
  keys?: string[];
  /** SET, parallel to keys. */
  values?: string[];
  /** CLEAR: empty clears every env, otherwise the keys `<clear_prefix>.*`. */
  clearPrefix?: string;
}

export interface ConfigurationUpdateAppEnvResponse {
  err: ErrorCode;
  hintMessage: string;
}

export interface QueryAppInfoRequest {
  metaServer: RpcAddress;
  hpMetaServer?: HostPort;
}

export interface QueryAppInfoResponse {
  err: ErrorCode;
  apps: AppInfo[];
}

/** meta_admin.thrift `ddd_diagnose_request` (RPC_CM_DDD_DIAGNOSE). */
export interface DddDiagnoseRequest {
  /** app_id -1: every table; partition_index -1: every partition of app_id; else that partition. */
  pid: Gpid;
}

/** meta_admin.thrift `ddd_node_info`: one dropped replica of a DDD partition. */
export interface DddNodeInfo {
  node: RpcAddress;
  /** 0 when this meta did not see the drop (the entry came from a config sync). */
  dropTimeMs: number;
  isAlive: boolean;
  /** The node reported its replicas since it came back. */
  isCollected: boolean;
  /** -1 unless alive and collected; collected and -1 means the node has no replica of the partition. */
  ballot: number;
  lastCommittedDecree: number;
  lastPreparedDecree: number;
}

/** meta_admin.thrift `ddd_partition_info`. */
export interface DddPartitionInfo {
  config: PartitionConfiguration;
  dropped: DddNodeInfo[];
  /** Why the meta would not choose a primary. */
  reason: string;
}

export interface DddDiagnoseResponse {
  err: ErrorCode;
  partitions: DddPartitionInfo[];
}
