/**
 * The TCP server end to end on loopback: rrdb-shaped calls through TcpRpcChannel, pipelining with answers
 * out of order, oneway, unknown names, handler failures, HTTP on the same port, and hostile input that
 * must close only its own connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, createServer as createHttpServer } from 'node:http';
import { PegasusError, isPegasusError } from '../../src/base/error-code.ts';
import { AssertionFailure } from '../../src/base/assert.ts';
import { MessageType } from '../../src/idl/thrift/ttype.ts';
import { encodeRequestBody } from '../../src/rpc/frame/request-body.ts';
import { encodeRequestHeaderV1 } from '../../src/rpc/frame/request-header.ts';
import { parseResponse } from '../../src/rpc/frame/response.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/rpc-channel.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { CLEAR_SCANNER, GET, NEVER_REPLY, PUT, getCall, putCall, rawClient, requestFrame, startEchoServer, waitFor } from './harness.ts';

test('GET and PUT shaped calls reach their handlers with the header fields and decode their responses', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel();
  try {
    const got = await channel.call(echo.address, getCall('hello', 1500));
    assert.equal(got.errorName, 'ERR_OK');
    const read = GET.decodeResponse(got.result!, 0);
    assert.deepEqual(read, { error: 0, value: Buffer.from('v:hello'), appId: 3, partitionIndex: 5, server: echo.address });
    const request = echo.requests[0]!;
    assert.equal(request.name, 'RPC_RRDB_RRDB_GET');
    assert.deepEqual(request.header, {
      gpid: { appId: 3, partitionIndex: 5 },
      partitionHash: 0x1234_5678_9abc_def0n,
      clientTimeoutMs: 1500,
      isBackupRequest: false,
    });
    assert.equal(request.oneway, false);
    assert.match(request.remote, /^127\.0\.0\.1:\d+$/);

    const put = await channel.call(echo.address, putCall({ key: Buffer.from('k'), value: Buffer.from('v'), expireTsSeconds: 0 }));
    assert.equal(put.errorName, 'ERR_OK');
    assert.deepEqual(PUT.decodeResponse(put.result!, 0), { error: 0, decree: 1, appId: 3, partitionIndex: 1, server: echo.address });
    // Both calls shared one connection.
    assert.equal(echo.server.connectionStats().length, 1);
  } finally {
    await channel.close();
    await echo.server.close();
  }
});

test('a v1 request (Java client) is served too, with its backup-request flag', async () => {
  const echo = await startEchoServer();
  const raw = await rawClient(echo.address);
  try {
    const body = encodeRequestBody(GET.code, MessageType.CALL, 3, GET.encodeArgs(Buffer.from('j')));
    const header = encodeRequestHeaderV1({
      appId: 2, partitionIndex: 4, clientTimeoutMs: 900, partitionHash: 0xffff_ffff_ffff_fff0n, bodyLength: body.length, isBackupRequest: true,
    });
    raw.socket.write(Buffer.concat([header, body]));
    await waitFor(() => raw.frames.length === 1, 'the response');
    const parsed = parseResponse(raw.frames[0]!);
    assert.equal(parsed.seqid, 3);
    assert.equal(GET.decodeResponse(raw.frames[0]!, parsed.resultOffset!).value.toString(), 'v:j');
    assert.deepEqual(echo.requests[0]!.header, {
      gpid: { appId: 2, partitionIndex: 4 }, partitionHash: 0xffff_ffff_ffff_fff0n, clientTimeoutMs: 900, isBackupRequest: true,
    });
  } finally {
    raw.socket.destroy();
    await echo.server.close();
  }
});

test('many pipelined calls on one connection, answered out of order, are matched by seqid', async () => {
  const random = seededRandom(42);
  const echo = await startEchoServer({ getDelayMs: () => Math.floor(random() * 30) });
  const channel = new TcpRpcChannel();
  try {
    const count = 500;
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) => channel.call(echo.address, getCall(`key-${i}`))),
    );
    results.forEach((result, i) => {
      assert.equal(result.errorName, 'ERR_OK');
      assert.equal(GET.decodeResponse(result.result!, 0).value.toString(), `v:key-${i}`);
    });
    const stats = echo.server.connectionStats();
    assert.equal(stats.length, 1);
    assert.equal(stats[0]!.requestsReceived, count);
    // The answers really left in another order than the requests came.
    const arrival = echo.requests.map((r) => r.seqid);
    assert.notDeepEqual(echo.answerOrder, arrival);
    assert.deepEqual([...echo.answerOrder].sort((a, b) => a - b), [...arrival].sort((a, b) => a - b));
  } finally {
    await channel.close();
    await echo.server.close();
  }
});

test('a oneway request runs its handler and gets no response', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel();
  const raw = await rawClient(echo.address);
  try {
    const sent = await channel.call(echo.address, {
      name: CLEAR_SCANNER.code,
      gpid: { appId: 3, partitionIndex: 0 },
      partitionHash: 0n,
      args: CLEAR_SCANNER.encodeArgs(77),
      timeoutMs: 1000,
      oneway: true,
    });
    assert.deepEqual(sent, { errorName: 'ERR_OK' });
    await waitFor(() => echo.clearedScanners.length === 1, 'the oneway handler');
    assert.deepEqual(echo.clearedScanners, [77]);
    assert.equal(echo.requests[0]!.oneway, true);

    // On the wire: oneway (seqid 1) then GET (seqid 2); only the GET is answered.
    raw.socket.write(Buffer.concat([
      requestFrame(CLEAR_SCANNER.code, 1, CLEAR_SCANNER.encodeArgs(78), true),
      requestFrame(GET.code, 2, GET.encodeArgs(Buffer.from('x'))),
    ]));
    await waitFor(() => raw.frames.length === 1 && echo.clearedScanners.length === 2, 'the GET response');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(raw.frames.length, 1);
    assert.equal(parseResponse(raw.frames[0]!).seqid, 2);
  } finally {
    raw.socket.destroy();
    await channel.close();
    await echo.server.close();
  }
});

test('an unknown RPC name is answered ERR_HANDLER_NOT_FOUND under <name>_ACK; a fallback takes them when set', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel();
  const raw = await rawClient(echo.address);
  try {
    const result = await channel.call(echo.address, { ...getCall('k'), name: 'RPC_NO_SUCH_THING' });
    assert.deepEqual(result, { errorName: 'ERR_HANDLER_NOT_FOUND' });

    raw.socket.write(requestFrame('RPC_NO_SUCH_THING', 9, Buffer.from([0])));
    await waitFor(() => raw.frames.length === 1, 'the raw response');
    const parsed = parseResponse(raw.frames[0]!);
    assert.equal(parsed.errorName, 'ERR_HANDLER_NOT_FOUND');
    assert.equal(parsed.name, 'RPC_NO_SUCH_THING_ACK');
    assert.equal(parsed.seqid, 9);
    assert.equal(parsed.resultOffset, undefined);

    echo.server.setFallback((request, reply) => reply.error(request.name === 'RPC_NO_SUCH_THING' ? 'ERR_OBJECT_NOT_FOUND' : 'ERR_UNKNOWN'));
    const viaFallback = await channel.call(echo.address, { ...getCall('k'), name: 'RPC_NO_SUCH_THING' });
    assert.equal(viaFallback.errorName, 'ERR_OBJECT_NOT_FOUND');
  } finally {
    raw.socket.destroy();
    await channel.close();
    await echo.server.close();
  }
});

test('a handler that throws or rejects is answered with an error name and the server keeps serving', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel();
  let secondReply: unknown;
  echo.server.register('RPC_TEST_THROW', () => {
    throw new Error('handler bug');
  });
  echo.server.register('RPC_TEST_BUSY', () => {
    throw new PegasusError('ERR_BUSY', 'too much');
  });
  echo.server.register('RPC_TEST_REJECT', async () => {
    await Promise.resolve();
    throw new Error('async handler bug');
  });
  echo.server.register('RPC_TEST_TWICE', (_request, reply) => {
    reply.error('ERR_INVALID_STATE');
    try {
      reply.ok(Buffer.from([0]));
    } catch (e) {
      secondReply = e;
    }
  });
  try {
    const call = (name: string) => channel.call(echo.address, { ...getCall('k'), name });
    assert.equal((await call('RPC_TEST_THROW')).errorName, 'ERR_UNKNOWN');
    assert.equal((await call('RPC_TEST_BUSY')).errorName, 'ERR_BUSY');
    assert.equal((await call('RPC_TEST_REJECT')).errorName, 'ERR_UNKNOWN');
    assert.equal((await call('RPC_TEST_TWICE')).errorName, 'ERR_INVALID_STATE');
    assert.ok(secondReply instanceof AssertionFailure, 'a second answer is an assertion');
    assert.ok(echo.warnings.some((w) => w.msg === 'rpc handler failed'));
    assert.equal((await channel.call(echo.address, getCall('still'))).errorName, 'ERR_OK');
  } finally {
    await channel.close();
    await echo.server.close();
  }
});

function httpGet(address: string, path: string, chunks?: string[]): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), path, method: chunks === undefined ? 'GET' : 'POST' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks ?? []) req.write(chunk);
    req.end();
  });
}

test('HTTP on the same port reaches the http server, with the sniffed bytes put back', async () => {
  const http = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => res.end(req.url === '/version' ? 'pegasus-ts 0.1.0' : `${req.method} ${req.url} ${body.length}`));
  });
  const echo = await startEchoServer({ httpServer: http });
  const channel = new TcpRpcChannel();
  const raw = await rawClient(echo.address);
  try {
    assert.deepEqual(await httpGet(echo.address, '/version'), { status: 200, body: 'pegasus-ts 0.1.0' });
    assert.deepEqual(await httpGet(echo.address, '/upload', ['x'.repeat(100_000), 'y'.repeat(100_000)]), {
      status: 200,
      body: 'POST /upload 200000',
    });
    // The method split over two packets: sniffing waits for four bytes, then hands all of them over.
    let text = '';
    raw.socket.on('data', (d: Buffer) => (text += d.toString()));
    raw.socket.write('GE');
    await new Promise((resolve) => setTimeout(resolve, 20));
    raw.socket.write('T /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await raw.closed;
    assert.match(text, /^HTTP\/1\.1 200 OK[\s\S]*pegasus-ts 0\.1\.0$/);
    // RPC keeps working beside it.
    assert.equal((await channel.call(echo.address, getCall('k'))).errorName, 'ERR_OK');
  } finally {
    await channel.close();
    await echo.server.close();
    http.close();
  }
});

test('random bytes, a bad magic, a bad version and HTTP without an http server close only that connection', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel();
  const random = seededRandom(7);
  try {
    assert.equal((await channel.call(echo.address, getCall('before'))).errorName, 'ERR_OK');
    const inputs = [
      Buffer.from(Array.from({ length: 300 }, () => Math.floor(random() * 256)).map((b, i) => (i === 0 ? b & 0x3f : b))),
      Buffer.from('THFX0000'),
      Buffer.concat([Buffer.from('THFT'), Buffer.from('00000007', 'hex'), Buffer.alloc(40)]),
      Buffer.from('GET /version HTTP/1.1\r\n\r\n'),
    ];
    for (const input of inputs) {
      const raw = await rawClient(echo.address);
      const pending = channel.call(echo.address, getCall('during'));
      raw.socket.write(input);
      await raw.closed;
      assert.equal(raw.bytes(), 0, `nothing is answered to ${input.subarray(0, 8).toString('hex')}`);
      assert.equal((await pending).errorName, 'ERR_OK');
    }
    assert.equal((await channel.call(echo.address, getCall('after'))).errorName, 'ERR_OK');
    assert.equal(echo.server.connectionStats().length, 1, 'only the channel connection is left');
  } finally {
    await channel.close();
    await echo.server.close();
  }
});

test('a truncated frame followed by the client closing leaves no connection behind and answers nothing', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel();
  try {
    const frame = requestFrame(GET.code, 1, GET.encodeArgs(Buffer.from('cut')));
    const raw = await rawClient(echo.address);
    raw.socket.end(frame.subarray(0, frame.length - 3));
    await raw.closed;
    assert.equal(raw.bytes(), 0);
    await waitFor(() => echo.server.connectionStats().length === 0, 'the server to drop the connection');
    assert.equal(echo.requests.length, 0);

    // A whole header with an unreadable body: the message begin cannot be parsed, so the session is closed.
    const garbage = Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    const header = requestFrame(GET.code, 1, Buffer.alloc(0)).subarray(0, 48);
    header.writeUInt32BE(garbage.length, 16);
    const raw2 = await rawClient(echo.address);
    raw2.socket.write(Buffer.concat([header, garbage]));
    await raw2.closed;
    assert.equal(raw2.bytes(), 0);
    assert.equal((await channel.call(echo.address, getCall('fine'))).errorName, 'ERR_OK');
  } finally {
    await channel.close();
    await echo.server.close();
  }
});

test('close() stops listening and ends the connections; calls in flight fail with ERR_NETWORK_FAILURE', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel();
  const failed = assert.rejects(channel.call(echo.address, { ...getCall('slow', 5000), name: NEVER_REPLY }), (e) =>
    isPegasusError(e, 'ERR_NETWORK_FAILURE'),
  );
  await waitFor(() => echo.requests.length === 1, 'the request to arrive');
  const started = Date.now();
  await echo.server.close();
  await failed;
  assert.ok(Date.now() - started < 2000);
  await assert.rejects(channel.call(echo.address, getCall('refused', 1000)), (e) => isPegasusError(e, 'ERR_NETWORK_FAILURE'));
  await channel.close();
});
