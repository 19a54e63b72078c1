/**
 * What the API accepts for keys and values (style.md Part 2 (b)): a Buffer, any Uint8Array (copied into a
 * Buffer view without copying the bytes) or a string (UTF-8).
 */
import { HASH_KEY_LENGTH_LIMIT } from '../base/key-schema.ts';
import { invalidParameters } from './errors.ts';

export type Bytes = Buffer | Uint8Array | string;

const EMPTY = Buffer.alloc(0);

export function toBuffer(bytes: Bytes | undefined): Buffer {
  if (bytes === undefined) return EMPTY;
  if (typeof bytes === 'string') return Buffer.from(bytes, 'utf8');
  if (Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A hash key as every API takes it: under upstream's 64 KiB limit (the u16 length prefix). */
export function toHashKey(bytes: Bytes): Buffer {
  const hashKey = toBuffer(bytes);
  if (hashKey.length >= HASH_KEY_LENGTH_LIMIT) {
    throw invalidParameters(`hash key is ${hashKey.length} bytes; it must be shorter than ${HASH_KEY_LENGTH_LIMIT}`);
  }
  return hashKey;
}

/** Multi-key operations route by the hash key alone, so it must not be empty (as the Java client checks). */
export function toNonEmptyHashKey(bytes: Bytes, operation: string): Buffer {
  const hashKey = toHashKey(bytes);
  if (hashKey.length === 0) throw invalidParameters(`${operation}: the hash key must not be empty`);
  return hashKey;
}
