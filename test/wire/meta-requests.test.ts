/**
 * Admin requests as a generated client writes them, built byte by byte from protocol.md §0, §6 and §11 (and
 * upstream's IDL) independently of our writer: each decodes field by field with its RPC's args decoder, and
 * our args encoder gives back the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { META_RPCS, type MetaRpcCode } from '../../src/idl/codec/meta-rpcs.ts';
import { AppEnvOperation, AppStatus, NodeStatus, PatternMatchType } from '../../src/idl/meta.ts';
import { parseRequestBody } from '../../src/rpc/frame/request-body.ts';

/** Hand-made thrift binary, as hex. */
const hx = {
  byte: (v: number): string => (v & 0xff).toString(16).padStart(2, '0'),
  i16: (v: number): string => (v & 0xffff).toString(16).padStart(4, '0'),
  i32: (v: number): string => (v >>> 0).toString(16).padStart(8, '0'),
  i64: (v: bigint): string => BigInt.asUintN(64, v).toString(16).padStart(16, '0'),
  bool: (v: boolean): string => (v ? '01' : '00'),
  str: (s: string): string => hx.i32(Buffer.byteLength(s)) + Buffer.from(s).toString('hex'),
  field: (type: number, id: number): string => hx.byte(type) + hx.i16(id),
};
const STOP = '00';
const T = { BOOL: 2, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, LIST: 15 } as const;

/** The body a client sends: strict CALL message begin, then the args wrapper holding `struct` as field 1. */
function requestBody(code: string, seqid: number, struct: string): Buffer {
  const begin = '80010001' + hx.str(code) + hx.i32(seqid);
  return Buffer.from(begin + hx.field(T.STRUCT, 1) + struct + STOP, 'hex');
}

function decodeHandBuilt<C extends MetaRpcCode>(code: C, struct: string): ReturnType<(typeof META_RPCS)[C]['decodeArgs']> {
  const body = requestBody(code, 7, struct);
  const parsed = parseRequestBody(body);
  assert.equal(parsed.name, code);
  assert.equal(parsed.seqid, 7);
  const rpc = META_RPCS[code];
  const args = rpc.decodeArgs(body, parsed.argsOffset) as ReturnType<(typeof META_RPCS)[C]['decodeArgs']>;
  // Every hand-built struct carries all its required fields in id order, as generated writers do.
  const encodeArgs = rpc.encodeArgs as (value: unknown) => Buffer;
  assert.equal(encodeArgs(args).toString('hex'), body.subarray(parsed.argsOffset).toString('hex'));
  return args;
}

/** 127.0.0.1:34601 as the rpc_address i64: ip, port, host type IPV4 (protocol.md §0.1). */
const META_ADDRESS_HEX = '7f000001' + '8729' + '0001';
const META_ADDRESS = { ipv4: 0x7f000001, port: 34601 };

test('query_cfg_request with partition_indices, as the Python and Go clients may send', () => {
  const indices = hx.byte(T.I32) + hx.i32(2) + hx.i32(0) + hx.i32(3);
  const struct = hx.field(T.STRING, 1) + hx.str('temp') + hx.field(T.LIST, 2) + indices + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX', struct), {
    appName: 'temp',
    partitionIndices: [0, 3],
  });
});

test('create_app: options with an envs map, with and without atomic_idempotent', () => {
  const options = (envs: Array<[string, string]>, atomicIdempotent?: boolean): string =>
    hx.field(T.I32, 1) + hx.i32(8) +
    hx.field(T.I32, 2) + hx.i32(3) +
    hx.field(T.BOOL, 3) + hx.bool(false) +
    hx.field(T.STRING, 4) + hx.str('pegasus') +
    hx.field(T.BOOL, 5) + hx.bool(true) +
    hx.field(T.MAP, 6) + hx.byte(T.STRING) + hx.byte(T.STRING) + hx.i32(envs.length) +
    envs.map(([k, v]) => hx.str(k) + hx.str(v)).join('') +
    (atomicIdempotent === undefined ? '' : hx.field(T.BOOL, 7) + hx.bool(atomicIdempotent)) +
    STOP;
  const request = (opts: string): string => hx.field(T.STRING, 1) + hx.str('temp') + hx.field(T.STRUCT, 2) + opts + STOP;

  const envs: Array<[string, string]> = [['rocksdb.usage_scenario', 'bulk_load'], ['default_ttl', '86400']];
  const withEnvs = decodeHandBuilt('RPC_CM_CREATE_APP', request(options(envs)));
  assert.equal(withEnvs.appName, 'temp');
  assert.equal(withEnvs.options.partitionCount, 8);
  assert.equal(withEnvs.options.replicaCount, 3);
  assert.equal(withEnvs.options.successIfExist, false);
  assert.equal(withEnvs.options.appType, 'pegasus');
  assert.equal(withEnvs.options.isStateful, true);
  assert.deepEqual(withEnvs.options.envs, new Map(envs));
  assert.equal(withEnvs.options.atomicIdempotent, undefined);
  assert.equal('atomicIdempotent' in withEnvs.options, false);

  const idempotent = decodeHandBuilt('RPC_CM_CREATE_APP', request(options([], true)));
  assert.deepEqual(idempotent.options.envs, new Map());
  assert.equal(idempotent.options.atomicIdempotent, true);
});

