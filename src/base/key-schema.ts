/**
 * Pegasus's RocksDB key (pegasus-internals.md §4.1, protocol.md §3.1):
 * `u16 big-endian hash_key length | hash_key | sort_key`. Rows of one hash key are contiguous and sorted by
 * sort key, which is what makes hash-key ranges, sortkey_count and per-hash-key atomicity cheap.
 */
import { crc64, crc64Mod } from './crc64.ts';
import { PegasusError } from './error-code.ts';

/** Hash keys must be shorter than this: the length prefix is a u16 and upstream refuses 0xFFFF itself. */
export const HASH_KEY_LENGTH_LIMIT = 0xffff;

export function checkHashKeyLength(hashKey: Uint8Array): void {
  if (hashKey.length >= HASH_KEY_LENGTH_LIMIT) {
    throw new PegasusError(
      'ERR_INVALID_PARAMETERS',
      `hash_key is ${hashKey.length} bytes; it must be shorter than ${HASH_KEY_LENGTH_LIMIT}`,
    );
  }
}

export function generateKey(hashKey: Uint8Array, sortKey: Uint8Array): Buffer {
  checkHashKeyLength(hashKey);
  const key = Buffer.allocUnsafe(2 + hashKey.length + sortKey.length);
  key.writeUInt16BE(hashKey.length, 0);
  key.set(hashKey, 2);
  key.set(sortKey, 2 + hashKey.length);
  return key;
}

/** The key prefix shared by every row of `hashKey` (an empty sort key sorts first). */
export function hashKeyPrefix(hashKey: Uint8Array): Buffer {
  return generateKey(hashKey, Buffer.alloc(0));
}

/**
 * The smallest key greater than every key that starts with `prefix`, or undefined when there is none
 * (the prefix is all 0xff bytes). Used as an exclusive upper bound.
 */
export function prefixSuccessor(prefix: Uint8Array): Buffer | undefined {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! !== 0xff) {
      out[i]! += 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

export interface SplitKey {
  hashKey: Buffer;
  sortKey: Buffer;
}

/** Splits a stored key; a key whose length prefix overruns it is refused, never read past its end. */
export function restoreKey(key: Buffer): SplitKey {
  if (key.length < 2) throw new PegasusError('ERR_INVALID_DATA', `key of ${key.length} bytes has no length prefix`);
  const hashKeyLength = key.readUInt16BE(0);
  if (2 + hashKeyLength > key.length) {
    throw new PegasusError('ERR_INVALID_DATA', `key length prefix ${hashKeyLength} overruns its ${key.length} bytes`);
  }
  return { hashKey: key.subarray(2, 2 + hashKeyLength), sortKey: key.subarray(2 + hashKeyLength) };
}

/** Bounds of the hash key (or, when it is empty, the sort key) that upstream hashes for routing. */
function hashedRange(key: Buffer): [number, number] {
  if (key.length < 2) throw new PegasusError('ERR_INVALID_DATA', `key of ${key.length} bytes has no length prefix`);
  const hashKeyLength = key.readUInt16BE(0);
  if (2 + hashKeyLength > key.length) {
    throw new PegasusError('ERR_INVALID_DATA', `key length prefix ${hashKeyLength} overruns its ${key.length} bytes`);
  }
  return hashKeyLength > 0 ? [2, 2 + hashKeyLength] : [2, key.length];
}

/** `pegasus_key_hash`: crc64 of the hash key, or of the sort key when the hash key is empty. */
export function keyHash(key: Buffer): bigint {
  const [start, end] = hashedRange(key);
  return crc64(key, start, end);
}

/** The partition a stored key routes to, for a power-of-two partition count (upstream's assumption). */
export function keyPartitionIndex(key: Buffer, partitionCount: number): number {
  const [start, end] = hashedRange(key);
  return crc64Mod(key, partitionCount, start, end);
}

/** Multi-key operations route by crc64 of the hash key alone. */
export function hashKeyPartitionIndex(hashKey: Uint8Array, partitionCount: number): number {
  return crc64Mod(hashKey, partitionCount);
}

/**
 * `check_pegasus_key_hash`: does the key belong to partition `pidx` of a table whose partition version
 * (partition count - 1) is `partitionVersion`? Used to filter scans and, after a split, compaction.
 */
export function checkKeyHash(key: Buffer, partitionIndex: number, partitionVersion: number): boolean {
  if (partitionVersion < 0) return true;
  return keyPartitionIndex(key, partitionVersion + 1) === partitionIndex;
}

/** A composite key as clients send it: a length prefix that fits, and a hash key under the limit. */
export function isWellFormedKey(key: Buffer): boolean {
  if (key.length < 2) return false;
  const hashKeyLength = key.readUInt16BE(0);
  return hashKeyLength < HASH_KEY_LENGTH_LIMIT && 2 + hashKeyLength <= key.length;
}
