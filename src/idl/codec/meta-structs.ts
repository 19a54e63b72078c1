/**
 * Binary codecs for the meta server's structs (protocol.md §2, §6, §11) over the TS shapes of
 * src/idl/meta.ts. Field ids, types and optionality follow upstream's IDL (idl/dsn.layer2.thrift,
 * idl/meta_admin.thrift): `err` is a `dsn.error_code` (type byte 12, the name as a string), addresses are
 * `dsn.rpc_address` and the `hp_*` twins optional `dsn.host_port`. Responses are written with every
 * non-optional field, as the C++ generated code does, so the clients find the lists and strings they read.
 */
import type { ErrorCode } from '../../base/error-code.ts';
import { isErrorCode } from '../../base/error-code.ts';
import type { ValueCodec } from '../thrift/codec.ts';
import {
  boolCodec,
  i32Codec,
  i64NumberCodec,
  i64SaturatingNumberCodec,
  listCodec,
  mapCodec,
  stringCodec,
  structCodec,
} from '../thrift/codec.ts';
import { errorCodeCodec, gpidCodec, hostPortCodec, rpcAddressCodec } from '../thrift/dsn.ts';
import { INIT_PARTITION_COUNT_UNSET } from '../meta.ts';
import type {
  AppInfo,
  ConfigurationClusterInfoRequest,
  ConfigurationClusterInfoResponse,
  ConfigurationCreateAppRequest,
  ConfigurationCreateAppResponse,
  ConfigurationDropAppRequest,
  ConfigurationDropAppResponse,
  ConfigurationListAppsRequest,
  ConfigurationListAppsResponse,
  ConfigurationListNodesRequest,
  ConfigurationListNodesResponse,
  ConfigurationRecallAppRequest,
  ConfigurationRecallAppResponse,
  ConfigurationRenameAppRequest,
  ConfigurationRenameAppResponse,
  ConfigurationUpdateAppEnvRequest,
  ConfigurationUpdateAppEnvResponse,
  CreateAppOptions,
  DddDiagnoseRequest,
  DddDiagnoseResponse,
  DddNodeInfo,
  DddPartitionInfo,
  DropAppOptions,
  NodeInfo,
  PartitionConfiguration,
  QueryAppInfoRequest,
  QueryAppInfoResponse,
  QueryCfgRequest,
  QueryCfgResponse,
} from '../meta.ts';

/**
 * `dsn.error_code` typed as an upstream name. A name this server does not know reads as ERR_UNKNOWN, as the
 * C++ reader does (`error_code::try_get(name, ERR_UNKNOWN)`), rather than refusing the whole struct.
 */
export const errorNameCodec: ValueCodec<ErrorCode> = {
  wireType: errorCodeCodec.wireType,
  accepts: errorCodeCodec.accepts,
  read(r, wireType) {
    const name = errorCodeCodec.read(r, wireType);
    return isErrorCode(name) ? name : 'ERR_UNKNOWN';
  },
  write: errorCodeCodec.write,
  defaultValue: () => 'ERR_OK',
};

/** A codec whose absent-field value is an IDL-declared default instead of thrift's zero. */
function withDefault<V>(codec: ValueCodec<V>, value: V): ValueCodec<V> {
  return { ...codec, defaultValue: () => value };
}

const stringMapCodec = mapCodec(stringCodec, stringCodec);

export const queryCfgRequestCodec = structCodec<QueryCfgRequest>('query_cfg_request', {
  appName: { id: 1, codec: stringCodec },
  partitionIndices: { id: 2, codec: listCodec(i32Codec) },
});

export const partitionConfigurationCodec = structCodec<PartitionConfiguration>('partition_configuration', {
  pid: { id: 1, codec: gpidCodec },
  ballot: { id: 2, codec: i64NumberCodec },
  maxReplicaCount: { id: 3, codec: i32Codec },
  primary: { id: 4, codec: rpcAddressCodec },
  secondaries: { id: 5, codec: listCodec(rpcAddressCodec) },
  lastDrops: { id: 6, codec: listCodec(rpcAddressCodec) },
  lastCommittedDecree: { id: 7, codec: i64NumberCodec },
  partitionFlags: { id: 8, codec: i32Codec },
  hpPrimary: { id: 9, codec: hostPortCodec, optional: true },
  hpSecondaries: { id: 10, codec: listCodec(hostPortCodec), optional: true },
  hpLastDrops: { id: 11, codec: listCodec(hostPortCodec), optional: true },
});