test('drop_app: reserve_seconds absent, present, and beyond 2^53', () => {
  const request = (reserve?: bigint): string =>
    hx.field(T.STRING, 1) + hx.str('temp') +
    hx.field(T.STRUCT, 2) +
    hx.field(T.BOOL, 1) + hx.bool(true) +
    (reserve === undefined ? '' : hx.field(T.I64, 2) + hx.i64(reserve)) +
    STOP +
    STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_DROP_APP', request()), { appName: 'temp', options: { successIfNotExist: true } });
  assert.deepEqual(decodeHandBuilt('RPC_CM_DROP_APP', request(86400n)), {
    appName: 'temp',
    options: { successIfNotExist: true, reserveSeconds: 86400 },
  });
  // A huge reservation is read as "very long", not as a malformed request.
  const body = requestBody('RPC_CM_DROP_APP', 0, request(1n << 62n));
  const args = META_RPCS.RPC_CM_DROP_APP.decodeArgs(body, parseRequestBody(body).argsOffset);
  assert.equal(args.options.reserveSeconds, Number.MAX_SAFE_INTEGER);
});

test('recall_app: app_id and new_app_name (empty keeps the old name)', () => {
  const struct = hx.field(T.I32, 1) + hx.i32(3) + hx.field(T.STRING, 2) + hx.str('') + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_RECALL_APP', struct), { appId: 3, newAppName: '' });
});

test('list_apps: status only (older clients), and with a name pattern', () => {
  const statusOnly = hx.field(T.I32, 1) + hx.i32(AppStatus.AS_INVALID) + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_LIST_APPS', statusOnly), { status: AppStatus.AS_INVALID });
  const pattern =
    hx.field(T.I32, 1) + hx.i32(AppStatus.AS_AVAILABLE) +
    hx.field(T.STRING, 2) + hx.str('te') +
    hx.field(T.I32, 3) + hx.i32(PatternMatchType.PMT_MATCH_PREFIX) +
    STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_LIST_APPS', pattern), {
    status: AppStatus.AS_AVAILABLE,
    appNamePattern: 'te',
    matchType: PatternMatchType.PMT_MATCH_PREFIX,
  });
});

test('list_nodes and cluster_info', () => {
  assert.deepEqual(decodeHandBuilt('RPC_CM_LIST_NODES', hx.field(T.I32, 1) + hx.i32(NodeStatus.NS_ALIVE) + STOP), {
    status: NodeStatus.NS_ALIVE,
  });
  // An empty struct: field 1 of the wrapper holds only a STOP.
  assert.equal(requestBody('RPC_CM_CLUSTER_INFO', 7, STOP).subarray(-5).toString('hex'), '0c00010000');
  assert.deepEqual(decodeHandBuilt('RPC_CM_CLUSTER_INFO', STOP), {});
});

test('rename_app: old and new names', () => {
  const struct = hx.field(T.STRING, 1) + hx.str('temp') + hx.field(T.STRING, 2) + hx.str('témp2') + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_RENAME_APP', struct), { oldAppName: 'temp', newAppName: 'témp2' });
});

