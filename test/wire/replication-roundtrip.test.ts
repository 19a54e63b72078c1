/**
 * encode → decode of every server-to-server struct (src/idl/replication*.ts), with optional fields absent
 * and present, empty and non-empty lists, blobs with every byte value and decrees at the safe-integer
 * edge; unknown fields skipped; truncated input refused; and the REPLICATION_RPCS table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as structs from '../../src/idl/codec/replication-structs.ts';
import * as consensus from '../../src/idl/codec/replication-structs-consensus.ts';
import { appInfoCodec, partitionConfigurationCodec } from '../../src/idl/codec/meta-structs.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import {
  REPLICATION_RPCS,
  isReplicationRpcCode,
  replicationRpcByName,
} from '../../src/idl/codec/replication-rpcs.ts';
import { AppStatus, type AppInfo, type PartitionConfiguration } from '../../src/idl/meta.ts';
import {
  ConfigType,
  DiskStatus,
  ManualCompactionStatus,
  PartitionStatus,
  SplitStatus,
  type ConfigurationUpdateRequest,
  type ReplicaConfiguration,
  type ReplicaInfo,
} from '../../src/idl/replication.ts';
import {
  LearnerStatus,
  LearnType,
  type GroupCheckRequest,
  type GroupCheckResponse,
  type MutationData,
} from '../../src/idl/replication-consensus.ts';
import type { StructCodec } from '../../src/idl/thrift/codec.ts';
import { ThriftWriter } from '../../src/idl/thrift/writer.ts';
import { TType } from '../../src/idl/thrift/ttype.ts';
import type { RpcAddress } from '../../src/idl/thrift/dsn.ts';
import { address, hostPort, roundTrip } from './codec-test-util.ts';



const hp = hostPort;
const INVALID: RpcAddress = { ipv4: 0, port: 0 };
const R1 = address('10.0.0.1:34801');
const R2 = address('10.0.0.2:34802');
const META = address('255.255.255.255:65535');
const MAX = Number.MAX_SAFE_INTEGER;
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const APP: AppInfo = {
  status: AppStatus.AS_AVAILABLE,
  appType: 'pegasus',
  appName: 'temp',
  appId: 2,
  partitionCount: 8,
  envs: new Map([['replica.deny_client_request', 'timeout*write']]),
  isStateful: true,
  maxReplicaCount: 3,
  expireSecond: 0,
  createSecond: 1_700_000_000,
  dropSecond: 0,
  initPartitionCount: 8,
};

const PC: PartitionConfiguration = {
  pid: { appId: 2, partitionIndex: 5 },
  ballot: 7,
  maxReplicaCount: 3,
  primary: R1,
  secondaries: [R2],
  lastDrops: [META],
  lastCommittedDecree: 1234,
  partitionFlags: 0,
};

const CONFIG: ReplicaConfiguration = {
  pid: { appId: 2, partitionIndex: 5 },
  ballot: 7,
  primary: R1,
  status: PartitionStatus.PS_SECONDARY,
  learnerSignature: 0,
};

const CONFIG_FULL: ReplicaConfiguration = {
  pid: { appId: 0x7fffffff, partitionIndex: -1 },
  ballot: MAX,
  primary: META,
  status: PartitionStatus.PS_POTENTIAL_SECONDARY,
  learnerSignature: (7 * 2 ** 32) + 3, // upstream's (ballot << 32) + n form
  popAll: true,
  splitSyncToChild: false,
  hpPrimary: hp('replica-1.example', 34801),
};

const INFO_BARE: ReplicaInfo = {
  pid: { appId: 2, partitionIndex: 0 },
  ballot: 3,
  status: PartitionStatus.PS_PRIMARY,
  lastCommittedDecree: 100,
  lastPreparedDecree: 101,
  lastDurableDecree: 90,
  appType: 'pegasus',
  diskTag: 'ssd1',
};
const INFO_FULL: ReplicaInfo = { ...INFO_BARE, status: PartitionStatus.PS_ERROR, manualCompactStatus: ManualCompactionStatus.RUNNING, diskTag: '' };

test('replica_configuration and replica_info: optional fields absent and present, extreme values', () => {
  const bare = roundTrip(structs.replicaConfigurationCodec, CONFIG);
  assert.equal('popAll' in bare, false);
  assert.equal('hpPrimary' in bare, false);
  roundTrip(structs.replicaConfigurationCodec, CONFIG_FULL);
  roundTrip(structs.replicaConfigurationCodec, { ...CONFIG, ballot: -1, primary: INVALID, status: PartitionStatus.PS_INVALID });
  assert.equal('manualCompactStatus' in roundTrip(structs.replicaInfoCodec, INFO_BARE), false);
  roundTrip(structs.replicaInfoCodec, INFO_FULL);
  roundTrip(structs.replicaInfoCodec, { ...INFO_BARE, lastCommittedDecree: MAX, lastPreparedDecree: MAX, lastDurableDecree: -1 });
});

test('beacon_msg and beacon_ack, with and without start_time and host_port twins', () => {
  const beacon = { time: 1_700_000_000_123, fromNode: R1, toNode: META };
  assert.equal('startTime' in roundTrip(structs.beaconMsgCodec, beacon), false);
  roundTrip(structs.beaconMsgCodec, { ...beacon, startTime: 0, hpFromNode: hp('r1', 34801), hpToNode: hp('', 0) });
  roundTrip(structs.beaconAckCodec, { time: 5, thisNode: META, primaryNode: META, isMaster: true, allowed: true });
  roundTrip(structs.beaconAckCodec, {
    time: MAX,
    thisNode: R2,
    primaryNode: INVALID,
    isMaster: false,
    allowed: false,
    hpThisNode: hp('meta-2', 34602),
    hpPrimaryNode: hp('meta-1', 34601),
  });
});

const UPDATE: ConfigurationUpdateRequest = {
  info: APP,
  config: PC,
  type: ConfigType.CT_DOWNGRADE_TO_INACTIVE,
  node: R2,
  hostNode: INVALID,
};

test('configuration_update_request/response and config sync (configuration_query_by_node)', () => {
  const bare = roundTrip(structs.configurationUpdateRequestCodec, UPDATE);
  assert.equal('metaSplitStatus' in bare, false);
  const full: ConfigurationUpdateRequest = {
    ...UPDATE,
    type: ConfigType.CT_REGISTER_CHILD,
    config: { ...PC, hpPrimary: hp('r1', 34801), hpSecondaries: [hp('r2', 34802)], hpLastDrops: [] },
    metaSplitStatus: SplitStatus.CANCELING,
    hpNode: hp('r2', 34802),
  };
  roundTrip(structs.configurationUpdateRequestCodec, full);
  roundTrip(structs.configurationUpdateResponseCodec, { err: 'ERR_OK', config: PC });
  roundTrip(structs.configurationUpdateResponseCodec, { err: 'ERR_INVALID_VERSION', config: partitionConfigurationCodec.defaultValue() });

  roundTrip(structs.configurationQueryByNodeRequestCodec, { node: R1 });
  roundTrip(structs.configurationQueryByNodeRequestCodec, { node: R1, storedReplicas: [] });
  roundTrip(structs.configurationQueryByNodeRequestCodec, {
    node: R1,
    storedReplicas: [INFO_BARE, INFO_FULL],
    info: { geoTags: new Map([['rack', 'r1'], ['host', 'ünïcødé']]), totalCapacityMb: 4_000_000 },
    hpNode: hp('replica-1', 34801),
  });
  roundTrip(structs.replicaServerInfoCodec, { geoTags: new Map(), totalCapacityMb: 0 });
  roundTrip(structs.configurationQueryByNodeResponseCodec, { err: 'ERR_BUSY', partitions: [] });
  roundTrip(structs.configurationQueryByNodeResponseCodec, { err: 'ERR_OK', partitions: [UPDATE, full], gcReplicas: [INFO_FULL] });
});

test('query_replica_decree and query_replica_info requests and responses', () => {
  roundTrip(structs.queryReplicaDecreeRequestCodec, { pid: { appId: 1, partitionIndex: 0 }, node1: R1 });
  roundTrip(structs.queryReplicaDecreeRequestCodec, { pid: { appId: 1, partitionIndex: 3 }, node1: R1, hpNode1: hp('r1', 1) });
  roundTrip(structs.queryReplicaDecreeResponseCodec, { err: 'ERR_OBJECT_NOT_FOUND', lastDecree: 0 });
  roundTrip(structs.queryReplicaDecreeResponseCodec, { err: 'ERR_OK', lastDecree: MAX });
  roundTrip(structs.queryReplicaInfoRequestCodec, { node1: R2 });
  roundTrip(structs.queryReplicaInfoRequestCodec, { node1: R2, hpNode1: hp('r2', 34802) });
  roundTrip(structs.queryReplicaInfoResponseCodec, { err: 'ERR_OK', replicas: [] });
  roundTrip(structs.queryReplicaInfoResponseCodec, { err: 'ERR_OK', replicas: [INFO_BARE, INFO_FULL] });
});

const MUTATION: MutationData = {
  header: { pid: { appId: 2, partitionIndex: 5 }, ballot: 7, decree: 42, logOffset: 4096, lastCommittedDecree: 41, timestamp: 1_700_000_000_000_000 },
  updates: [
    { code: 'RPC_RRDB_RRDB_PUT', serializationType: 1, data: EVERY_BYTE },
    { code: 'RPC_RRDB_RRDB_REMOVE', serializationType: 0, data: Buffer.alloc(0), startTimeNs: 123_456_789 },
  ],
};

test('mutation structs, prepare_msg and prepare_ack in their IDL form', () => {
  roundTrip(consensus.mutationHeaderCodec, MUTATION.header);
  roundTrip(consensus.mutationHeaderCodec, { ...MUTATION.header, ballot: MAX, decree: MAX, logOffset: MAX, lastCommittedDecree: -1, timestamp: 0 });
  const update = roundTrip(consensus.mutationUpdateCodec, MUTATION.updates[0]!);
  assert.equal('startTimeNs' in update, false);
  roundTrip(consensus.mutationUpdateCodec, MUTATION.updates[1]!);
  roundTrip(consensus.mutationDataCodec, MUTATION);
  roundTrip(consensus.mutationDataCodec, { header: MUTATION.header, updates: [] }); // an empty write
  roundTrip(consensus.prepareMsgCodec, { config: CONFIG_FULL, mu: MUTATION });
  const ack = { pid: CONFIG.pid, err: 'ERR_OK' as const, ballot: 7, decree: 42, lastCommittedDecreeInApp: 40, lastCommittedDecreeInPrepareList: 41 };
  roundTrip(consensus.prepareAckCodec, ack);
  roundTrip(consensus.prepareAckCodec, { ...ack, err: 'ERR_INACTIVE_STATE' });
});

test('learn_state, learn_request, learn_response and learn_notify_response', () => {
  const state = { fromDecreeExcluded: 10, toDecreeIncluded: 20, meta: EVERY_BYTE, files: ['plog/log.1.0', 'ünïcødé', ''] };
  assert.equal('learnStartDecree' in roundTrip(consensus.learnStateCodec, state), false);
  roundTrip(consensus.learnStateCodec, { fromDecreeExcluded: -1, toDecreeIncluded: MAX, meta: Buffer.alloc(0), files: [], learnStartDecree: 11 });
  const request = {
    pid: CONFIG.pid,
    learner: R2,
    signature: CONFIG_FULL.learnerSignature,
    lastCommittedDecreeInApp: 0,
    lastCommittedDecreeInPrepareList: 0,
    appSpecificLearnRequest: Buffer.alloc(0),
  };
  assert.equal('maxGcedDecree' in roundTrip(consensus.learnRequestCodec, request), false);
  roundTrip(consensus.learnRequestCodec, { ...request, appSpecificLearnRequest: EVERY_BYTE, maxGcedDecree: 5, hpLearner: hp('r2', 34802) });
  const response = {
    err: 'ERR_OK' as const,
    config: CONFIG,
    lastCommittedDecree: 20,
    prepareStartDecree: 21,
    type: LearnType.LT_APP,
    state,
    learnee: R1,
    baseLocalDir: './data/checkpoint.20',
  };
  assert.equal('replicaDiskTag' in roundTrip(consensus.learnResponseCodec, response), false);
  roundTrip(consensus.learnResponseCodec, { ...response, type: LearnType.LT_CACHE, replicaDiskTag: 'ssd2', hpLearnee: hp('r1', 34801) });
  roundTrip(consensus.learnResponseCodec, { ...consensus.learnResponseCodec.defaultValue(), err: 'ERR_LEARNER_NOT_FOUND' });
  roundTrip(consensus.learnNotifyResponseCodec, { pid: CONFIG.pid, err: 'ERR_OK', signature: 1 });
});

const CHECK: GroupCheckRequest = { app: APP, node: R2, config: CONFIG, lastCommittedDecree: 41 };
const REPORT: GroupCheckResponse = {
  pid: CONFIG.pid,
  err: 'ERR_OK',
  lastCommittedDecreeInApp: 40,
  lastCommittedDecreeInPrepareList: 41,
  learnerStatus: LearnerStatus.LearningInvalid,
  learnerSignature: 0,
  node: R2,
};

test('group_check_request and group_check_response', () => {
  const bare = roundTrip(consensus.groupCheckRequestCodec, CHECK);
  assert.equal('confirmedDecree' in bare, false);
  roundTrip(consensus.groupCheckRequestCodec, {
    ...CHECK,
    config: CONFIG_FULL,
    confirmedDecree: -1,
    childGpid: { appId: 2, partitionIndex: 13 },
    metaSplitStatus: SplitStatus.SPLITTING,
    hpNode: hp('r2', 34802),
  });
  assert.equal('diskStatus' in roundTrip(consensus.groupCheckResponseCodec, REPORT), false);
  roundTrip(consensus.groupCheckResponseCodec, {
    ...REPORT,
    err: 'ERR_VERSION_OUTDATED',
    learnerStatus: LearnerStatus.LearningSucceeded,
    learnerSignature: MAX,
    isSplitStopped: true,
    diskStatus: DiskStatus.SPACE_INSUFFICIENT,
    hpNode: hp('r2', 34802),
  });
});

test('unknown fields of any type are skipped, around and between known ones', () => {
  const w = new ThriftWriter();
  w.writeFieldBegin(TType.STRING, 99);
  w.writeString('from the future');
  w.writeFieldBegin(TType.I64, 1); // time
  w.writeI64Number(77);
  w.writeFieldBegin(TType.LIST, 50);
  w.writeListBegin(TType.STRUCT, 1);
  w.writeFieldBegin(TType.I32, 1);
  w.writeI32(5);
  w.writeFieldStop();
  w.writeFieldBegin(TType.BOOL, 4); // is_master
  w.writeBool(true);
  w.writeFieldBegin(TType.STRING, 4); // is_master again, but the wrong type: skipped
  w.writeString('x');
  w.writeFieldStop();
  const { value } = structs.beaconAckCodec.decode(w.finish());
  assert.deepEqual(value, { time: 77, thisNode: INVALID, primaryNode: INVALID, isMaster: true, allowed: false });
});

test('truncated structs are refused with ERR_INVALID_DATA, at every cut', () => {
  const samples: Array<[StructCodec<never>, Buffer]> = [
    [consensus.groupCheckRequestCodec as StructCodec<never>, consensus.groupCheckRequestCodec.encode(CHECK)],
    [consensus.learnResponseCodec as StructCodec<never>, consensus.learnResponseCodec.encode({ ...consensus.learnResponseCodec.defaultValue(), state: { fromDecreeExcluded: 1, toDecreeIncluded: 2, meta: EVERY_BYTE, files: ['a'] } })],
    [structs.configurationQueryByNodeResponseCodec as StructCodec<never>, structs.configurationQueryByNodeResponseCodec.encode({ err: 'ERR_OK', partitions: [UPDATE] })],
  ];
  for (const [codec, bytes] of samples) {
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => codec.decode(bytes.subarray(0, cut)), { name: 'PegasusError', code: 'ERR_INVALID_DATA' }, `${codec.structName} cut at ${cut}`);
    }
  }
});

test('an i64 decree beyond 2^53 is refused rather than rounded', () => {
  const w = new ThriftWriter();
  w.writeFieldBegin(TType.I64, 2); // last_decree
  w.writeI64(2n ** 60n);
  w.writeFieldStop();
  assert.throws(() => structs.queryReplicaDecreeResponseCodec.decode(w.finish()), { name: 'PegasusError', code: 'ERR_INVALID_DATA' });
});

test('the RPC table: codes, who serves them, which are one-way, no clash with meta or rrdb', () => {
  assert.deepEqual(Object.keys(REPLICATION_RPCS).sort(), [
    'RPC_CM_CONFIG_SYNC',
    'RPC_CM_UPDATE_PARTITION_CONFIGURATION',
    'RPC_CONFIG_PROPOSAL',
    'RPC_FD_FAILURE_DETECTOR_PING',
    'RPC_GROUP_CHECK',
    'RPC_LEARN',
    'RPC_LEARN_ADD_LEARNER',
    'RPC_LEARN_COMPLETION_NOTIFY',
    'RPC_PREPARE',
    'RPC_QUERY_PN_DECREE',
    'RPC_QUERY_REPLICA_INFO',
    'RPC_REMOVE_REPLICA',
  ]);
  const metaServed = new Set(['RPC_FD_FAILURE_DETECTOR_PING', 'RPC_CM_CONFIG_SYNC', 'RPC_CM_UPDATE_PARTITION_CONFIGURATION']);
  const oneWay = new Set(['RPC_CONFIG_PROPOSAL', 'RPC_LEARN_ADD_LEARNER', 'RPC_REMOVE_REPLICA']);
  for (const [code, rpc] of Object.entries(REPLICATION_RPCS)) {
    assert.equal(rpc.code, code);
    assert.equal(rpc.servedBy, metaServed.has(code) ? 'meta' : 'replica', code);
    assert.equal(rpc.oneway, oneWay.has(code), code);
    assert.equal('responseCodec' in rpc, !oneWay.has(code), code);
    assert.equal(replicationRpcByName(code), rpc);
    assert.equal(Object.hasOwn(META_RPCS, code) || Object.hasOwn(RRDB_RPCS, code), false, code);
  }
  assert.equal(isReplicationRpcCode('RPC_CM_LIST_APPS'), false);
  assert.equal(replicationRpcByName('RPC_PREPARE_ACK'), undefined);
  assert.equal(replicationRpcByName('hasOwnProperty'), undefined);
});

test('args wrappers: each thrift RPC carries its request as field 1 and refuses args without it', () => {
  const cases: Array<[keyof typeof REPLICATION_RPCS, unknown]> = [
    ['RPC_FD_FAILURE_DETECTOR_PING', { time: 1, fromNode: R1, toNode: META }],
    ['RPC_CM_CONFIG_SYNC', { node: R1, storedReplicas: [INFO_BARE] }],
    ['RPC_CM_UPDATE_PARTITION_CONFIGURATION', UPDATE],
    ['RPC_CONFIG_PROPOSAL', { ...UPDATE, type: ConfigType.CT_ADD_SECONDARY }],
    ['RPC_GROUP_CHECK', CHECK],
    ['RPC_LEARN_COMPLETION_NOTIFY', { ...REPORT, learnerStatus: LearnerStatus.LearningSucceeded }],
    ['RPC_LEARN_ADD_LEARNER', { ...CHECK, config: { ...CONFIG, status: PartitionStatus.PS_POTENTIAL_SECONDARY } }],
    ['RPC_REMOVE_REPLICA', { ...UPDATE, type: ConfigType.CT_REMOVE }],
    ['RPC_QUERY_PN_DECREE', { pid: CONFIG.pid, node1: R1 }],
    ['RPC_QUERY_REPLICA_INFO', { node1: R1 }],
  ];
  for (const [code, args] of cases) {
    const rpc = REPLICATION_RPCS[code];
    const bytes = rpc.encodeArgs(args as never);
    assert.equal(bytes[0], TType.STRUCT, code); // field 1 is the request struct
    assert.equal(bytes.readInt16BE(1), 1, code);
    assert.deepEqual(rpc.decodeArgs(bytes, 0), args, code);
    assert.throws(() => rpc.decodeArgs(Buffer.from([0]), 0), { name: 'PegasusError', code: 'ERR_INVALID_DATA' }, code);
  }
});

test('every two-way RPC round-trips its default response through the response half', () => {
  for (const rpc of Object.values(REPLICATION_RPCS)) {
    if (rpc.oneway) continue;
    const response = rpc.responseCodec.defaultValue();
    const body = Buffer.concat([Buffer.from([0xaa, 0xbb]), rpc.encodeResponse(response as never)]);
    assert.deepEqual(rpc.decodeResponse(body, 2), response, rpc.code);
  }
  assert.equal(appInfoCodec.defaultValue().initPartitionCount, -1); // the reused app_info keeps its default
});
