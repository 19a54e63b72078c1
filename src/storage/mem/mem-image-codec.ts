/**
 * A MemStore checkpoint (one DurableImage) as the bytes of one file, `image`, so learning copies it between
 * simulated nodes through the same chunked RPC as a RocksDB checkpoint's files. Equal images give equal
 * bytes (a seed must replay the same trace): meta entries sorted by key, data in key order, no timestamps.
 *
 *   "PGMEMIMG" u32 version=1
 *   u32 metaCount  { u32 keyBytes key u32 valueBytes value }*   (UTF-8, sorted by key)
 *   u32 dataCount  { u32 keyBytes key u32 valueBytes value }*   (raw, in key order)
 *   u32 crc32 of everything before it
 *
 * Integers little-endian, as the plog's blocks.
 */
import { crc32 } from 'node:zlib';
import { PegasusError } from '../../base/error-code.ts';
import { BTree } from './btree.ts';
import type { DurableImage } from './mem-disk.ts';

const MAGIC = Buffer.from('PGMEMIMG', 'latin1');
const VERSION = 1;
/** Counts and lengths are u32 on the wire. */
const U32_MAX = 0xffffffff;

/** Images are immutable once on the MemDisk, so serving a checkpoint chunk by chunk encodes it once. */
const encodedByImage = new WeakMap<DurableImage, Buffer>();

function corrupt(what: string): PegasusError {
  return new PegasusError('ERR_CORRUPTION', `MemStore image: ${what}`);
}

export function encodeDurableImage(image: DurableImage): Buffer {
  const cached = encodedByImage.get(image);
  if (cached !== undefined) return cached;
  const meta = [...image.meta.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]): [Buffer, Buffer] => [Buffer.from(key, 'utf8'), Buffer.from(value, 'utf8')]);
  const data: Array<[Buffer, Buffer]> = [];
  image.data.forEachPair((key, value) => {
    data.push([key, value]);
  });
  if (meta.length > U32_MAX || data.length > U32_MAX) throw new PegasusError('ERR_INVALID_PARAMETERS', 'MemStore image too large to encode');
  let totalBytes = MAGIC.length + 4 + 4 + 4 + 4;
  for (const [key, value] of [...meta, ...data]) totalBytes += 8 + key.length + value.length;
  const out = Buffer.alloc(totalBytes);
  let offset = MAGIC.copy(out, 0);
  offset = out.writeUInt32LE(VERSION, offset);
  for (const entries of [meta, data]) {
    offset = out.writeUInt32LE(entries.length, offset);
    for (const [key, value] of entries) {
      offset = out.writeUInt32LE(key.length, offset);
      offset += key.copy(out, offset);
      offset = out.writeUInt32LE(value.length, offset);
      offset += value.copy(out, offset);
    }
  }
  out.writeUInt32LE(crc32(out.subarray(0, offset)), offset);
  encodedByImage.set(image, out);
  return out;
}

/** Decodes (and checks) an image; `createdMs` dates the copy, as a RocksDB checkpoint's files are new files. */
export function decodeDurableImage(bytes: Buffer, createdMs: number): DurableImage {
  if (bytes.length < MAGIC.length + 16) throw corrupt(`${bytes.length} bytes is too short`);
  const bodyEnd = bytes.length - 4;
  if (crc32(bytes.subarray(0, bodyEnd)) !== bytes.readUInt32LE(bodyEnd)) throw corrupt('checksum mismatch');
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('bad magic');
  let offset = MAGIC.length;
  const version = bytes.readUInt32LE(offset);
  offset += 4;
  if (version !== VERSION) throw corrupt(`unknown version ${version}`);

  const readEntries = (): Array<[Buffer, Buffer]> => {
    if (offset + 4 > bodyEnd) throw corrupt('truncated count');
    const count = bytes.readUInt32LE(offset);
    offset += 4;
    const entries: Array<[Buffer, Buffer]> = [];
    for (let i = 0; i < count; i++) {
      const key = readField();
      entries.push([key, readField()]);
    }
    return entries;
  };
  const readField = (): Buffer => {
    if (offset + 4 > bodyEnd) throw corrupt('truncated length');
    const length = bytes.readUInt32LE(offset);
    offset += 4;
    if (offset + length > bodyEnd) throw corrupt('truncated field');
    // A copy: the image must not pin (or alias) the staging buffer it was decoded from.
    const field = Buffer.from(bytes.subarray(offset, offset + length));
    offset += length;
    return field;
  };

  const meta = new Map<string, string>();
  for (const [key, value] of readEntries()) meta.set(key.toString('utf8'), value.toString('utf8'));
  const data = new BTree<Buffer, Buffer>(undefined, Buffer.compare);
  let previous: Buffer | undefined;
  for (const [key, value] of readEntries()) {
    if (previous !== undefined && Buffer.compare(previous, key) >= 0) throw corrupt('keys out of order');
    data.set(key, value);
    previous = key;
  }
  if (offset !== bodyEnd) throw corrupt(`${bodyEnd - offset} bytes after the data`);
  return { data, meta, createdMs };
}
