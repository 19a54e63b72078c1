/**
 * Binary codecs for the consensus structs of src/idl/replication-consensus.ts, field for field as upstream's
 * src/common/consensus.thrift. As in replication-structs.ts, the optional `hp_*` twins appended by the
 * host_port-era IDL (hp_learner 8, hp_learnee 10, group_check_request hp_node 8, group_check_response
 * hp_node 10) could not be checked against a stored copy of that IDL: their ids follow the append rule and
 * are marked "id inferred".
 */
import type { ValueCodec } from '../thrift/codec.ts';
import { boolCodec, i32Codec, i64NumberCodec, listCodec, stringCodec, structCodec } from '../thrift/codec.ts';
import { blobCodec, gpidCodec, hostPortCodec, rpcAddressCodec, taskCodeCodec } from '../thrift/dsn.ts';
import type {
  GroupCheckRequest,
  GroupCheckResponse,
  LearnNotifyResponse,
  LearnRequest,
  LearnResponse,
  LearnState,
  MutationData,
  MutationHeader,
  MutationUpdate,
  PrepareAck,
  PrepareMsg,
} from '../replication-consensus.ts';
import { appInfoCodec, errorNameCodec } from './meta-structs.ts';
import { replicaConfigurationCodec } from './replication-structs.ts';

const enumCodec: ValueCodec<number> = i32Codec;

export const mutationHeaderCodec = structCodec<MutationHeader>('mutation_header', {
  pid: { id: 1, codec: gpidCodec },
  ballot: { id: 2, codec: i64NumberCodec },
  decree: { id: 3, codec: i64NumberCodec },
  logOffset: { id: 4, codec: i64NumberCodec },
  lastCommittedDecree: { id: 5, codec: i64NumberCodec },
  timestamp: { id: 6, codec: i64NumberCodec },
});

export const mutationUpdateCodec = structCodec<MutationUpdate>('mutation_update', {
  code: { id: 1, codec: taskCodeCodec },
  serializationType: { id: 2, codec: i32Codec },
  data: { id: 3, codec: blobCodec },
  startTimeNs: { id: 4, codec: i64NumberCodec, optional: true },
});

export const mutationDataCodec = structCodec<MutationData>('mutation_data', {
  header: { id: 1, codec: mutationHeaderCodec },
  updates: { id: 2, codec: listCodec(mutationUpdateCodec) },
});

export const prepareMsgCodec = structCodec<PrepareMsg>('prepare_msg', {
  config: { id: 1, codec: replicaConfigurationCodec },
  mu: { id: 2, codec: mutationDataCodec },
});

export const prepareAckCodec = structCodec<PrepareAck>('prepare_ack', {
  pid: { id: 1, codec: gpidCodec },
  err: { id: 2, codec: errorNameCodec },
  ballot: { id: 3, codec: i64NumberCodec },
  decree: { id: 4, codec: i64NumberCodec },
  lastCommittedDecreeInApp: { id: 5, codec: i64NumberCodec },
  lastCommittedDecreeInPrepareList: { id: 6, codec: i64NumberCodec },
});

export const learnStateCodec = structCodec<LearnState>('learn_state', {
  fromDecreeExcluded: { id: 1, codec: i64NumberCodec },
  toDecreeIncluded: { id: 2, codec: i64NumberCodec },
  meta: { id: 3, codec: blobCodec },
  files: { id: 4, codec: listCodec(stringCodec) },
  learnStartDecree: { id: 5, codec: i64NumberCodec, optional: true },
});

export const learnRequestCodec = structCodec<LearnRequest>('learn_request', {
  pid: { id: 1, codec: gpidCodec },
  learner: { id: 2, codec: rpcAddressCodec },
  signature: { id: 3, codec: i64NumberCodec },
  lastCommittedDecreeInApp: { id: 4, codec: i64NumberCodec },
  lastCommittedDecreeInPrepareList: { id: 5, codec: i64NumberCodec },
  appSpecificLearnRequest: { id: 6, codec: blobCodec },
  maxGcedDecree: { id: 7, codec: i64NumberCodec, optional: true },
  hpLearner: { id: 8, codec: hostPortCodec, optional: true }, // id inferred
});

export const learnResponseCodec = structCodec<LearnResponse>('learn_response', {
  err: { id: 1, codec: errorNameCodec },
  config: { id: 2, codec: replicaConfigurationCodec },
  lastCommittedDecree: { id: 3, codec: i64NumberCodec },
  prepareStartDecree: { id: 4, codec: i64NumberCodec },
  type: { id: 5, codec: enumCodec },
  state: { id: 6, codec: learnStateCodec },
  learnee: { id: 7, codec: rpcAddressCodec },
  baseLocalDir: { id: 8, codec: stringCodec },
  replicaDiskTag: { id: 9, codec: stringCodec, optional: true },
  hpLearnee: { id: 10, codec: hostPortCodec, optional: true }, // id inferred
});

export const learnNotifyResponseCodec = structCodec<LearnNotifyResponse>('learn_notify_response', {
  pid: { id: 1, codec: gpidCodec },
  err: { id: 2, codec: errorNameCodec },
  signature: { id: 3, codec: i64NumberCodec },
});

export const groupCheckRequestCodec = structCodec<GroupCheckRequest>('group_check_request', {
  app: { id: 1, codec: appInfoCodec },
  node: { id: 2, codec: rpcAddressCodec },
  config: { id: 3, codec: replicaConfigurationCodec },
  lastCommittedDecree: { id: 4, codec: i64NumberCodec },
  confirmedDecree: { id: 5, codec: i64NumberCodec, optional: true },
  childGpid: { id: 6, codec: gpidCodec, optional: true },
  metaSplitStatus: { id: 7, codec: enumCodec, optional: true },
  hpNode: { id: 8, codec: hostPortCodec, optional: true }, // id inferred
});

export const groupCheckResponseCodec = structCodec<GroupCheckResponse>('group_check_response', {
  pid: { id: 1, codec: gpidCodec },
  err: { id: 2, codec: errorNameCodec },
  lastCommittedDecreeInApp: { id: 3, codec: i64NumberCodec },
  lastCommittedDecreeInPrepareList: { id: 4, codec: i64NumberCodec },
  learnerStatus: { id: 5, codec: enumCodec },
  learnerSignature: { id: 6, codec: i64NumberCodec },
  node: { id: 7, codec: rpcAddressCodec },
  isSplitStopped: { id: 8, codec: boolCodec, optional: true },
  diskStatus: { id: 9, codec: enumCodec, optional: true },
  hpNode: { id: 10, codec: hostPortCodec, optional: true }, // id inferred
});