export const queryCfgResponseCodec = structCodec<QueryCfgResponse>('query_cfg_response', {
  err: { id: 1, codec: errorNameCodec },
  appId: { id: 2, codec: i32Codec },
  partitionCount: { id: 3, codec: i32Codec },
  isStateful: { id: 4, codec: boolCodec },
  partitions: { id: 5, codec: listCodec(partitionConfigurationCodec) },
});

export const appInfoCodec = structCodec<AppInfo>('app_info', {
  status: { id: 1, codec: i32Codec },
  appType: { id: 2, codec: stringCodec },
  appName: { id: 3, codec: stringCodec },
  appId: { id: 4, codec: i32Codec },
  partitionCount: { id: 5, codec: i32Codec },
  envs: { id: 6, codec: stringMapCodec },
  isStateful: { id: 7, codec: boolCodec },
  maxReplicaCount: { id: 8, codec: i32Codec },
  expireSecond: { id: 9, codec: i64NumberCodec },
  createSecond: { id: 10, codec: i64NumberCodec },
  dropSecond: { id: 11, codec: i64NumberCodec },
  duplicating: { id: 12, codec: boolCodec, optional: true },
  initPartitionCount: { id: 13, codec: withDefault(i32Codec, INIT_PARTITION_COUNT_UNSET) },
  isBulkLoading: { id: 14, codec: boolCodec, optional: true },
  atomicIdempotent: { id: 15, codec: boolCodec, optional: true },
});

export const createAppOptionsCodec = structCodec<CreateAppOptions>('create_app_options', {
  partitionCount: { id: 1, codec: i32Codec },
  replicaCount: { id: 2, codec: i32Codec },
  successIfExist: { id: 3, codec: boolCodec },
  appType: { id: 4, codec: stringCodec },
  isStateful: { id: 5, codec: boolCodec },
  envs: { id: 6, codec: stringMapCodec },
  atomicIdempotent: { id: 7, codec: boolCodec, optional: true },
});

export const createAppRequestCodec = structCodec<ConfigurationCreateAppRequest>('configuration_create_app_request', {
  appName: { id: 1, codec: stringCodec },
  options: { id: 2, codec: createAppOptionsCodec },
});

export const createAppResponseCodec = structCodec<ConfigurationCreateAppResponse>('configuration_create_app_response', {
  err: { id: 1, codec: errorNameCodec },
  appid: { id: 2, codec: i32Codec },
});

/** reserve_seconds comes from the client: a huge value means "keep it very long", not a malformed request. */
export const dropAppOptionsCodec = structCodec<DropAppOptions>('drop_app_options', {
  successIfNotExist: { id: 1, codec: boolCodec },
  reserveSeconds: { id: 2, codec: i64SaturatingNumberCodec, optional: true },
});

export const dropAppRequestCodec = structCodec<ConfigurationDropAppRequest>('configuration_drop_app_request', {
  appName: { id: 1, codec: stringCodec },
  options: { id: 2, codec: dropAppOptionsCodec },
});

export const dropAppResponseCodec = structCodec<ConfigurationDropAppResponse>('configuration_drop_app_response', {
  err: { id: 1, codec: errorNameCodec },
});

export const recallAppRequestCodec = structCodec<ConfigurationRecallAppRequest>('configuration_recall_app_request', {
  appId: { id: 1, codec: i32Codec },
  newAppName: { id: 2, codec: stringCodec },
});

export const recallAppResponseCodec = structCodec<ConfigurationRecallAppResponse>('configuration_recall_app_response', {
  err: { id: 1, codec: errorNameCodec },
  info: { id: 2, codec: appInfoCodec },
});

export const listAppsRequestCodec = structCodec<ConfigurationListAppsRequest>('configuration_list_apps_request', {
  status: { id: 1, codec: i32Codec },
  appNamePattern: { id: 2, codec: stringCodec, optional: true },
  matchType: { id: 3, codec: i32Codec, optional: true },
});

export const listAppsResponseCodec = structCodec<ConfigurationListAppsResponse>('configuration_list_apps_response', {
  err: { id: 1, codec: errorNameCodec },
  infos: { id: 2, codec: listCodec(appInfoCodec) },
  hintMessage: { id: 3, codec: stringCodec, optional: true },
});

