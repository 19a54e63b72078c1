/**
 * TcpRpcChannel's failure behaviour on loopback: timeouts (and the late response dropped), the bound on
 * pending calls, close(), a server restart, refused connections with backoff, and peers that send
 * malformed or mismatched responses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { isPegasusError } from '../../src/base/error-code.ts';
import { encodeErrorResponse } from '../../src/rpc/frame/response.ts';
import { ResponseFrameError } from '../../src/rpc/frame/response-splitter.ts';
import { RpcServer } from '../../src/rpc/tcp/rpc-server.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/rpc-channel.ts';
import { GET, NEVER_REPLY, getCall, startEchoServer, waitFor } from './harness.ts';

const isCode = (code: Parameters<typeof isPegasusError>[1]) => (e: unknown) => isPegasusError(e, code);

test('a call without a response fails with ERR_TIMEOUT and the connection stays usable', async () => {
  const echo = await startEchoServer({ getDelayMs: (r) => (GET.decodeArgs(r.args, 0).toString() === 'late' ? 150 : -1) });
  const channel = new TcpRpcChannel();
  try {
    const started = Date.now();
    await assert.rejects(channel.call(echo.address, { ...getCall('k', 80), name: NEVER_REPLY }), isCode('ERR_TIMEOUT'));
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs >= 75 && elapsedMs < 1000, `timed out after ${elapsedMs} ms`);
    assert.equal(channel.pendingCalls(echo.address), 0);

    // A response that comes after its call timed out is dropped, not given to another call.
    await assert.rejects(channel.call(echo.address, getCall('late', 50)), isCode('ERR_TIMEOUT'));
    const next = await channel.call(echo.address, getCall('next'));
    assert.equal(GET.decodeResponse(next.result!, 0).value.toString(), 'v:next');
    await waitFor(() => channel.lateResponsesDropped(echo.address) === 1, 'the late response');
    assert.equal(echo.server.connectionStats().length, 1, 'still the same single connection');
    assert.equal((await channel.call(echo.address, getCall('again'))).errorName, 'ERR_OK');
  } finally {
    await channel.close();
    await echo.server.close();
  }
});

test('more than pendingCallsMax pending calls fail with ERR_BUSY; close() fails the pending ones', async () => {
  const echo = await startEchoServer();
  const channel = new TcpRpcChannel({ limits: { pendingCallsMax: 4 } });
  try {
    const pending = Array.from({ length: 4 }, () =>
      assert.rejects(channel.call(echo.address, { ...getCall('k', 5000), name: NEVER_REPLY }), isCode('ERR_NETWORK_FAILURE')),
    );
    await assert.rejects(channel.call(echo.address, getCall('one too many')), isCode('ERR_BUSY'));
    assert.equal(channel.pendingCalls(echo.address), 4);
    // Oneway calls await nothing, so the bound does not stop them.
    const oneway = await channel.call(echo.address, { ...getCall('k'), name: NEVER_REPLY, oneway: true });
    assert.equal(oneway.errorName, 'ERR_OK');
    await waitFor(() => echo.requests.length === 5, 'the five requests');
    assert.equal(echo.requests[4]!.oneway, true);
    await channel.close();
    await Promise.all(pending);
    await assert.rejects(channel.call(echo.address, getCall('after close')), isCode('ERR_NETWORK_FAILURE'));
  } finally {
    await echo.server.close();
  }
});

test('oneway calls are bounded by the request bytes queued: ERR_BUSY past writeBytesQueuedMax', async () => {
  // A generous backoff keeps the connection waiting to connect, so every request stays queued.
  const probe = new RpcServer({ port: 0 });
  const address = await probe.listen();
  await probe.close();
  const channel = new TcpRpcChannel({ limits: { writeBytesQueuedMax: 10_000 }, reconnectBackoffMs: 2000 });
  try {
    await assert.rejects(channel.call(address, getCall('refused', 1000)), isCode('ERR_NETWORK_FAILURE'));
    const oneway = { ...getCall('k'.repeat(1000)), oneway: true };
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      try {
        await channel.call(address, oneway);
        accepted++;
      } catch (e) {
        assert.ok(isPegasusError(e, 'ERR_BUSY'), String(e));
        break;
      }
    }
    assert.ok(accepted >= 9 && accepted <= 11, `${accepted} oneway calls of ~1 KB fit under 10 000 bytes`);
  } finally {
    await channel.close();
  }
});

test('after a server restart on the same port the channel reconnects', async () => {
  const first = await startEchoServer();
  const channel = new TcpRpcChannel({ reconnectBackoffMs: 20 });
  const port = Number(first.address.split(':')[1]);
  try {
    assert.equal((await channel.call(first.address, getCall('a'))).errorName, 'ERR_OK');
    const inFlight = assert.rejects(channel.call(first.address, { ...getCall('x', 5000), name: NEVER_REPLY }), isCode('ERR_NETWORK_FAILURE'));
    await waitFor(() => first.requests.length === 2, 'the second request');
    await first.server.close();
    await inFlight;
    // Nobody listens now: refused.
    await assert.rejects(channel.call(first.address, getCall('b', 1000)), isCode('ERR_NETWORK_FAILURE'));

    const second = await startEchoServer({ port });
    try {
      assert.equal(second.address, first.address);
      const result = await channel.call(first.address, getCall('c'));
      assert.equal(GET.decodeResponse(result.result!, 0).value.toString(), 'v:c');
      assert.equal(second.server.connectionStats().length, 1);
    } finally {
      await channel.close();
      await second.server.close();
    }
  } finally {
    await channel.close();
  }
});

test('repeated refused connects back off, bounded by reconnectBackoffMaxMs', async () => {
  // A port nobody listens on: bind, note it, close.
  const probe = new RpcServer({ port: 0 });
  const address = await probe.listen();
  await probe.close();
  const channel = new TcpRpcChannel({ reconnectBackoffMs: 40, reconnectBackoffMaxMs: 80 });
  try {
    await assert.rejects(channel.call(address, getCall('1', 1000)), isCode('ERR_NETWORK_FAILURE'));
    const durationsMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      await assert.rejects(channel.call(address, getCall(String(i), 1000)), isCode('ERR_NETWORK_FAILURE'));
      durationsMs.push(Date.now() - started);
    }
    // 40, 80, 80 ms of backoff (minus a little scheduling slack), never more than the cap plus slack.
    assert.ok(durationsMs[0]! >= 30, `first retry after ${durationsMs[0]} ms`);
    assert.ok(durationsMs[1]! >= 65 && durationsMs[2]! >= 65, `later retries after ${durationsMs.join(', ')} ms`);
    assert.ok(durationsMs.every((ms) => ms < 500), `retries after ${durationsMs.join(', ')} ms`);
  } finally {
    await channel.close();
  }
});

/** A fake peer that answers every request with `answer(socket)`'s bytes. */
async function fakePeer(answer: (socket: Socket) => void): Promise<{ server: Server; address: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => answer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const info = server.address();
  assert.ok(info !== null && typeof info === 'object');
  return { server, address: `127.0.0.1:${info.port}` };
}

