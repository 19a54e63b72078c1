/**
 * The official Node.js client's meta queries decode with our args decoder, and the capture's query_cfg
 * responses decode with our response decoder. The responses come from a test mock, so they check decoding
 * only (field ids, types, the rDSN primitives), not what a meta server should answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import type { QueryCfgResponse } from '../../src/idl/meta.ts';
import { HostPortType, formatRpcAddress } from '../../src/idl/thrift/dsn.ts';
import { TType } from '../../src/idl/thrift/ttype.ts';
import { parseRequestBody } from '../../src/rpc/frame/request-body.ts';
import { RequestFrameSplitter } from '../../src/rpc/frame/request-splitter.ts';
import { parseResponse } from '../../src/rpc/frame/response.ts';
import { REQUEST_FRAMES, RESPONSE_FRAMES, bytesOf, type FixtureFrame } from './fixtures.ts';

const QUERY = META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX;
const isQuery = (frame: FixtureFrame): boolean => frame.rpc_name === QUERY.code;

interface DecodedResponse {
  fixture: FixtureFrame;
  frame: Buffer;
  resultOffset: number;
  response: QueryCfgResponse;
}

function decodeResponseFrame(fixture: FixtureFrame): DecodedResponse {
  const frame = bytesOf(fixture);
  const parsed = parseResponse(frame);
  assert.equal(parsed.errorName, fixture.rpc_error);
  assert.equal(parsed.name, `${QUERY.code}_ACK`);
  assert.equal(parsed.seqid, fixture.seqid);
  assert.notEqual(parsed.resultOffset, undefined);
  const resultOffset = parsed.resultOffset!;
  return { fixture, frame, resultOffset, response: QUERY.decodeResponse(frame, resultOffset) };
}

const responses = RESPONSE_FRAMES.filter(isQuery).map(decodeResponseFrame);

test('every captured meta query decodes with our args decoder: app_name only', () => {
  const queries = REQUEST_FRAMES.filter(isQuery);
  assert.equal(queries.length, 4);
  for (const fixture of queries) {
    const { frames, error } = new RequestFrameSplitter().feed(bytesOf(fixture));
    assert.equal(error, undefined);
    assert.equal(frames.length, 1);
    const { body } = frames[0]!;
    const parsed = parseRequestBody(body);
    assert.equal(parsed.name, QUERY.code);
    const args = QUERY.decodeArgs(body, parsed.argsOffset);
    // N omits partition_indices (field 2): absent reads as the empty list, which means every partition.
    assert.deepEqual(args.partitionIndices, []);
    assert.ok(['temp', '404', 'no_such_table'].includes(args.appName), args.appName);
    // Our encoder writes the required list, so ours is the capture with field 2 (0f 0002 08 00000000, an
    // empty i32 list) inserted before the two STOPs (query_cfg_request's, then the wrapper's).
    const ours = QUERY.encodeArgs(args).toString('hex');
    const captured = body.subarray(parsed.argsOffset).toString('hex');
    assert.equal(captured.slice(-4), '0000');
    assert.equal(ours, `${captured.slice(0, -4)}0f000208000000000000`);
  }
});

test('the capture holds the query_cfg responses we expect: OK, not found and a forward', () => {
  const errs = responses.map(({ response }) => response.err).sort();
  assert.deepEqual(errs, ['ERR_FORWARD_TO_OTHERS', 'ERR_OBJECT_NOT_FOUND', 'ERR_OBJECT_NOT_FOUND', 'ERR_OK', 'ERR_OK', 'ERR_OK']);
});

test('OK responses decode to a stateful 8-partition table with rpc_address primaries', () => {
  const ok = responses.filter(({ response }) => response.err === 'ERR_OK');
  assert.equal(ok.length, 3);
  for (const { response } of ok) {
    assert.equal(response.appId, 3);
    assert.equal(response.partitionCount, 8);
    assert.equal(response.isStateful, true);
    assert.equal(response.partitions.length, 8);
    response.partitions.forEach((partition, index) => {
      assert.deepEqual(partition.pid, { appId: 3, partitionIndex: index });
      assert.equal(partition.ballot, 1);
      assert.equal(partition.maxReplicaCount, 1);
      // The proxy rewrote the mock's replica port to its own, 34801 (fixtures README).
      assert.equal(formatRpcAddress(partition.primary), '127.0.0.1:34801');
      assert.deepEqual(partition.secondaries, []);
      assert.deepEqual(partition.lastDrops, []);
      assert.ok(partition.lastCommittedDecree >= 0);
      assert.equal(partition.partitionFlags, 0);
      assert.deepEqual(partition.hpPrimary, { host: 'localhost', port: 34801, type: HostPortType.HOST_TYPE_IPV4 });
      assert.equal(partition.hpSecondaries, undefined);
      assert.equal(partition.hpLastDrops, undefined);
    });
  }
  // The mock reports each partition's decree as it grows: one capture shows writes landed.
  const decrees = ok.map(({ response }) => response.partitions.reduce((sum, p) => sum + p.lastCommittedDecree, 0));
  assert.ok(decrees.some((sum) => sum > 0));
});

test('a table that does not exist decodes as ERR_OBJECT_NOT_FOUND with zero fields', () => {
  const notFound = responses.filter(({ response }) => response.err === 'ERR_OBJECT_NOT_FOUND');
  assert.equal(notFound.length, 2);
  for (const { response } of notFound) {
    assert.deepEqual(response, { err: 'ERR_OBJECT_NOT_FOUND', appId: 0, partitionCount: 0, isStateful: false, partitions: [] });
  }
});

test('the non-leader answer decodes with the leader address in partitions[0].primary', () => {
  const forwards = responses.filter(({ response }) => response.err === 'ERR_FORWARD_TO_OTHERS');
  assert.equal(forwards.length, 1);
  const { response } = forwards[0]!;
  assert.equal(response.isStateful, false);
  assert.equal(response.partitions.length, 1);
  const leader = response.partitions[0]!;
  assert.equal(formatRpcAddress(leader.primary), '127.0.0.1:34702');
  assert.equal(leader.hpPrimary, undefined); // this mock did not send the host_port twin
});

test('each response struct ends right before the result STOP, and re-encodes to the captured bytes', () => {
  for (const { fixture, frame, resultOffset, response } of responses) {
    const { end } = QUERY.responseCodec.decode(frame, resultOffset);
    assert.equal(frame[end], TType.STOP, fixture.client_call);
    assert.equal(end + 1, frame.length);
    // Same field order and required fields as the mock's generated writer: a check of our writer's form.
    assert.equal(QUERY.encodeResponse(response).toString('hex'), frame.subarray(resultOffset, end).toString('hex'));
  }
});
