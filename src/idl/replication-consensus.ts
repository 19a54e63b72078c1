/**
 * TypeScript shapes of upstream's consensus messages (src/common/consensus.thrift, later idl/consensus.thrift):
 * mutations, prepare and its ack, group check, learning and the learner's completion notice. Conventions as
 * in replication.ts; codecs in src/idl/codec/replication-structs-consensus.ts and, for the hand-serialized
 * RPC_PREPARE body, replication-structs-prepare.ts.
 */
import type { ErrorCode } from '../base/error-code.ts';
import type { Gpid } from '../base/gpid.ts';
import type { AppInfo } from './meta.ts';
import type { DiskStatus, ReplicaConfiguration, SplitStatus } from './replication.ts';
import type { HostPort, RpcAddress } from './thrift/dsn.ts';

/** `learn_type`: how a learner catches up (pegasus-internals.md §2.8). */
export const LearnType = { LT_INVALID: 0, LT_CACHE: 1, LT_APP: 2, LT_LOG: 3 } as const;
export type LearnType = number;

/** `learner_status`: a potential secondary's progress. */
export const LearnerStatus = {
  LearningInvalid: 0,
  LearningWithoutPrepare: 1,
  LearningWithPrepareTransient: 2,
  LearningWithPrepare: 3,
  LearningSucceeded: 4,
  LearningFailed: 5,
} as const;
export type LearnerStatus = number;

/** `mutation_header`. Named as upstream's fields; src/log has its own storage-side shape. */
export interface MutationHeader {
  pid: Gpid;
  ballot: number;
  decree: number;
  /** The mutation's global byte offset in the partition's private log. */
  logOffset: number;
  lastCommittedDecree: number;
  /** Microseconds, unique and increasing within a partition. */
  timestamp: number;
}

/** `mutation_update`: one client write inside a mutation. */
export interface MutationUpdate {
  /** The write's task code name, e.g. RPC_RRDB_RRDB_PUT. */
  code: string;
  /** `dsn_msg_serialize_format` of `data` (thrift binary for Pegasus). */
  serializationType: number;
  data: Buffer;
  /** Thrift form only: the hand-serialized prepare body and the log do not carry it. */
  startTimeNs?: number;
}

export interface MutationData {
  header: MutationHeader;
  updates: MutationUpdate[];
}

/**
 * `prepare_msg` as the IDL declares it. Upstream never sends this struct: RPC_PREPARE's body is written by
 * hand (see PrepareRequest); the codec exists so tools that read the IDL form can.
 */
export interface PrepareMsg {
  config: ReplicaConfiguration;
  mu: MutationData;
}

/**
 * The RPC_PREPARE request body as upstream's `replica::send_prepare_message` writes it: the partition's gpid,
 * the receiver's replica_configuration, then the mutation in `mutation::write_to`'s little-endian layout.
 * Not an IDL struct (see replication-structs-prepare.ts).
 */
export interface PrepareRequest {
  pid: Gpid;
  config: ReplicaConfiguration;
  mutation: MutationData;
}

/** `prepare_ack`: RPC_PREPARE's response. */
export interface PrepareAck {
  pid: Gpid;
  err: ErrorCode;
  ballot: number;
  decree: number;
  lastCommittedDecreeInApp: number;
  lastCommittedDecreeInPrepareList: number;
}

/** `learn_state`: what a learner receives, inline mutations (LT_CACHE) or a file list (LT_LOG, LT_APP). */
export interface LearnState {
  fromDecreeExcluded: number;
  toDecreeIncluded: number;
  /** LT_CACHE: the serialized mutations; LT_APP: the app's checkpoint meta. */
  meta: Buffer;
  files: string[];
  /** Duplication: the start decree of this learning round. */
  learnStartDecree?: number;
}

export interface LearnRequest {
  pid: Gpid;
  learner: RpcAddress;
  signature: number;
  lastCommittedDecreeInApp: number;
  lastCommittedDecreeInPrepareList: number;
  /** Opaque bytes from the app's prepare_learn_request. */
  appSpecificLearnRequest: Buffer;
  /** Duplication: lets the learnee decide whether the learner lacks logs still to be duplicated. */
  maxGcedDecree?: number;
  hpLearner?: HostPort;
}

export interface LearnResponse {
  err: ErrorCode;
  /** The learner's replica configuration as the primary sees it. */
  config: ReplicaConfiguration;
  /** The learnee's last committed decree. */
  lastCommittedDecree: number;
  /** From this decree on the learner receives live prepares. */
  prepareStartDecree: number;
  /** Upstream's declared default is LT_INVALID, also thrift's zero. */
  type: LearnType;
  state: LearnState;
  /** The learnee's address (upstream field 7, named `address` in older IDL, `learnee` in newer). */
  learnee: RpcAddress;
  /** Directory on the learnee the file names in `state.files` are relative to. */
  baseLocalDir: string;
  replicaDiskTag?: string;
  hpLearnee?: HostPort;
}

/** `learn_notify_response`: RPC_LEARN_COMPLETION_NOTIFY's response. */
export interface LearnNotifyResponse {
  pid: Gpid;
  err: ErrorCode;
  signature: number;
}

/** RPC_GROUP_CHECK's request, also the body of RPC_LEARN_ADD_LEARNER. */
export interface GroupCheckRequest {
  app: AppInfo;
  /** The receiving member. */
  node: RpcAddress;
  config: ReplicaConfiguration;
  lastCommittedDecree: number;
  /** Duplication: secondaries may GC their logs up to this decree. */
  confirmedDecree?: number;
  /** Partition split. */
  childGpid?: Gpid;
  metaSplitStatus?: SplitStatus;
  hpNode?: HostPort;
}

/** RPC_GROUP_CHECK's response, also the request of RPC_LEARN_COMPLETION_NOTIFY. */
export interface GroupCheckResponse {
  pid: Gpid;
  err: ErrorCode;
  lastCommittedDecreeInApp: number;
  lastCommittedDecreeInPrepareList: number;
  /** Upstream field `learner_status_`, default LearningInvalid. */
  learnerStatus: LearnerStatus;
  learnerSignature: number;
  node: RpcAddress;
  /** Partition split: the secondary paused or cancelled its split. */
  isSplitStopped?: boolean;
  /** Upstream declares `= NORMAL`; optional, so absent stays absent. */
  diskStatus?: DiskStatus;
  hpNode?: HostPort;
}
