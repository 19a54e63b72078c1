/** The transport contract's pure parts: addresses, the answer-once reply, and dispatch semantics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionFailure } from '../../src/base/assert.ts';
import type { ErrorCode } from '../../src/base/error-code.ts';
import { PegasusError, isPegasusError } from '../../src/base/error-code.ts';
import type { RpcLogger, RpcRequest } from '../../src/rpc/transport.ts';
import {
  RpcHandlerTable,
  createReply,
  dispatchRpc,
  formatRpcAddress,
  isRpcAddress,
  parseRpcAddress,
} from '../../src/rpc/transport.ts';

test('addresses are dotted IPv4 host:port, and anything else is ERR_INVALID_PARAMETERS', () => {
  assert.equal(formatRpcAddress('127.0.0.1', 34801), '127.0.0.1:34801');
  assert.deepEqual(parseRpcAddress('10.0.255.3:0'), { host: '10.0.255.3', port: 0 });
  for (const bad of ['localhost:80', '127.0.0.1', '127.0.0.1:', '127.0.0.1:65536', '256.0.0.1:1', '01.2.3.4:5', '1.2.3:4', '::1:80', '1.2.3.4:-1']) {
    assert.equal(isRpcAddress(bad), false, bad);
    assert.throws(() => parseRpcAddress(bad), (e) => isPegasusError(e, 'ERR_INVALID_PARAMETERS'));
  }
  assert.throws(() => formatRpcAddress('example.com', 1), (e) => isPegasusError(e, 'ERR_INVALID_PARAMETERS'));
  assert.throws(() => formatRpcAddress('1.2.3.4', 70000), (e) => isPegasusError(e, 'ERR_INVALID_PARAMETERS'));
});

function request(name: string, oneway = false): RpcRequest {
  return {
    name,
    seqid: 5,
    header: { gpid: { appId: 1, partitionIndex: 2 }, partitionHash: 0n, clientTimeoutMs: 0, isBackupRequest: false },
    args: Buffer.alloc(0),
    oneway,
    remote: '127.0.0.1:1',
  };
}

function recorder(): { sent: Array<[ErrorCode, Buffer | undefined]>; sink: (e: ErrorCode, r: Buffer | undefined) => void } {
  const sent: Array<[ErrorCode, Buffer | undefined]> = [];
  return { sent, sink: (e, r) => sent.push([e, r]) };
}

test('a reply answers once: a second answer is an assertion; oneway replies send nothing', () => {
  const { sent, sink } = recorder();
  const reply = createReply(request('R'), sink);
  assert.equal(reply.answered, false);
  reply.ok(Buffer.from([1]));
  assert.equal(reply.answered, true);
  assert.throws(() => reply.error('ERR_BUSY'), AssertionFailure);
  assert.deepEqual(sent, [['ERR_OK', Buffer.from([1])]]);
  assert.throws(() => createReply(request('R'), sink).error('ERR_OK'), AssertionFailure);

  const oneway = recorder();
  const onewayReply = createReply(request('R', true), oneway.sink);
  onewayReply.ok(Buffer.alloc(0));
  assert.equal(onewayReply.answered, true);
  assert.throws(() => onewayReply.ok(Buffer.alloc(0)), AssertionFailure);
  assert.deepEqual(oneway.sent, []);
});

test('dispatch: registered handlers by name, fallback, ERR_HANDLER_NOT_FOUND, failures answered', async () => {
  const warnings: string[] = [];
  const logger: RpcLogger = { warn: (_obj, msg) => warnings.push(msg) };
  const table = new RpcHandlerTable();
  table.register('A', (_req, reply) => reply.ok(Buffer.from('a')));
  table.register('THROWS', () => {
    throw new PegasusError('ERR_INVALID_STATE', 'not primary');
  });
  table.register('ANSWERS_THEN_THROWS', (_req, reply) => {
    reply.ok(Buffer.from('x'));
    throw new Error('bug after the answer');
  });
  table.register('REJECTS', () => Promise.reject(new Error('async bug')));
  assert.throws(() => table.register('A', () => {}), AssertionFailure);

  const run = (name: string) => {
    const { sent, sink } = recorder();
    dispatchRpc(table, request(name), createReply(request(name), sink), logger);
    return sent;
  };
  assert.deepEqual(run('A'), [['ERR_OK', Buffer.from('a')]]);
  assert.deepEqual(run('NOPE'), [['ERR_HANDLER_NOT_FOUND', undefined]]);
  assert.deepEqual(run('THROWS'), [['ERR_INVALID_STATE', undefined]]);
  assert.deepEqual(run('ANSWERS_THEN_THROWS'), [['ERR_OK', Buffer.from('x')]]);
  const rejected = run('REJECTS');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(rejected, [['ERR_UNKNOWN', undefined]]);
  assert.equal(warnings.filter((w) => w === 'rpc handler failed').length, 3);

  table.setFallback((req, reply) => reply.error(req.name === 'NOPE' ? 'ERR_OBJECT_NOT_FOUND' : 'ERR_UNKNOWN'));
  assert.deepEqual(run('NOPE'), [['ERR_OBJECT_NOT_FOUND', undefined]]);
  table.setFallback(undefined);
  assert.deepEqual(run('NOPE'), [['ERR_HANDLER_NOT_FOUND', undefined]]);
});

test('a failed assertion in a handler is not answered away: it propagates and stops the process', () => {
  const table = new RpcHandlerTable();
  table.register('BROKEN', () => {
    throw new AssertionFailure('impossible state');
  });
  const { sink } = recorder();
  assert.throws(() => dispatchRpc(table, request('BROKEN'), createReply(request('BROKEN'), sink)), AssertionFailure);
});
