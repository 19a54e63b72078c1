/**
 * encode → decode of every meta request and response struct, with optional fields absent and present, empty
 * and non-empty lists and envs maps; the RPC table; and the exact bytes of a non-leader's forward answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { META_RPCS, isMetaRpcCode, metaRpcByName } from '../../src/idl/codec/meta-rpcs.ts';
import * as structs from '../../src/idl/codec/meta-structs.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import {
  AppEnvOperation,
  AppStatus,
  INIT_PARTITION_COUNT_UNSET,
  NodeStatus,
  PatternMatchType,
  type AppInfo,
  type PartitionConfiguration,
  type QueryCfgResponse,
} from '../../src/idl/meta.ts';
import { parseResponse, encodeResponse } from '../../src/rpc/frame/response.ts';
import { address, hostPort, roundTrip } from './codec-test-util.ts';



const R1 = address('10.0.0.1:34801');
const R2 = address('10.0.0.2:34801');
const R3 = address('255.255.255.255:65535');

const ENVS = new Map([
  ['rocksdb.usage_scenario', 'normal'],
  ['replica.deny_client_request', ''],
  ['ünïcødé', 'välue'],
]);

const APP: AppInfo = {
  status: AppStatus.AS_AVAILABLE,
  appType: 'pegasus',
  appName: 'temp',
  appId: 3,
  partitionCount: 8,
  envs: ENVS,
  isStateful: true,
  maxReplicaCount: 3,
  expireSecond: 0,
  createSecond: 1_700_000_000,
  dropSecond: 0,
  initPartitionCount: 8,
};

test('query_cfg request and response, partitions with and without host_port twins', () => {
  roundTrip(structs.queryCfgRequestCodec, { appName: 'temp', partitionIndices: [] });
  roundTrip(structs.queryCfgRequestCodec, { appName: '', partitionIndices: [0, 7, -1] });
  const bare: PartitionConfiguration = {
    pid: { appId: 3, partitionIndex: 0 },
    ballot: -1, // a child partition not ready during a split
    maxReplicaCount: 3,
    primary: { ipv4: 0, port: 0 },
    secondaries: [],
    lastDrops: [],
    lastCommittedDecree: 0,
    partitionFlags: 0,
  };
  const full: PartitionConfiguration = {
    pid: { appId: 3, partitionIndex: 7 },
    ballot: 12,
    maxReplicaCount: 3,
    primary: R1,
    secondaries: [R2, R3],
    lastDrops: [R3],
    lastCommittedDecree: Number.MAX_SAFE_INTEGER,
    partitionFlags: 1,
    hpPrimary: hostPort('replica-1', 34801),
    hpSecondaries: [hostPort('replica-2', 34801), hostPort('', 65535)],
    hpLastDrops: [],
  };
  const decodedBare = roundTrip(structs.partitionConfigurationCodec, bare);
  assert.equal('hpPrimary' in decodedBare, false);
  roundTrip(structs.partitionConfigurationCodec, full);
  const ok: QueryCfgResponse = { err: 'ERR_OK', appId: 3, partitionCount: 2, isStateful: true, partitions: [bare, full] };
  roundTrip(structs.queryCfgResponseCodec, ok);
  const busy: QueryCfgResponse = { err: 'ERR_BUSY_CREATING', appId: 0, partitionCount: 0, isStateful: false, partitions: [] };
  roundTrip(structs.queryCfgResponseCodec, busy);
});

test('app_info: optional flags absent and present, empty envs, init_partition_count default -1', () => {
  const decoded = roundTrip(structs.appInfoCodec, APP);
  assert.equal('duplicating' in decoded, false);
  roundTrip(structs.appInfoCodec, {
    ...APP,
    status: AppStatus.AS_DROPPED,
    envs: new Map(),
    dropSecond: 1_700_000_100,
    expireSecond: 1_700_600_000,
    duplicating: false,
    isBulkLoading: true,
    atomicIdempotent: true,
    initPartitionCount: INIT_PARTITION_COUNT_UNSET,
  });
  // Upstream declares `13: i32 init_partition_count = -1`: an old writer that omits it means "unset", not 0.
  const { value } = structs.appInfoCodec.decode(Buffer.from([0]));
  assert.equal(value.initPartitionCount, -1);
  assert.equal(value.status, AppStatus.AS_INVALID);
  assert.deepEqual(value.envs, new Map());
});

test('create_app, drop_app, recall_app requests and responses', () => {
  const options = { partitionCount: 8, replicaCount: 3, successIfExist: true, appType: 'pegasus', isStateful: true, envs: ENVS };
  roundTrip(structs.createAppRequestCodec, { appName: 'temp', options });
  const noEnvs = { ...options, envs: new Map<string, string>(), atomicIdempotent: false };
  roundTrip(structs.createAppRequestCodec, { appName: 'temp', options: noEnvs });
  roundTrip(structs.createAppResponseCodec, { err: 'ERR_OK', appid: 3 });
  roundTrip(structs.createAppResponseCodec, { err: 'ERR_INVALID_PARAMETERS', appid: 0 });

  roundTrip(structs.dropAppRequestCodec, { appName: 'temp', options: { successIfNotExist: false } });
  roundTrip(structs.dropAppRequestCodec, { appName: 'temp', options: { successIfNotExist: true, reserveSeconds: 0 } });
  roundTrip(structs.dropAppResponseCodec, { err: 'ERR_APP_NOT_EXIST' });

  roundTrip(structs.recallAppRequestCodec, { appId: 3, newAppName: 'temp_recalled' });
  roundTrip(structs.recallAppResponseCodec, { err: 'ERR_OK', info: { ...APP, status: AppStatus.AS_RECALLING } });
  roundTrip(structs.recallAppResponseCodec, { err: 'ERR_APP_EXIST', info: structs.appInfoCodec.defaultValue() });
});

test('list_apps, list_nodes and cluster_info requests and responses', () => {
  roundTrip(structs.listAppsRequestCodec, { status: AppStatus.AS_INVALID });
  roundTrip(structs.listAppsRequestCodec, {
    status: AppStatus.AS_AVAILABLE,
    appNamePattern: '^te.*$',
    matchType: PatternMatchType.PMT_MATCH_REGEX,
  });
  roundTrip(structs.listAppsResponseCodec, { err: 'ERR_OK', infos: [] });
  const other: AppInfo = { ...APP, appId: 4, appName: 'other', envs: new Map() };
  roundTrip(structs.listAppsResponseCodec, { err: 'ERR_OK', infos: [APP, other] });
  roundTrip(structs.listAppsResponseCodec, { err: 'ERR_INVALID_PARAMETERS', infos: [], hintMessage: 'invalid regex' });

  roundTrip(structs.listNodesRequestCodec, { status: NodeStatus.NS_INVALID });
  roundTrip(structs.listNodesResponseCodec, { err: 'ERR_OK', infos: [] });
  roundTrip(structs.listNodesResponseCodec, {
    err: 'ERR_OK',
    infos: [
      { status: NodeStatus.NS_ALIVE, node: R1, hpNode: hostPort('replica-1', 34801) },
      { status: NodeStatus.NS_UNALIVE, node: R2 },
    ],
  });

  roundTrip(structs.clusterInfoRequestCodec, {});
  assert.equal(structs.clusterInfoRequestCodec.encode({}).toString('hex'), '00');
  roundTrip(structs.clusterInfoResponseCodec, { err: 'ERR_OK', keys: [], values: [] });
  roundTrip(structs.clusterInfoResponseCodec, {
    err: 'ERR_OK',
    keys: ['meta_servers', 'primary_meta_server', 'cluster_name'],
    values: ['127.0.0.1:34601', '127.0.0.1:34601', 'onebox'],
  });
});

test('rename_app, update_app_env and query_app_info requests and responses', () => {
  roundTrip(structs.renameAppRequestCodec, { oldAppName: 'temp', newAppName: 'temp2' });
  roundTrip(structs.renameAppResponseCodec, { err: 'ERR_OK', hintMessage: '' });
  roundTrip(structs.renameAppResponseCodec, { err: 'ERR_APP_EXIST', hintMessage: 'temp2 already exists' });

  roundTrip(structs.updateAppEnvRequestCodec, { appName: 'temp', op: AppEnvOperation.APP_ENV_OP_INVALID });
  const set = { appName: 'temp', op: AppEnvOperation.APP_ENV_OP_SET, keys: ['a', 'b'], values: ['1', ''] };
  roundTrip(structs.updateAppEnvRequestCodec, set);
  roundTrip(structs.updateAppEnvRequestCodec, { appName: 'temp', op: AppEnvOperation.APP_ENV_OP_DEL, keys: [] });
  roundTrip(structs.updateAppEnvRequestCodec, { appName: 'temp', op: AppEnvOperation.APP_ENV_OP_CLEAR, clearPrefix: '' });
  roundTrip(structs.updateAppEnvResponseCodec, { err: 'ERR_INVALID_PARAMETERS', hintMessage: 'keys and values differ' });

  roundTrip(structs.queryAppInfoRequestCodec, { metaServer: address('127.0.0.1:34601') });
  roundTrip(structs.queryAppInfoRequestCodec, { metaServer: R1, hpMetaServer: hostPort('meta-1', 34601) });
  roundTrip(structs.queryAppInfoResponseCodec, { err: 'ERR_OK', apps: [] });
  roundTrip(structs.queryAppInfoResponseCodec, { err: 'ERR_OK', apps: [APP] });
});

test('ddd_diagnose request and response: all, one table, one partition; unknown ballots and decrees are -1', () => {
  for (const pid of [{ appId: -1, partitionIndex: -1 }, { appId: 3, partitionIndex: -1 }, { appId: 3, partitionIndex: 7 }]) {
    roundTrip(structs.dddDiagnoseRequestCodec, { pid });
  }
  const deadNode = { node: R1, dropTimeMs: 1_700_000_000_123, isAlive: false, isCollected: false, ballot: -1, lastCommittedDecree: -1, lastPreparedDecree: -1 };
  const collected = { node: R2, dropTimeMs: 0, isAlive: true, isCollected: true, ballot: 12, lastCommittedDecree: 1000, lastPreparedDecree: Number.MAX_SAFE_INTEGER };
  roundTrip(structs.dddNodeInfoCodec, deadNode);
  roundTrip(structs.dddNodeInfoCodec, collected);
  const config: PartitionConfiguration = {
    pid: { appId: 3, partitionIndex: 7 },
    ballot: 12,
    maxReplicaCount: 3,
    primary: { ipv4: 0, port: 0 },
    secondaries: [],
    lastDrops: [R3, R1, R2],
    lastCommittedDecree: 990,
    partitionFlags: 0,
  };
  roundTrip(structs.dddPartitionInfoCodec, { config, dropped: [], reason: '' });
  const partition = { config, dropped: [deadNode, collected], reason: 'the last dropped node(10.0.0.1:34801) hasn\'t come back yet' };
  roundTrip(structs.dddDiagnoseResponseCodec, { err: 'ERR_OK', partitions: [] });
  roundTrip(structs.dddDiagnoseResponseCodec, { err: 'ERR_OK', partitions: [partition, { ...partition, reason: 'ünïcødé' }] });
  // Field ids and types of ddd_node_info (meta_admin.thrift): rpc_address 1 (rDSN's 8 raw bytes under type
  // 12), i64 drop_time_ms 2, bool 3, bool 4, i64 ballot and decrees 5..7.
  assert.equal(
    structs.dddNodeInfoCodec.encode(deadNode).toString('hex'),
    '0c0001' + '0a000001' + '87f1' + '0001' +
      '0a0002' + (1_700_000_000_123).toString(16).padStart(16, '0') +
      '020003' + '00' + '020004' + '00' +
      '0a0005' + 'ff'.repeat(8) + '0a0006' + 'ff'.repeat(8) + '0a0007' + 'ff'.repeat(8) + '00',
  );
});

test('err travels as a name with type byte 12, and a name we do not know reads as ERR_UNKNOWN', () => {
  const bytes = structs.dropAppResponseCodec.encode({ err: 'ERR_APP_NOT_EXIST' });
  assert.equal(bytes.toString('hex'), '0c0001' + '00000011' + Buffer.from('ERR_APP_NOT_EXIST').toString('hex') + '00');
  const unknown = Buffer.from('0c0001' + '0000000f' + Buffer.from('ERR_FROM_FUTURE').toString('hex') + '00', 'hex');
  assert.deepEqual(structs.dropAppResponseCodec.decode(unknown).value, { err: 'ERR_UNKNOWN' });
  // The natural string type byte (11) is accepted too, as for every rDSN primitive.
  const asString = Buffer.from('0b0001' + '00000006' + Buffer.from('ERR_OK').toString('hex') + '00', 'hex');
  assert.deepEqual(structs.dropAppResponseCodec.decode(asString).value, { err: 'ERR_OK' });
  // Absent err is thrift's default error_code, ERR_OK.
  assert.deepEqual(structs.dropAppResponseCodec.decode(Buffer.from([0])).value, { err: 'ERR_OK' });
});

test('a non-leader answers ERR_FORWARD_TO_OTHERS with the leader in partitions[0].primary (protocol.md §2)', () => {
  const leader = address('10.1.2.3:34602');
  const forward: QueryCfgResponse = {
    err: 'ERR_FORWARD_TO_OTHERS',
    appId: 0,
    partitionCount: 0,
    isStateful: false, // the Python client takes any stateful answer as the table, so a forward must not be one
    partitions: [
      {
        pid: { appId: 0, partitionIndex: 0 },
        ballot: 0,
        maxReplicaCount: 0,
        primary: leader,
        secondaries: [],
        lastDrops: [],
        lastCommittedDecree: 0,
        partitionFlags: 0,
        hpPrimary: hostPort('meta-2', 34602),
      },
    ],
  };
  const rpc = META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX;
  const body = rpc.encodeResponse(forward);
  const str = (s: string): string => Buffer.byteLength(s).toString(16).padStart(8, '0') + Buffer.from(s).toString('hex');
  const expected =
    '0c0001' + str('ERR_FORWARD_TO_OTHERS') + // err: error_code, type 12, the name
    '08000200000000' + // app_id 0
    '08000300000000' + // partition_count 0
    '02000400' + // is_stateful false
    '0f0005' + '0c' + '00000001' + // partitions: list<struct>, one element
    '0c0001' + '0000000000000000' + // pid (0, 0)
    '0a0002' + '0000000000000000' + // ballot
    '08000300000000' + // max_replica_count
    '0c0004' + '0a010203' + '872a' + '0001' + // primary: the leader, 10.1.2.3:34602, host type IPV4
    '0f0005' + '0c' + '00000000' + // secondaries []
    '0f0006' + '0c' + '00000000' + // last_drops []
    '0a0007' + '0000000000000000' + // last_committed_decree
    '08000800000000' + // partition_flags
    '0c0009' + str('meta-2') + '872a' + '01' + // hp_primary: host, port, type IPV4
    '00' + // end of partition_configuration
    '00'; // end of query_cfg_response
  assert.equal(body.toString('hex'), expected);

  // The frame still carries ERR_OK: the meta-level error lives inside the body.
  const frame = encodeResponse({ errorName: 'ERR_OK', name: rpc.code, seqid: 4, body });
  const parsed = parseResponse(frame);
  assert.equal(parsed.errorName, 'ERR_OK');
  assert.equal(parsed.name, 'RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX_ACK');
  assert.deepEqual(rpc.decodeResponse(frame, parsed.resultOffset!), forward);
});

test('the RPC table: eleven codes, who serves them, lookups, no clash with rrdb', () => {
  assert.deepEqual(Object.keys(META_RPCS).sort(), [
    'RPC_CM_CLUSTER_INFO',
    'RPC_CM_CREATE_APP',
    'RPC_CM_DDD_DIAGNOSE',
    'RPC_CM_DROP_APP',
    'RPC_CM_LIST_APPS',
    'RPC_CM_LIST_NODES',
    'RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX',
    'RPC_CM_RECALL_APP',
    'RPC_CM_RENAME_APP',
    'RPC_CM_UPDATE_APP_ENV',
    'RPC_QUERY_APP_INFO',
  ]);
  for (const [code, rpc] of Object.entries(META_RPCS)) {
    assert.equal(rpc.code, code);
    assert.equal(rpc.servedBy, code === 'RPC_QUERY_APP_INFO' ? 'replica' : 'meta');
    assert.ok(isMetaRpcCode(code));
    assert.equal(metaRpcByName(code), rpc);
    assert.equal(Object.hasOwn(RRDB_RPCS, code), false);
  }
  assert.equal(isMetaRpcCode('RPC_RRDB_RRDB_GET'), false);
  assert.equal(metaRpcByName('RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX_ACK'), undefined);
  assert.equal(metaRpcByName('toString'), undefined); // inherited names are not RPCs
});

test('every RPC of the table round-trips its default args and response through the wrappers', () => {
  for (const rpc of Object.values(META_RPCS)) {
    const response = rpc.responseCodec.defaultValue();
    assert.deepEqual(rpc.decodeResponse(rpc.encodeResponse(response as never), 0), response, rpc.code);
  }
  const create = META_RPCS.RPC_CM_CREATE_APP;
  const options = { partitionCount: 4, replicaCount: 1, successIfExist: false, appType: 'pegasus', isStateful: true, envs: ENVS };
  const args = { appName: 'temp', options };
  assert.deepEqual(create.decodeArgs(create.encodeArgs(args), 0), args);
  const info = META_RPCS.RPC_CM_CLUSTER_INFO;
  assert.equal(info.encodeArgs({}).toString('hex'), '0c00010000');
  assert.deepEqual(info.decodeArgs(Buffer.from('0c00010000', 'hex'), 0), {});
});

test('args without field 1 are refused, not read as an empty request', () => {
  for (const rpc of Object.values(META_RPCS)) {
    assert.throws(() => rpc.decodeArgs(Buffer.from([0]), 0), { name: 'PegasusError', code: 'ERR_INVALID_DATA' }, rpc.code);
  }
});

test('truncated structs are refused with ERR_INVALID_DATA', () => {
  const bytes = structs.listAppsResponseCodec.encode({ err: 'ERR_OK', infos: [APP] });
  for (const cut of [1, 5, bytes.length - 1]) {
    assert.throws(() => structs.listAppsResponseCodec.decode(bytes.subarray(0, cut)), {
      name: 'PegasusError',
      code: 'ERR_INVALID_DATA',
    });
  }
});
