/**
 * Byte sequences written by hand from upstream's IDL and from `replica::send_prepare_message` /
 * `mutation::write_to`, not with our writer, decoded field by field; then our encoder must produce the same
 * bytes. Also the prepare body's refusals: bad version, impossible counts and lengths, trailing bytes, cuts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as structs from '../../src/idl/codec/replication-structs.ts';
import * as consensus from '../../src/idl/codec/replication-structs-consensus.ts';
import {
  decodePrepareRequest,
  decodeWireMutation,
  encodePrepareRequest,
  encodeWireMutation,
} from '../../src/idl/codec/replication-structs-prepare.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import { PartitionStatus } from '../../src/idl/replication.ts';
import { LearnerStatus } from '../../src/idl/replication-consensus.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const str = (s: string): string => Buffer.byteLength(s).toString(16).padStart(8, '0') + Buffer.from(s).toString('hex');
const R1 = { ipv4: 0x0a000001, port: 34801 }; // 10.0.0.1:34801
const META = { ipv4: 0x7f000001, port: 34601 }; // 127.0.0.1:34601

const BEACON_HEX =
  '0a0001 0000000102030405' + // 1: i64 time
  '0c0002 0a000001 87f1 0001' + // 2: rpc_address from_node (type 12), ip, port, host type IPV4
  '0c0003 7f000001 8729 0001' + // 3: rpc_address to_node
  '0a0004 00000000000003e8' + // 4: optional i64 start_time
  '00';

test('beacon_msg from hand-written bytes', () => {
  const bytes = hex(BEACON_HEX);
  const { value, end } = structs.beaconMsgCodec.decode(bytes);
  assert.equal(end, bytes.length);
  assert.equal(value.time, 0x0102030405);
  assert.deepEqual(value.fromNode, R1);
  assert.deepEqual(value.toNode, META);
  assert.equal(value.startTime, 1000);
  assert.equal(value.hpFromNode, undefined);
  assert.deepEqual(structs.beaconMsgCodec.encode(value), bytes);
});

const CONFIG_HEX =
  '0c0001 00000005 00000002' + // 1: gpid, one i64: partition_index 5 high, app_id 2 low
  '0a0002 0000000000000007' + // 2: i64 ballot
  '0c0003 0a000001 87f1 0001' + // 3: rpc_address primary
  '08000400000004' + // 4: partition_status PS_SECONDARY
  '0a0005 0000000700000003' + // 5: i64 learner_signature
  '02000601' + // 6: optional bool pop_all
  '00';

test('replica_configuration from hand-written bytes, and rpc_address read from its natural i64 type', () => {
  const bytes = hex(CONFIG_HEX);
  const { value } = structs.replicaConfigurationCodec.decode(bytes);
  assert.deepEqual(value.pid, { appId: 2, partitionIndex: 5 });
  assert.equal(value.ballot, 7);
  assert.deepEqual(value.primary, R1);
  assert.equal(value.status, PartitionStatus.PS_SECONDARY);
  assert.equal(value.learnerSignature, 7 * 2 ** 32 + 3);
  assert.equal(value.popAll, true);
  assert.equal(value.splitSyncToChild, undefined);
  assert.deepEqual(structs.replicaConfigurationCodec.encode(value), bytes);
  // The rDSN primitives are also accepted under their natural thrift type (10 for gpid and rpc_address).
  const asI64 = hex(CONFIG_HEX.replace('0c0001', '0a0001').replace('0c0003', '0a0003'));
  assert.deepEqual(structs.replicaConfigurationCodec.decode(asI64).value, value);
});

test('group_check_response from hand-written bytes, including a host_port twin', () => {
  const bytes = hex(
    '0c0001 00000005 00000002' + // 1: gpid
      '0c0002' + str('ERR_OK') + // 2: error_code, the name
      '0a0003 0000000000000028' + // 3: last_committed_decree_in_app 40
      '0a0004 0000000000000029' + // 4: last_committed_decree_in_prepare_list 41
      '08000500000004' + // 5: learner_status LearningSucceeded
      '0a0006 0000000000000009' + // 6: learner_signature
      '0c0007 0a000001 87f1 0001' + // 7: node
      '08000900000001' + // 9: optional disk_status SPACE_INSUFFICIENT
      '0c000a' + str('replica-1') + '87f1' + '01' + // 10: optional host_port hp_node
      '00',
  );
  const { value } = consensus.groupCheckResponseCodec.decode(bytes);
  assert.deepEqual(value, {
    pid: { appId: 2, partitionIndex: 5 },
    err: 'ERR_OK',
    lastCommittedDecreeInApp: 40,
    lastCommittedDecreeInPrepareList: 41,
    learnerStatus: LearnerStatus.LearningSucceeded,
    learnerSignature: 9,
    node: R1,
    diskStatus: 1,
    hpNode: { host: 'replica-1', port: 34801, type: 1 },
  });
  assert.deepEqual(consensus.groupCheckResponseCodec.encode(value), bytes);
});

test('learn_state from hand-written bytes: blob meta and list<string> files', () => {
  const bytes = hex(
    '0a0001 000000000000000a' + // 1: from_decree_excluded 10
      '0a0002 0000000000000014' + // 2: to_decree_included 20
      '0c0003 00000003 ff0001' + // 3: dsn.blob meta, i32 length + bytes, type byte 12
      '0f0004 0b 00000002' + str('a') + str('') + // 4: list<string> files
      '00',
  );
  const { value } = consensus.learnStateCodec.decode(bytes);
  assert.deepEqual(value, { fromDecreeExcluded: 10, toDecreeIncluded: 20, meta: hex('ff0001'), files: ['a', ''] });
  assert.deepEqual(consensus.learnStateCodec.encode(value), bytes);
});

const MUTATION_HEX =
  '0000000000000000' + // i64 LE version 0
  '02000000 05000000' + // u64 LE gpid value: app_id 2, then partition_index 5
  '0700000000000000' + // ballot 7
  '2a00000000000000' + // decree 42
  '0010000000000000' + // log_offset 4096
  '2900000000000000' + // last_committed_decree 41
  '100f0e0d0c0b0a00' + // timestamp 0x000a0b0c0d0e0f10
  '01000000' + // update count 1
  '11000000' + Buffer.from('RPC_RRDB_RRDB_PUT').toString('hex') + // i32 LE code length, code name
  '01000000' + // serialization type 1
  '03000000' + // data length 3
  'ff0001'; // data

const PREPARE_HEX = '00000005 00000002' + CONFIG_HEX + MUTATION_HEX; // gpid (thrift i64, BE), config, mutation

test('the RPC_PREPARE body from hand-written bytes, field by field', () => {
  const bytes = hex(PREPARE_HEX);
  const request = decodePrepareRequest(bytes);
  assert.deepEqual(request.pid, { appId: 2, partitionIndex: 5 });
  assert.equal(request.config.status, PartitionStatus.PS_SECONDARY);
  assert.equal(request.config.popAll, true);
  const { header, updates } = request.mutation;
  assert.deepEqual(header, {
    pid: { appId: 2, partitionIndex: 5 },
    ballot: 7,
    decree: 42,
    logOffset: 4096,
    lastCommittedDecree: 41,
    timestamp: 0x000a0b0c0d0e0f10,
  });
  assert.equal(updates.length, 1);
  assert.deepEqual(updates[0], { code: 'RPC_RRDB_RRDB_PUT', serializationType: 1, data: hex('ff0001') });
  assert.deepEqual(encodePrepareRequest(request), bytes);
  // The RPC table's args half is the same codec, at an offset inside a larger body.
  const framed = Buffer.concat([hex('deadbeef'), bytes]);
  assert.deepEqual(REPLICATION_RPCS.RPC_PREPARE.decodeArgs(framed, 4), request);
  assert.deepEqual(REPLICATION_RPCS.RPC_PREPARE.encodeArgs(request), bytes);
});

test('a prepare with several updates, an empty one and none at all round-trips', () => {
  const base = decodePrepareRequest(hex(PREPARE_HEX));
  const updates = [
    { code: 'RPC_RRDB_RRDB_MULTI_PUT', serializationType: 1, data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
    { code: 'RPC_RRDB_RRDB_REMOVE', serializationType: 1, data: Buffer.alloc(0) },
  ];
  for (const list of [updates, []]) {
    const request = { ...base, mutation: { header: { ...base.mutation.header, ballot: Number.MAX_SAFE_INTEGER, lastCommittedDecree: -1 }, updates: list } };
    assert.deepEqual(decodePrepareRequest(encodePrepareRequest(request)), request);
  }
  const mutation = decodeWireMutation(encodeWireMutation({ header: base.mutation.header, updates }), 0);
  assert.deepEqual(mutation.value.updates, updates);
});

test('a bad prepare body is refused with ERR_INVALID_DATA', () => {
  const invalid = { name: 'PegasusError', code: 'ERR_INVALID_DATA' };
  const good = hex(PREPARE_HEX);
  const mutationAt = good.length - hex(MUTATION_HEX).length;
  const patched = (at: number, bytes: string): Buffer => {
    const copy = Buffer.from(good);
    hex(bytes).copy(copy, mutationAt + at);
    return copy;
  };
  assert.throws(() => decodePrepareRequest(patched(0, '01')), invalid); // version 1
  assert.throws(() => decodePrepareRequest(patched(0, '0000000000000080')), invalid); // a legacy vptr header
  assert.throws(() => decodePrepareRequest(patched(16, 'ffffffffffffff7f')), invalid); // ballot beyond 2^53
  assert.throws(() => decodePrepareRequest(patched(56, 'ffffff7f')), invalid); // update count far beyond the body
  assert.throws(() => decodePrepareRequest(patched(56, 'ffffffff')), invalid); // negative count
  assert.throws(() => decodePrepareRequest(patched(60, '00000000')), invalid); // empty task code
  assert.throws(() => decodePrepareRequest(patched(64, '00')), invalid); // non-printable task code
  assert.throws(() => decodePrepareRequest(patched(85, 'ffffff7f')), invalid); // data length beyond the body
  assert.throws(() => decodePrepareRequest(Buffer.concat([good, hex('00')])), invalid); // trailing byte
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => decodePrepareRequest(good.subarray(0, cut)), invalid, `cut at ${cut}`);
  }
});
