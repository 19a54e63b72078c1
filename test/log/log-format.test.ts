/** The byte formats: mutation codec, blocks, file headers and names, and what garbage does to them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPegasusError } from '../../src/base/error-code.ts';
import {
  BLOCK_HEADER_BYTES,
  decodeFileHeader,
  encodeBlock,
  encodeFileHeader,
  findBlockAfter,
  logFileName,
  parseBlockAt,
  parseLogFileName,
} from '../../src/log/log-block.ts';
import {
  decodeMutation,
  encodedMutationBytes,
  encodeMutation,
  MUTATION_UPDATES_MAX,
  validateMutation,
} from '../../src/log/mutation.ts';
import { cloneMutation, makeMutation, randomBytes, randomInt, seededRandom } from './log-test-util.ts';

/** Decoding must either succeed or throw ERR_INVALID_DATA: never another error, never a crash. */
function decodeOrInvalid(bytes: Buffer): 'ok' | 'invalid' {
  try {
    decodeMutation(bytes, 0);
    return 'ok';
  } catch (e) {
    assert.ok(isPegasusError(e, 'ERR_INVALID_DATA'), `unexpected ${String(e)}`);
    return 'invalid';
  }
}

describe('mutation codec', () => {
  test('round trips headers at the edges of the safe integer range and binary payloads', () => {
    const random = seededRandom(61);
    for (let i = 0; i < 200; i++) {
      const m = makeMutation(randomInt(random, 1, 1000), random, { maxDataBytes: 2000 });
      m.header.ballot = [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER][i % 4]!;
      m.header.lastCommittedDecree = [-1, 0, 2 ** 31, 2 ** 53 - 1][i % 4]!;
      m.header.logOffset = randomInt(random, 0, 2 ** 40);
      validateMutation(m);
      const bytes = encodeMutation(m);
      assert.equal(bytes.length, encodedMutationBytes(m));
      const decoded = decodeMutation(bytes, 0);
      assert.equal(decoded.bytes, bytes.length);
      assert.deepEqual(decoded.mutation, cloneMutation(m));
    }
  });

  test('every truncation of an encoding is ERR_INVALID_DATA', () => {
    const bytes = encodeMutation(makeMutation(5, seededRandom(62), { updates: 3, dataBytes: 20 }));
    for (let cut = 0; cut < bytes.length; cut++) assert.equal(decodeOrInvalid(bytes.subarray(0, cut)), 'invalid');
  });

  test('random garbage and random bit flips never crash the decoder nor make it allocate wildly', () => {
    const random = seededRandom(63);
    for (let i = 0; i < 3000; i++) decodeOrInvalid(randomBytes(random, randomInt(random, 0, 300)));
    const good = encodeMutation(makeMutation(9, random, { updates: 4, dataBytes: 30 }));
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(good);
      const at = randomInt(random, 0, bytes.length - 1);
      bytes[at] = bytes[at]! ^ (1 << randomInt(random, 0, 7));
      decodeOrInvalid(bytes);
    }
    // A huge update count in a tiny buffer is refused before anything is allocated for it.
    const huge = Buffer.from(good.subarray(0, 56));
    huge.writeUInt32LE(MUTATION_UPDATES_MAX, 48);
    assert.equal(decodeOrInvalid(huge), 'invalid');
  });

  test('invalid mutations are refused with ERR_INVALID_PARAMETERS', () => {
    const random = seededRandom(64);
    const cases: Array<(m: ReturnType<typeof makeMutation>) => void> = [
      (m) => { m.header.decree = 0; },
      (m) => { m.header.ballot = 2 ** 53; },
      (m) => { m.header.timestampUs = 1.5; },
      (m) => { m.header.gpid.appId = 2 ** 31; },
      (m) => { m.updates.push({ code: '', serializationType: 0, data: Buffer.alloc(0) }); },
      (m) => { m.updates.push({ code: 'RPC_\u00e9', serializationType: 0, data: Buffer.alloc(0) }); },
    ];
    for (const breakIt of cases) {
      const m = makeMutation(3, random);
      breakIt(m);
      assert.throws(() => validateMutation(m), (e) => isPegasusError(e, 'ERR_INVALID_PARAMETERS'));
    }
  });
});

describe('blocks and file headers', () => {
  test('a block parses back; each way of breaking it is told apart', () => {
    const body = randomBytes(seededRandom(65), 100);
    const file = Buffer.concat([Buffer.alloc(40, 7), encodeBlock(body, 40)]);
    const ok = parseBlockAt(file, 40);
    assert.deepEqual(ok, { kind: 'ok', bodyStart: 40 + BLOCK_HEADER_BYTES, bodyEnd: file.length });
    assert.equal(parseBlockAt(file.subarray(0, file.length - 1), 40).kind, 'incomplete');
    assert.equal(parseBlockAt(file.subarray(0, 50), 40).kind, 'incomplete');
    const flipped = Buffer.from(file);
    flipped[file.length - 1] = flipped[file.length - 1]! ^ 1;
    assert.deepEqual(parseBlockAt(flipped, 40), { kind: 'bad', reason: 'block crc mismatch' });
    // The same block at another position is not a block there: its local offset says where it belongs.
    const moved = Buffer.concat([Buffer.alloc(8), file]);
    assert.equal(parseBlockAt(moved, 48).kind, 'bad');
    assert.equal(findBlockAfter(file, 0), 40);
    assert.equal(findBlockAfter(file, 40), undefined);
  });

  test('file headers round trip and garbage headers are reported, not thrown', () => {
    const header = {
      version: 1,
      startOffset: 123_456_789_012,
      entries: [{ gpid: { appId: 3, partitionIndex: 7 }, prevMaxDecree: 99, validStartOffset: 5 }],
    };
    assert.deepEqual(decodeFileHeader(encodeFileHeader(header)), header);
    const random = seededRandom(66);
    for (let i = 0; i < 2000; i++) {
      const result = decodeFileHeader(randomBytes(random, randomInt(random, 0, 80)));
      assert.ok(typeof result === 'string' || result.entries.length <= 2);
    }
  });

  test('only canonical log.<index>.<start_offset> names are log files', () => {
    assert.equal(logFileName(12, 3456), 'log.12.3456');
    assert.deepEqual(parseLogFileName('log.12.3456'), { index: 12, startOffset: 3456 });
    assert.deepEqual(parseLogFileName('log.1.0'), { index: 1, startOffset: 0 });
    for (const name of ['log.0.0', 'log.01.0', 'log.1.00', 'log.1', 'log.1.0.removed', 'log.a.0', 'LOG.1.0',
      'log.1.-5', 'log.99999999999.0', 'log.1.99999999999999999', 'xlog.1.0']) {
      assert.equal(parseLogFileName(name), undefined, name);
    }
  });
});
