/**
 * The server-to-server RPCs a running cluster needs (pegasus-internals.md §1.2, §2.5–2.8): each code's args
 * decoder/encoder and, for two-way ones, response encoder/decoder, in the shape of META_RPCS. Code names are
 * upstream's task codes: src/common/replication.codes.h (RPC_CM_CONFIG_SYNC,
 * RPC_CM_UPDATE_PARTITION_CONFIGURATION, RPC_CONFIG_PROPOSAL, RPC_QUERY_PN_DECREE, RPC_QUERY_REPLICA_INFO,
 * RPC_PREPARE, RPC_GROUP_CHECK, RPC_LEARN, RPC_LEARN_COMPLETION_NOTIFY, RPC_LEARN_ADD_LEARNER,
 * RPC_REMOVE_REPLICA) and src/failure_detector/fd.code.definition.h (RPC_FD_FAILURE_DETECTOR_PING). Which are
 * one-way follows the senders (`rpc::call_one_way_typed` for the proposal, add-learner and remove) and which
 * request/response types each carries follows the handlers registered in `replica_stub::open_service`.
 *
 * Framing: args travel in the thrift "service args" wrapper as for the client RPCs (a request without
 * field 1 is ERR_INVALID_DATA), except RPC_PREPARE, whose body upstream writes by hand
 * (replication-structs-prepare.ts) and which therefore follows the message begin directly. Upstream's own
 * servers put the bare struct after an rDSN-native header instead; our frames are THFT, so only the struct
 * bytes, not the framing, are shared with upstream.
 */
import type { StructCodec } from '../thrift/codec.ts';
import { argsCodec, responseCodecOf, type ArgsCodec, type ResponseCodec } from './args-wrapper.ts';
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
} from '../replication.ts';
import type {
  GroupCheckRequest,
  GroupCheckResponse,
  LearnNotifyResponse,
  LearnRequest,
  LearnResponse,
  PrepareAck,
  PrepareRequest,
} from '../replication-consensus.ts';
import {
  beaconAckCodec,
  beaconMsgCodec,
  configurationQueryByNodeRequestCodec,
  configurationQueryByNodeResponseCodec,
  configurationUpdateRequestCodec,
  configurationUpdateResponseCodec,
  queryReplicaDecreeRequestCodec,
  queryReplicaDecreeResponseCodec,
  queryReplicaInfoRequestCodec,
  queryReplicaInfoResponseCodec,
} from './replication-structs.ts';
import {
  groupCheckRequestCodec,
  groupCheckResponseCodec,
  learnNotifyResponseCodec,
  learnRequestCodec,
  learnResponseCodec,
  prepareAckCodec,
} from './replication-structs-consensus.ts';
import { prepareArgsCodec } from './replication-structs-prepare.ts';

/** Which server answers the RPC. */
export type ReplicationRpcServer = 'meta' | 'replica';

interface ReplicationRpcCommon<Args> extends ArgsCodec<Args> {
  readonly code: string;
  readonly servedBy: ReplicationRpcServer;
  /** One-way RPCs get no reply; the sender learns the outcome from later messages. */
  readonly oneway: boolean;
}

export interface ReplicationTwoWayRpc<Args, Response> extends ReplicationRpcCommon<Args>, ResponseCodec<Response> {
  readonly oneway: false;
}

export interface ReplicationOneWayRpc<Args> extends ReplicationRpcCommon<Args> {
  readonly oneway: true;
}

function twoWay<Args extends object, Response>(
  code: string,
  servedBy: ReplicationRpcServer,
  args: StructCodec<Args> | ArgsCodec<Args>,
  responseCodec: StructCodec<Response>,
): ReplicationTwoWayRpc<Args, Response> {
  const argsHalf = 'structName' in args ? argsCodec(code, args) : args;
  return { code, servedBy, oneway: false, ...argsHalf, ...responseCodecOf(responseCodec) };
}

function oneWay<Args extends object>(code: string, servedBy: ReplicationRpcServer, args: StructCodec<Args>): ReplicationOneWayRpc<Args> {
  return { code, servedBy, oneway: true, ...argsCodec(code, args) };
}

