/** The client-side response splitter: frames across any chunking, and its bounds and typed errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeErrorResponse, encodeResponse, parseResponse } from '../../src/rpc/frame/response.ts';
import {
  RESPONSE_FRAME_BYTES_MIN,
  ResponseFrameError,
  ResponseFrameSplitter,
} from '../../src/rpc/frame/response-splitter.ts';
import { seededRandom } from '../support/seeded-random.ts';

function sampleStream(): { stream: Buffer; frames: Buffer[] } {
  const frames = [
    encodeErrorResponse('ERR_OBJECT_NOT_FOUND', 'RPC_RRDB_RRDB_GET', 7),
    encodeResponse({ errorName: 'ERR_OK', name: 'RPC_RRDB_RRDB_PUT', seqid: 8, body: Buffer.from([8, 0, 1, 0, 0, 0, 0, 0]) }),
    encodeErrorResponse('ERR_HANDLER_NOT_FOUND', 'X', 9),
  ];
  return { stream: Buffer.concat(frames), frames };
}

test('the smallest possible response is RESPONSE_FRAME_BYTES_MIN bytes', () => {
  assert.equal(encodeErrorResponse('' as 'ERR_OK', '', 0).length - '_ACK'.length, RESPONSE_FRAME_BYTES_MIN);
});

test('frames come out whole whatever the chunking: one chunk, every split point, random chunks', () => {
  const { stream, frames } = sampleStream();
  const whole = new ResponseFrameSplitter().feed(stream);
  assert.deepEqual(whole.frames, frames);
  assert.equal(whole.error, undefined);

  for (let cut = 0; cut <= stream.length; cut++) {
    const splitter = new ResponseFrameSplitter();
    const out = [...splitter.feed(stream.subarray(0, cut)).frames, ...splitter.feed(stream.subarray(cut)).frames];
    assert.deepEqual(out, frames, `cut at ${cut}`);
    assert.equal(splitter.bufferedBytes, 0);
  }

  const random = seededRandom(3);
  for (let round = 0; round < 50; round++) {
    const splitter = new ResponseFrameSplitter();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * 7);
      out.push(...splitter.feed(stream.subarray(at, at + size)).frames);
      at += size;
    }
    assert.deepEqual(out, frames);
    assert.deepEqual(out.map((f) => parseResponse(f).seqid), [7, 8, 9]);
  }
});

test('a length below the minimum, a negative one or one above the bound is a typed error that sticks', () => {
  const cases: Array<[Buffer, string]> = [
    [Buffer.from('00000013', 'hex'), 'bad_length'],
    [Buffer.from('ffffffff', 'hex'), 'bad_length'],
    [Buffer.from('00100001', 'hex'), 'frame_too_large'],
  ];
  for (const [prefix, reason] of cases) {
    const splitter = new ResponseFrameSplitter({ frameBytesMax: 1024 * 1024 });
    const { stream, frames } = sampleStream();
    const result = splitter.feed(Buffer.concat([stream, prefix]));
    assert.deepEqual(result.frames, frames, 'frames before the violation are still delivered');
    assert.ok(result.error instanceof ResponseFrameError);
    assert.equal(result.error.reason, reason);
    assert.equal(result.error.code, 'ERR_INVALID_DATA');
    assert.equal(splitter.bufferedBytes, 0, 'nothing is held after a violation');
    const after = splitter.feed(stream);
    assert.deepEqual(after.frames, []);
    assert.equal(after.error, result.error);
  }
});

test('a frame at exactly the bound passes; one byte more is refused before it is buffered', () => {
  const frame = encodeResponse({ errorName: 'ERR_OK', name: 'R', seqid: 1, body: Buffer.alloc(100, 0) });
  assert.deepEqual(new ResponseFrameSplitter({ frameBytesMax: frame.length }).feed(frame).frames, [frame]);
  const small = new ResponseFrameSplitter({ frameBytesMax: frame.length - 1 });
  const result = small.feed(frame.subarray(0, 4));
  assert.equal(result.error?.reason, 'frame_too_large');
});