export const nodeInfoCodec = structCodec<NodeInfo>('node_info', {
  status: { id: 1, codec: i32Codec },
  node: { id: 2, codec: rpcAddressCodec },
  hpNode: { id: 3, codec: hostPortCodec, optional: true },
});

export const listNodesRequestCodec = structCodec<ConfigurationListNodesRequest>('configuration_list_nodes_request', {
  status: { id: 1, codec: i32Codec },
});

export const listNodesResponseCodec = structCodec<ConfigurationListNodesResponse>('configuration_list_nodes_response', {
  err: { id: 1, codec: errorNameCodec },
  infos: { id: 2, codec: listCodec(nodeInfoCodec) },
});

export const clusterInfoRequestCodec = structCodec<ConfigurationClusterInfoRequest>('configuration_cluster_info_request', {});

export const clusterInfoResponseCodec = structCodec<ConfigurationClusterInfoResponse>('configuration_cluster_info_response', {
  err: { id: 1, codec: errorNameCodec },
  keys: { id: 2, codec: listCodec(stringCodec) },
  values: { id: 3, codec: listCodec(stringCodec) },
});

export const renameAppRequestCodec = structCodec<ConfigurationRenameAppRequest>('configuration_rename_app_request', {
  oldAppName: { id: 1, codec: stringCodec },
  newAppName: { id: 2, codec: stringCodec },
});

export const renameAppResponseCodec = structCodec<ConfigurationRenameAppResponse>('configuration_rename_app_response', {
  err: { id: 1, codec: errorNameCodec },
  hintMessage: { id: 2, codec: stringCodec },
});

export const updateAppEnvRequestCodec = structCodec<ConfigurationUpdateAppEnvRequest>('configuration_update_app_env_request', {
  appName: { id: 1, codec: stringCodec },
  op: { id: 2, codec: i32Codec },
  keys: { id: 3, codec: listCodec(stringCodec), optional: true },
  values: { id: 4, codec: listCodec(stringCodec), optional: true },
  clearPrefix: { id: 5, codec: stringCodec, optional: true },
});

export const updateAppEnvResponseCodec = structCodec<ConfigurationUpdateAppEnvResponse>('configuration_update_app_env_response', {
  err: { id: 1, codec: errorNameCodec },
  hintMessage: { id: 2, codec: stringCodec },
});

export const queryAppInfoRequestCodec = structCodec<QueryAppInfoRequest>('query_app_info_request', {
  metaServer: { id: 1, codec: rpcAddressCodec },
  hpMetaServer: { id: 2, codec: hostPortCodec, optional: true },
});

export const queryAppInfoResponseCodec = structCodec<QueryAppInfoResponse>('query_app_info_response', {
  err: { id: 1, codec: errorNameCodec },
  apps: { id: 2, codec: listCodec(appInfoCodec) },
});

export const dddDiagnoseRequestCodec = structCodec<DddDiagnoseRequest>('ddd_diagnose_request', {
  pid: { id: 1, codec: gpidCodec },
});

/** Ballots and decrees are -1 when unknown, so they are signed i64s like every ballot. */
export const dddNodeInfoCodec = structCodec<DddNodeInfo>('ddd_node_info', {
  node: { id: 1, codec: rpcAddressCodec },
  dropTimeMs: { id: 2, codec: i64NumberCodec },
  isAlive: { id: 3, codec: boolCodec },
  isCollected: { id: 4, codec: boolCodec },
  ballot: { id: 5, codec: i64NumberCodec },
  lastCommittedDecree: { id: 6, codec: i64NumberCodec },
  lastPreparedDecree: { id: 7, codec: i64NumberCodec },
});

export const dddPartitionInfoCodec = structCodec<DddPartitionInfo>('ddd_partition_info', {
  config: { id: 1, codec: partitionConfigurationCodec },
  dropped: { id: 2, codec: listCodec(dddNodeInfoCodec) },
  reason: { id: 3, codec: stringCodec },
});

export const dddDiagnoseResponseCodec = structCodec<DddDiagnoseResponse>('ddd_diagnose_response', {
  err: { id: 1, codec: errorNameCodec },
  partitions: { id: 2, codec: listCodec(dddPartitionInfoCodec) },
});