test('update_app_env: set, del and clear carry only their own optional fields', () => {
  const strings = (values: string[]): string => hx.byte(T.STRING) + hx.i32(values.length) + values.map(hx.str).join('');
  const head = (op: number): string => hx.field(T.STRING, 1) + hx.str('temp') + hx.field(T.I32, 2) + hx.i32(op);

  const setLists = hx.field(T.LIST, 3) + strings(['k1', 'k2']) + hx.field(T.LIST, 4) + strings(['v1', '']);
  const set = head(AppEnvOperation.APP_ENV_OP_SET) + setLists + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_UPDATE_APP_ENV', set), {
    appName: 'temp',
    op: AppEnvOperation.APP_ENV_OP_SET,
    keys: ['k1', 'k2'],
    values: ['v1', ''],
  });
  const del = head(AppEnvOperation.APP_ENV_OP_DEL) + hx.field(T.LIST, 3) + strings(['k1']) + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_UPDATE_APP_ENV', del), {
    appName: 'temp',
    op: AppEnvOperation.APP_ENV_OP_DEL,
    keys: ['k1'],
  });
  const clearAll = head(AppEnvOperation.APP_ENV_OP_CLEAR) + hx.field(T.STRING, 5) + hx.str('') + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_UPDATE_APP_ENV', clearAll), {
    appName: 'temp',
    op: AppEnvOperation.APP_ENV_OP_CLEAR,
    clearPrefix: '',
  });
  const clearPrefix = head(AppEnvOperation.APP_ENV_OP_CLEAR) + hx.field(T.STRING, 5) + hx.str('manual_compact') + STOP;
  assert.equal(decodeHandBuilt('RPC_CM_UPDATE_APP_ENV', clearPrefix).clearPrefix, 'manual_compact');
});

test('query_app_info: meta_server as an rpc_address, with and without hp_meta_server', () => {
  const bare = hx.field(T.STRUCT, 1) + META_ADDRESS_HEX + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_QUERY_APP_INFO', bare), { metaServer: META_ADDRESS });
  const hpMetaServer = hx.str('localhost') + '8729' + '01'; // host, u16 port, byte type IPV4; no STOP
  const withHostPort = hx.field(T.STRUCT, 1) + META_ADDRESS_HEX + hx.field(T.STRUCT, 2) + hpMetaServer + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_QUERY_APP_INFO', withHostPort), {
    metaServer: META_ADDRESS,
    hpMetaServer: { host: 'localhost', port: 34601, type: 1 },
  });
  // The rDSN primitives are read leniently: an rpc_address sent with its natural type byte (10, i64) is accepted.
  const body = requestBody('RPC_QUERY_APP_INFO', 0, hx.field(T.I64, 1) + META_ADDRESS_HEX + STOP);
  const args = META_RPCS.RPC_QUERY_APP_INFO.decodeArgs(body, parseRequestBody(body).argsOffset);
  assert.deepEqual(args, { metaServer: META_ADDRESS });
});

test('ddd_diagnose: the gpid as rDSN writes it (partition_index, then app_id), -1 meaning all', () => {
  const all = hx.field(T.STRUCT, 1) + hx.i32(-1) + hx.i32(-1) + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_DDD_DIAGNOSE', all), { pid: { appId: -1, partitionIndex: -1 } });
  const one = hx.field(T.STRUCT, 1) + hx.i32(7) + hx.i32(3) + STOP;
  assert.deepEqual(decodeHandBuilt('RPC_CM_DDD_DIAGNOSE', one), { pid: { appId: 3, partitionIndex: 7 } });
});

test('absent required fields take thrift defaults; fields of the wrong type are skipped', () => {
  // A list_apps request whose status arrives as a string: skipped, so status is AS_INVALID (every table).
  const body = requestBody('RPC_CM_LIST_APPS', 0, hx.field(T.STRING, 1) + hx.str('x') + STOP);
  const listApps = META_RPCS.RPC_CM_LIST_APPS.decodeArgs(body, parseRequestBody(body).argsOffset);
  assert.deepEqual(listApps, { status: AppStatus.AS_INVALID });
  const empty = requestBody('RPC_CM_CREATE_APP', 0, STOP);
  assert.deepEqual(META_RPCS.RPC_CM_CREATE_APP.decodeArgs(empty, parseRequestBody(empty).argsOffset), {
    appName: '',
    options: { partitionCount: 0, replicaCount: 0, successIfExist: false, appType: '', isStateful: false, envs: new Map() },
  });
});