test('a malformed response stream fails the pending calls with ERR_NETWORK_FAILURE', async () => {
  const peer = await fakePeer((socket) => socket.write(Buffer.from('00000005ffff', 'hex')));
  const channel = new TcpRpcChannel();
  try {
    await assert.rejects(channel.call(peer.address, getCall('k')), (e) => {
      return isPegasusError(e, 'ERR_NETWORK_FAILURE') && e.cause instanceof ResponseFrameError && e.cause.reason === 'bad_length';
    });
  } finally {
    await channel.close();
    peer.server.close();
  }
});

test('a response under another RPC name fails that call with ERR_INVALID_DATA', async () => {
  const peer = await fakePeer((socket) => socket.write(encodeErrorResponse('ERR_OK', 'RPC_RRDB_RRDB_PUT', 1)));
  const channel = new TcpRpcChannel();
  try {
    await assert.rejects(channel.call(peer.address, getCall('k')), isCode('ERR_INVALID_DATA'));
  } finally {
    await channel.close();
    peer.server.close();
  }
});

test('bad addresses and timeouts are refused before anything is sent', async () => {
  const channel = new TcpRpcChannel();
  try {
    await assert.rejects(channel.call('localhost:80', getCall('k')), isCode('ERR_INVALID_PARAMETERS'));
    await assert.rejects(channel.call('127.0.0.1:99999', getCall('k')), isCode('ERR_INVALID_PARAMETERS'));
    await assert.rejects(channel.call('127.0.0.1:1', getCall('k', 0)), isCode('ERR_INVALID_PARAMETERS'));
  } finally {
    await channel.close();
  }
});
