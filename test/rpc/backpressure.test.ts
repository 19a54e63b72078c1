/**
 * The server's per-connection bounds (style.md practice 9): a client that sends many requests and never
 * reads must not make the server queue responses without bound. The server must stop reading from that
 * socket, keep its queued bytes near `writeBytesQueuedMax`, and finish the work once the client reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseResponse } from '../../src/rpc/frame/response.ts';
import { GET, NEVER_REPLY, rawClient, requestFrame, startEchoServer, waitFor } from './harness.ts';

const VALUE_BYTES = 8 * 1024;
const WRITE_BYTES_QUEUED_MAX = 64 * 1024;

test('a client that never reads makes the server pause reading, with queued bytes held under the bound', async () => {
  const echo = await startEchoServer({
    getValueBytes: VALUE_BYTES,
    limits: { writeBytesQueuedMax: WRITE_BYTES_QUEUED_MAX, inFlightRequestsMax: 64 },
  });
  const raw = await rawClient(echo.address);
  try {
    raw.socket.pause(); // never read until told
    // 40 MiB of responses: far more than the kernel's socket buffers on loopback can hold.
    const requestCount = 5000;
    const frames = Array.from({ length: requestCount }, (_, i) => requestFrame(GET.code, i + 1, GET.encodeArgs(Buffer.from(`k${i}`))));
    raw.socket.write(Buffer.concat(frames));

    // Wait until the server has stalled: paused, and no more responses produced for a while.
    await waitFor(() => echo.server.connectionStats()[0]?.readPaused === true, 'the server to pause reading');
    let before = -1;
    for (let round = 0; round < 100; round++) {
      const now = echo.server.connectionStats()[0]!.responsesQueued;
      if (now === before) break;
      before = now;
      await sleep(30);
    }
    const stalled = echo.server.connectionStats()[0]!;
    assert.equal(stalled.readPaused, true);
    assert.ok(stalled.readPauseCount >= 1);
    assert.ok(stalled.responsesQueued < requestCount, `the server answered all ${requestCount} requests into a non-reading socket`);
    // Dispatch stops at the bound; a handler answering synchronously can add one response past it.
    const responseBytesMax = VALUE_BYTES + 200;
    assert.ok(
      stalled.writeBytesQueuedPeak <= WRITE_BYTES_QUEUED_MAX + responseBytesMax,
      `queued up to ${stalled.writeBytesQueuedPeak} bytes, bound ${WRITE_BYTES_QUEUED_MAX}`,
    );

    // Once the client reads, everything is answered, in order of seqid here (the handler answers at once).
    raw.socket.resume();
    await waitFor(() => raw.frames.length === requestCount, `all ${requestCount} responses`, 5000);
    raw.frames.forEach((frame, i) => assert.equal(parseResponse(frame).seqid, i + 1));
    const done = echo.server.connectionStats()[0]!;
    assert.equal(done.readPaused, false);
    assert.ok(done.writeBytesQueuedPeak <= WRITE_BYTES_QUEUED_MAX + responseBytesMax);
  } finally {
    raw.socket.destroy();
    await echo.server.close();
  }
});

test('requests in flight are bounded per connection: reading pauses at inFlightRequestsMax', async () => {
  const echo = await startEchoServer({ limits: { inFlightRequestsMax: 8 } });
  const raw = await rawClient(echo.address);
  try {
    const frames = Array.from({ length: 100 }, (_, i) => requestFrame(NEVER_REPLY, i + 1, Buffer.from([0])));
    raw.socket.write(Buffer.concat(frames));
    await waitFor(() => echo.requests.length === 8, 'eight dispatched requests');
    await sleep(50);
    const stats = echo.server.connectionStats()[0]!;
    assert.equal(echo.requests.length, 8, 'no request beyond the bound was dispatched');
    assert.equal(stats.inFlightRequests, 8);
    assert.equal(stats.readPaused, true);
  } finally {
    raw.socket.destroy();
    await echo.server.close();
  }
});