export const REPLICATION_RPCS = {
  /** Replica server → meta: the beacon (§2.6); the ack carries the leader and whether the node is allowed. */
  RPC_FD_FAILURE_DETECTOR_PING: twoWay<BeaconMsg, BeaconAck>('RPC_FD_FAILURE_DETECTOR_PING', 'meta', beaconMsgCodec, beaconAckCodec),
  /** Replica server → meta: the replicas stored on the node; the answer lists what it should serve (§1.2). */
  RPC_CM_CONFIG_SYNC: twoWay<ConfigurationQueryByNodeRequest, ConfigurationQueryByNodeResponse>(
    'RPC_CM_CONFIG_SYNC',
    'meta',
    configurationQueryByNodeRequestCodec,
    configurationQueryByNodeResponseCodec,
  ),
  /** Primary → meta: a membership change with ballot + 1 (§2.7). */
  RPC_CM_UPDATE_PARTITION_CONFIGURATION: twoWay<ConfigurationUpdateRequest, ConfigurationUpdateResponse>(
    'RPC_CM_UPDATE_PARTITION_CONFIGURATION',
    'meta',
    configurationUpdateRequestCodec,
    configurationUpdateResponseCodec,
  ),
  /** Meta → primary (or the replica to become primary): a proposal; no reply. */
  RPC_CONFIG_PROPOSAL: oneWay<ConfigurationUpdateRequest>('RPC_CONFIG_PROPOSAL', 'replica', configurationUpdateRequestCodec),
  /** Primary → secondaries and learners (§2.3). Hand-serialized body, see replication-structs-prepare.ts. */
  RPC_PREPARE: twoWay<PrepareRequest, PrepareAck>('RPC_PREPARE', 'replica', prepareArgsCodec, prepareAckCodec),
  /** Primary → secondaries and learners (§2.5). */
  RPC_GROUP_CHECK: twoWay<GroupCheckRequest, GroupCheckResponse>(
    'RPC_GROUP_CHECK',
    'replica',
    groupCheckRequestCodec,
    groupCheckResponseCodec,
  ),
  /** Learner → primary (§2.8). */
  RPC_LEARN: twoWay<LearnRequest, LearnResponse>('RPC_LEARN', 'replica', learnRequestCodec, learnResponseCodec),
  /** Learner → primary: the learner's group-check report with LearningSucceeded. */
  RPC_LEARN_COMPLETION_NOTIFY: twoWay<GroupCheckResponse, LearnNotifyResponse>(
    'RPC_LEARN_COMPLETION_NOTIFY',
    'replica',
    groupCheckResponseCodec,
    learnNotifyResponseCodec,
  ),
  /** Primary → new learner: a group-check request in the POTENTIAL_SECONDARY role; no reply. */
  RPC_LEARN_ADD_LEARNER: oneWay<GroupCheckRequest>('RPC_LEARN_ADD_LEARNER', 'replica', groupCheckRequestCodec),
  /** Primary → removed node after CT_REMOVE was accepted; no reply. */
  RPC_REMOVE_REPLICA: oneWay<ConfigurationUpdateRequest>('RPC_REMOVE_REPLICA', 'replica', configurationUpdateRequestCodec),
  /** Shell → replica server: one partition's last committed decree. */
  RPC_QUERY_PN_DECREE: twoWay<QueryReplicaDecreeRequest, QueryReplicaDecreeResponse>(
    'RPC_QUERY_PN_DECREE',
    'replica',
    queryReplicaDecreeRequestCodec,
    queryReplicaDecreeResponseCodec,
  ),
  /** Shell → replica server: every replica it hosts. */
  RPC_QUERY_REPLICA_INFO: twoWay<QueryReplicaInfoRequest, QueryReplicaInfoResponse>(
    'RPC_QUERY_REPLICA_INFO',
    'replica',
    queryReplicaInfoRequestCodec,
    queryReplicaInfoResponseCodec,
  ),
} as const;

export type ReplicationRpcCode = keyof typeof REPLICATION_RPCS;
export type ReplicationRpc = (typeof REPLICATION_RPCS)[ReplicationRpcCode];

export function isReplicationRpcCode(name: string): name is ReplicationRpcCode {
  return Object.hasOwn(REPLICATION_RPCS, name);
}

/** The RPC for a message name, or undefined (the server answers ERR_HANDLER_NOT_FOUND). */
export function replicationRpcByName(name: string): ReplicationRpc | undefined {
  return isReplicationRpcCode(name) ? REPLICATION_RPCS[name] : undefined;
}
