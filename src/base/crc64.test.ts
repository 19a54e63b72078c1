import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64, crc64Mod } from './crc64.ts';
import { checkKeyHash, generateKey, keyHash, keyPartitionIndex } from './key-schema.ts';

// protocol.md §3.2: vectors computed with the official Node.js client's table and an independent
// bitwise implementation.
const vectors: Array<[string, string, string, bigint, number]> = [
  ['', '', '0000', 0x0000000000000000n, 0],
  ['1', '1', '00013131', 0x2395a1c3461bbed2n, 2],
  ['1', '11', '0001313131', 0x2395a1c3461bbed2n, 2],
  ['404', 'not-found', '00033430346e6f742d666f756e64', 0xb681e0de20c047a6n, 6],
  ['a', '', '000161', 0x8c2f8445b4cbfc3cn, 4],
  ['hello', 'world', '000568656c6c6f776f726c64', 0x3377857006524257n, 7],
  ['123456789', '', '0009313233343536373839', 0xae8b14860a799888n, 0],
  ['', 'sortonly', '0000736f72746f6e6c79', 0x00b81bb26ae1f86fn, 7],
];

test('crc64 check value of "123456789"', () => {
  assert.equal(crc64(Buffer.from('123456789')), 0xae8b14860a799888n);
});

test('crc64 of the empty input is 0', () => {
  assert.equal(crc64(Buffer.alloc(0)), 0n);
});

for (const [hashKey, sortKey, hex, hash, pidx8] of vectors) {
  test(`routing vector hash_key=${JSON.stringify(hashKey)} sort_key=${JSON.stringify(sortKey)}`, () => {
    const key = generateKey(Buffer.from(hashKey), Buffer.from(sortKey));
    assert.equal(key.toString('hex'), hex);
    assert.equal(keyHash(key), hash);
    assert.equal(keyPartitionIndex(key, 8), pidx8);
    assert.equal(checkKeyHash(key, pidx8, 7), true);
    assert.equal(checkKeyHash(key, (pidx8 + 1) % 8, 7), false);
    // Unsigned modulo for non-power-of-two counts, as the P, G and J clients compute it.
    assert.equal(keyPartitionIndex(key, 6), Number(hash % 6n));
  });
}

test('crc64Mod agrees with the bigint modulo for many inputs and counts', () => {
  let seed = 12345;
  for (let n = 0; n < 500; n++) {
    const bytes = Buffer.alloc(n % 40);
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    const hash = crc64(bytes);
    for (const count of [1, 2, 8, 64, 1024, 3, 6, 1000]) {
      assert.equal(crc64Mod(bytes, count), Number(hash % BigInt(count)));
    }
  }
});
