/**
 * The meta server's client-facing RPCs (protocol.md §2, §6, §11), plus RPC_QUERY_APP_INFO, which replica
 * servers answer: each RPC code's args decoder/encoder and response encoder/decoder, in the shape of
 * RRDB_RPCS. Args travel in the thrift "service args" wrapper, a struct whose only field (id 1) is the
 * request struct; a request without field 1 is refused with ERR_INVALID_DATA, since no client sends one and
 * the zero value would silently act on the empty table name. `encodeResponse` gives the response struct's
 * bytes (fields + STOP), which the frame layer wraps as result field 0. A meta-level failure (no such table,
 * not the leader) travels as the response's `err` under the frame error ERR_OK.
 */
import type { StructCodec } from '../thrift/codec.ts';
import { argsCodec, responseCodecOf, type ArgsCodec, type ResponseCodec } from './args-wrapper.ts';
import type {
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
  DddDiagnoseRequest,
  DddDiagnoseResponse,
  QueryAppInfoRequest,
  QueryAppInfoResponse,
  QueryCfgRequest,
  QueryCfgResponse,
} from '../meta.ts';
import {
  clusterInfoRequestCodec,
  clusterInfoResponseCodec,
  createAppRequestCodec,
  createAppResponseCodec,
  dddDiagnoseRequestCodec,
  dddDiagnoseResponseCodec,
  dropAppRequestCodec,
  dropAppResponseCodec,
  listAppsRequestCodec,
  listAppsResponseCodec,
  listNodesRequestCodec,
  listNodesResponseCodec,
  queryAppInfoRequestCodec,
  queryAppInfoResponseCodec,
  queryCfgRequestCodec,
  queryCfgResponseCodec,
  recallAppRequestCodec,
  recallAppResponseCodec,
  renameAppRequestCodec,
  renameAppResponseCodec,
  updateAppEnvRequestCodec,
  updateAppEnvResponseCodec,
} from './meta-structs.ts';

/** Which server answers the RPC: the meta server, or (query_app_info) every replica server. */
export type MetaRpcServer = 'meta' | 'replica';

export interface MetaTwoWayRpc<Args, Response> extends ArgsCodec<Args>, ResponseCodec<Response> {
  readonly code: string;
  readonly servedBy: MetaRpcServer;
}

function metaRpc<Args extends object, Response>(
  code: string,
  servedBy: MetaRpcServer,
  argCodec: StructCodec<Args>,
  responseCodec: StructCodec<Response>,
): MetaTwoWayRpc<Args, Response> {
  return { code, servedBy, ...argsCodec(code, argCodec), ...responseCodecOf(responseCodec) };
}

export const META_RPCS = {
  /** Table discovery (protocol.md §2): every client's first RPC. */
  RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX: metaRpc<QueryCfgRequest, QueryCfgResponse>(
    'RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX',
    'meta',
    queryCfgRequestCodec,
    queryCfgResponseCodec,
  ),
  RPC_CM_CREATE_APP: metaRpc<ConfigurationCreateAppRequest, ConfigurationCreateAppResponse>(
    'RPC_CM_CREATE_APP',
    'meta',
    createAppRequestCodec,
    createAppResponseCodec,
  ),
  RPC_CM_DROP_APP: metaRpc<ConfigurationDropAppRequest, ConfigurationDropAppResponse>(
    'RPC_CM_DROP_APP',
    'meta',
    dropAppRequestCodec,
    dropAppResponseCodec,
  ),
  RPC_CM_RECALL_APP: metaRpc<ConfigurationRecallAppRequest, ConfigurationRecallAppResponse>(
    'RPC_CM_RECALL_APP',
    'meta',
    recallAppRequestCodec,
    recallAppResponseCodec,
  ),
  RPC_CM_LIST_APPS: metaRpc<ConfigurationListAppsRequest, ConfigurationListAppsResponse>(
    'RPC_CM_LIST_APPS',
    'meta',
    listAppsRequestCodec,
    listAppsResponseCodec,
  ),
  RPC_CM_LIST_NODES: metaRpc<ConfigurationListNodesRequest, ConfigurationListNodesResponse>(
    'RPC_CM_LIST_NODES',
    'meta',
    listNodesRequestCodec,
    listNodesResponseCodec,
  ),
  /** Args: an empty struct (`0c 0001 00`, then the wrapper's STOP). */
  RPC_CM_CLUSTER_INFO: metaRpc<ConfigurationClusterInfoRequest, ConfigurationClusterInfoResponse>(
    'RPC_CM_CLUSTER_INFO',
    'meta',
    clusterInfoRequestCodec,
    clusterInfoResponseCodec,
  ),
  RPC_CM_RENAME_APP: metaRpc<ConfigurationRenameAppRequest, ConfigurationRenameAppResponse>(
    'RPC_CM_RENAME_APP',
    'meta',
    renameAppRequestCodec,
    renameAppResponseCodec,
  ),
  RPC_CM_UPDATE_APP_ENV: metaRpc<ConfigurationUpdateAppEnvRequest, ConfigurationUpdateAppEnvResponse>(
    'RPC_CM_UPDATE_APP_ENV',
    'meta',
    updateAppEnvRequestCodec,
    updateAppEnvResponseCodec,
  ),
  /** The DDD partitions the guardian would not choose a primary for (shell `ddd_diagnose`). */
  RPC_CM_DDD_DIAGNOSE: metaRpc<DddDiagnoseRequest, DddDiagnoseResponse>(
    'RPC_CM_DDD_DIAGNOSE',
    'meta',
    dddDiagnoseRequestCodec,
    dddDiagnoseResponseCodec,
  ),
  /** Sent to a replica server, which lists the tables it hosts. */
  RPC_QUERY_APP_INFO: metaRpc<QueryAppInfoRequest, QueryAppInfoResponse>(
    'RPC_QUERY_APP_INFO',
    'replica',
    queryAppInfoRequestCodec,
    queryAppInfoResponseCodec,
  ),
} as const;

export type MetaRpcCode = keyof typeof META_RPCS;
export type MetaRpc = (typeof META_RPCS)[MetaRpcCode];

export function isMetaRpcCode(name: string): name is MetaRpcCode {
  return Object.hasOwn(META_RPCS, name);
}

/** The RPC for a message name, or undefined (the server answers ERR_HANDLER_NOT_FOUND). */
export function metaRpcByName(name: string): MetaRpc | undefined {
  return isMetaRpcCode(name) ? META_RPCS[name] : undefined;
}
