/**
 * Binary codecs for the server-to-server structs of src/idl/replication.ts. Field ids, types and optional
 * flags follow upstream: replica_configuration and replica_info from idl/metadata.thrift, beacons from
 * src/failure_detector/fd.thrift, the configuration and config-sync structs from idl/meta_admin.thrift, the
 * replica queries from idl/replica_admin.thrift. rDSN primitives are the dsn.ts codecs (gpid, rpc_address,
 * host_port, blob, error_code: type byte 12).
 *
 * The `hp_*` host_port twins: replica_admin.thrift and dsn.layer2.thrift as stored carry them, each appended
 * after the struct's last field as an optional field. For replica_configuration, beacon_msg/ack,
 * configuration_update_request and configuration_query_by_node_request only the pre-host_port IDL was
 * available to check against; their ids here follow the same append rule (and upstream's
 * SET_IP_AND_HOST_PORT(obj, field, …) naming) and are marked "id inferred". Being optional, a peer that
 * numbers them differently loses only the twin, never the struct.
 */
import type { ValueCodec } from '../thrift/codec.ts';
import {
  boolCodec,
  i32Codec,
  i64NumberCodec,
  listCodec,
  mapCodec,
  stringCodec,
  structCodec,
} from '../thrift/codec.ts';
import { gpidCodec, hostPortCodec, rpcAddressCodec } from '../thrift/dsn.ts';
import type {
  BeaconAck,
  BeaconMsg,
  ConfigurationQueryByNodeRequest,
  ConfigurationQueryByNodeResponse,
  ConfigurationUpdateRequest,
  ConfigurationUpdateResponse,
  QueryReplicaDecreeRequest,
  QueryReplicaDecreeResponse,
  QueryReplicaInfoRequest,
  QueryReplicaInfoResponse,
  ReplicaConfiguration,
  ReplicaInfo,
  ReplicaServerInfo,
} from '../replication.ts';
import { appInfoCodec, errorNameCodec, partitionConfigurationCodec } from './meta-structs.ts';

/** Every thrift enum is an i32 on the wire. */
const enumCodec: ValueCodec<number> = i32Codec;

export const replicaConfigurationCodec = structCodec<ReplicaConfiguration>('replica_configuration', {
  pid: { id: 1, codec: gpidCodec },
  ballot: { id: 2, codec: i64NumberCodec },
  primary: { id: 3, codec: rpcAddressCodec },
  status: { id: 4, codec: enumCodec },
  learnerSignature: { id: 5, codec: i64NumberCodec },
  popAll: { id: 6, codec: boolCodec, optional: true },
  splitSyncToChild: { id: 7, codec: boolCodec, optional: true },
  hpPrimary: { id: 8, codec: hostPortCodec, optional: true }, // id inferred
});

export const replicaInfoCodec = structCodec<ReplicaInfo>('replica_info', {
  pid: { id: 1, codec: gpidCodec },
  ballot: { id: 2, codec: i64NumberCodec },
  status: { id: 3, codec: enumCodec },
  lastCommittedDecree: { id: 4, codec: i64NumberCodec },
  lastPreparedDecree: { id: 5, codec: i64NumberCodec },
  lastDurableDecree: { id: 6, codec: i64NumberCodec },
  appType: { id: 7, codec: stringCodec },
  diskTag: { id: 8, codec: stringCodec },
  manualCompactStatus: { id: 9, codec: enumCodec, optional: true },
});

export const beaconMsgCodec = structCodec<BeaconMsg>('beacon_msg', {
  time: { id: 1, codec: i64NumberCodec },
  fromNode: { id: 2, codec: rpcAddressCodec },
  toNode: { id: 3, codec: rpcAddressCodec },
  startTime: { id: 4, codec: i64NumberCodec, optional: true },
  hpFromNode: { id: 5, codec: hostPortCodec, optional: true }, // id inferred
  hpToNode: { id: 6, codec: hostPortCodec, optional: true }, // id inferred
});

export const beaconAckCodec = structCodec<BeaconAck>('beacon_ack', {
  time: { id: 1, codec: i64NumberCodec },
  thisNode: { id: 2, codec: rpcAddressCodec },
  primaryNode: { id: 3, codec: rpcAddressCodec },
  isMaster: { id: 4, codec: boolCodec },
  allowed: { id: 5, codec: boolCodec },
  hpThisNode: { id: 6, codec: hostPortCodec, optional: true }, // id inferred
  hpPrimaryNode: { id: 7, codec: hostPortCodec, optional: true }, // id inferred
});

export const configurationUpdateRequestCodec = structCodec<ConfigurationUpdateRequest>('configuration_update_request', {
  info: { id: 1, codec: appInfoCodec },
  config: { id: 2, codec: partitionConfigurationCodec },
  type: { id: 3, codec: enumCodec },
  node: { id: 4, codec: rpcAddressCodec },
  hostNode: { id: 5, codec: rpcAddressCodec },
  metaSplitStatus: { id: 6, codec: enumCodec, optional: true },
  hpNode: { id: 7, codec: hostPortCodec, optional: true }, // id inferred
});

export const configurationUpdateResponseCodec = structCodec<ConfigurationUpdateResponse>('configuration_update_response', {
  err: { id: 1, codec: errorNameCodec },
  config: { id: 2, codec: partitionConfigurationCodec },
});

/** total_capacity_mb is reported by the node itself; a number of megabytes stays far below 2^53. */
export const replicaServerInfoCodec = structCodec<ReplicaServerInfo>('replica_server_info', {
  geoTags: { id: 1, codec: mapCodec(stringCodec, stringCodec) },
  totalCapacityMb: { id: 2, codec: i64NumberCodec },
});

export const configurationQueryByNodeRequestCodec = structCodec<ConfigurationQueryByNodeRequest>(
  'configuration_query_by_node_request',
  {
    node: { id: 1, codec: rpcAddressCodec },
    storedReplicas: { id: 2, codec: listCodec(replicaInfoCodec), optional: true },
    info: { id: 3, codec: replicaServerInfoCodec, optional: true },
    hpNode: { id: 4, codec: hostPortCodec, optional: true }, // id inferred
  },
);

export const configurationQueryByNodeResponseCodec = structCodec<ConfigurationQueryByNodeResponse>(
  'configuration_query_by_node_response',
  {
    err: { id: 1, codec: errorNameCodec },
    partitions: { id: 2, codec: listCodec(configurationUpdateRequestCodec) },
    gcReplicas: { id: 3, codec: listCodec(replicaInfoCodec), optional: true },
  },
);

export const queryReplicaDecreeRequestCodec = structCodec<QueryReplicaDecreeRequest>('query_replica_decree_request', {
  pid: { id: 1, codec: gpidCodec },
  node1: { id: 2, codec: rpcAddressCodec },
  hpNode1: { id: 3, codec: hostPortCodec, optional: true },
});

export const queryReplicaDecreeResponseCodec = structCodec<QueryReplicaDecreeResponse>('query_replica_decree_response', {
  err: { id: 1, codec: errorNameCodec },
  lastDecree: { id: 2, codec: i64NumberCodec },
});

export const queryReplicaInfoRequestCodec = structCodec<QueryReplicaInfoRequest>('query_replica_info_request', {
  node1: { id: 1, codec: rpcAddressCodec },
  hpNode1: { id: 2, codec: hostPortCodec, optional: true },
});

export const queryReplicaInfoResponseCodec = structCodec<QueryReplicaInfoResponse>('query_replica_info_response', {
  err: { id: 1, codec: errorNameCodec },
  replicas: { id: 2, codec: listCodec(replicaInfoCodec) },
});
