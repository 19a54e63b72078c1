import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPegasusError } from './error-code.ts';
import { generateKey, hashKeyPrefix, prefixSuccessor, restoreKey } from './key-schema.ts';
import {
  PEGASUS_EPOCH_UNIX_SECONDS, epochNowSeconds, extractExpireTs, extractTimetag, extractUserData, generateTimetag,
  generateValue, isExpired, parseTimetag, withExpireTs,
} from './value-schema.ts';

test('key round trip keeps binary hash and sort keys apart', () => {
  const hashKey = Buffer.from([0, 1, 2, 0xff]);
  const sortKey = Buffer.from([0xff, 0, 7]);
  const key = generateKey(hashKey, sortKey);
  assert.deepEqual([...key.subarray(0, 2)], [0, 4]);
  const split = restoreKey(key);
  assert.deepEqual(split.hashKey, hashKey);
  assert.deepEqual(split.sortKey, sortKey);
});

test('hash keys of 65535 bytes or more are refused, 65534 is accepted', () => {
  assert.equal(generateKey(Buffer.alloc(65534, 1), Buffer.from('s')).length, 2 + 65534 + 1);
  for (const length of [65535, 70000]) {
    assert.throws(() => generateKey(Buffer.alloc(length), Buffer.alloc(0)), (e) => isPegasusError(e, 'ERR_INVALID_PARAMETERS'));
  }
});

test('a key whose length prefix overruns it is refused', () => {
  assert.throws(() => restoreKey(Buffer.from([0, 5, 1])), (e) => isPegasusError(e, 'ERR_INVALID_DATA'));
  assert.throws(() => restoreKey(Buffer.from([0])), (e) => isPegasusError(e, 'ERR_INVALID_DATA'));
});

test('rows of one hash key sort together and by sort key', () => {
  const keys = [
    generateKey(Buffer.from('b'), Buffer.from('')),
    generateKey(Buffer.from('a'), Buffer.from('z')),
    generateKey(Buffer.from('a'), Buffer.from('')),
    generateKey(Buffer.from('aa'), Buffer.from('a')),
    generateKey(Buffer.from('a'), Buffer.from('b')),
  ].sort(Buffer.compare);
  assert.deepEqual(keys.map((k) => restoreKey(k).hashKey.toString() + '/' + restoreKey(k).sortKey.toString()), ['a/', 'a/b', 'a/z', 'b/', 'aa/a']);
  const prefix = hashKeyPrefix(Buffer.from('a'));
  const upper = prefixSuccessor(prefix)!;
  assert.ok(keys.filter((k) => Buffer.compare(k, prefix) >= 0 && Buffer.compare(k, upper) < 0).length === 3);
});

test('prefixSuccessor carries over 0xff and has none for all-0xff', () => {
  assert.deepEqual([...prefixSuccessor(Buffer.from([1, 0xff]))!], [2]);
  assert.equal(prefixSuccessor(Buffer.from([0xff, 0xff])), undefined);
});

test('value schema v0 and v1 byte layouts', () => {
  const v0 = generateValue(0, Buffer.from('hi'), 0x01020304);
  assert.equal(v0.toString('hex'), '01020304' + '6869');
  const timetag = generateTimetag(1_700_000_000_000_000, 5, true);
  const v1 = generateValue(1, Buffer.from('hi'), 7, timetag);
  assert.equal(v1.length, 4 + 8 + 2);
  assert.equal(extractExpireTs(1, v1), 7);
  assert.equal(extractTimetag(1, v1), timetag);
  assert.equal(extractUserData(1, v1).toString(), 'hi');
  assert.deepEqual(parseTimetag(timetag), { timestampUs: 1_700_000_000_000_000, clusterId: 5, deleted: true });
  assert.equal(timetag & 0xffn, (5n << 1n) | 1n);
  assert.equal(extractExpireTs(1, withExpireTs(v1, 99)), 99);
  assert.throws(() => extractUserData(1, Buffer.alloc(11)), (e) => isPegasusError(e, 'ERR_INVALID_DATA'));
  assert.throws(() => generateTimetag(1, 128, false), (e) => isPegasusError(e, 'ERR_INVALID_PARAMETERS'));
});

test('expiry is relative to the Pegasus epoch and inclusive of now', () => {
  assert.equal(PEGASUS_EPOCH_UNIX_SECONDS, Date.UTC(2016, 0, 1) / 1000);
  assert.equal(epochNowSeconds(Date.UTC(2016, 0, 1, 0, 0, 10)), 10);
  assert.equal(isExpired(0, 1e9), false);
  assert.equal(isExpired(10, 9), false);
  assert.equal(isExpired(10, 10), true);
});
