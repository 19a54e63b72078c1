/**
 * The on-disk format of a plog file (layout of incubator-pegasus: src/replica/log_block.h, log_file.cpp):
 *
 *   file  = block*                     named log.<index>.<start_offset>
 *   block = header(16) body            header = {magic 0xdeadbeef, body length, body crc32, local offset}
 *   first block's body = file header   {magic, version 1, start global offset, count,
 *                                        count × (gpid, max decree before this file, valid start offset)}
 *   other blocks' bodies = concatenated encoded mutations (mutation.ts)
 *
 * All integers little-endian. Unlike upstream, whose body crc is chained from the previous block, each
 * block's crc covers its own body only, so any block can be checked on its own. The local offset is
 * checked against the block's real position, which catches a block copied or shifted in place.
 */
import { crc32 } from 'node:zlib';
import { assert } from '../base/assert.ts';
import { readSafeInt64LE, writeSafeInt64LE, type Gpid } from './mutation.ts';

export const BLOCK_MAGIC = 0xdeadbeef;
export const BLOCK_HEADER_BYTES = 16;
export const FILE_HEADER_VERSION = 1;
/** Upstream's DEFAULT_MAX_BLOCK_BYTES: blocks are cut at ~1 MiB; one larger mutation gets a block alone. */
export const BLOCK_BODY_BYTES_MAX = 1024 * 1024;
/** Local offsets are u32; a file is refused well before that. */
export const LOG_FILE_BYTES_MAX = 1024 * 1024 * 1024;
/** A private log's header has one entry; the bound only stops a corrupt count from looping for long. */
const FILE_HEADER_ENTRIES_MAX = 1024;
const FILE_HEADER_FIXED_BYTES = 20; // magic + version + start offset + count
const FILE_HEADER_ENTRY_BYTES = 24; // gpid (2 × i32) + max decree + valid start offset

export interface FileHeaderEntry {
  gpid: Gpid;
  /** The max decree written to the log before this file: lets GC and replay skip a file unread. */
  prevMaxDecree: number;
  validStartOffset: number;
}

export interface FileHeader {
  version: number;
  startOffset: number;
  entries: FileHeaderEntry[];
}

export type BlockParse =
  | { kind: 'ok'; bodyStart: number; bodyEnd: number }
  | { kind: 'incomplete'; reason: string }
  | { kind: 'bad'; reason: string };

// ---- file names -------------------------------------------------------------------------------------

const LOG_FILE_NAME = /^log\.([1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,15})$/;

export function logFileName(index: number, startOffset: number): string {
  return `log.${index}.${startOffset}`;
}

/** Parses a canonical `log.<index>.<start_offset>` name; anything else is not a log file. */
export function parseLogFileName(name: string): { index: number; startOffset: number } | undefined {
  const m = LOG_FILE_NAME.exec(name);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  const index = Number(m[1]);
  const startOffset = Number(m[2]);
  if (index > 0x7fff_ffff || !Number.isSafeInteger(startOffset)) return undefined;
  return { index, startOffset };
}

// ---- blocks -----------------------------------------------------------------------------------------

/** Frames `body` as one block at `localOffset` of its file. */
export function encodeBlock(body: Buffer, localOffset: number): Buffer {
  assert(localOffset + BLOCK_HEADER_BYTES + body.length <= LOG_FILE_BYTES_MAX, `block at ${localOffset} too far`);
  const out = Buffer.allocUnsafe(BLOCK_HEADER_BYTES + body.length);
  out.writeUInt32LE(BLOCK_MAGIC, 0);
  out.writeUInt32LE(body.length, 4);
  out.writeUInt32LE(crc32(body), 8);
  out.writeUInt32LE(localOffset, 12);
  body.copy(out, BLOCK_HEADER_BYTES);
  return out;
}

/**
 * Checks the block that should start at `pos` of `file` (the file's bytes from offset 0). 'incomplete'
 * means the bytes end inside the block; 'bad' means the bytes are there but are not this block.
 */
export function parseBlockAt(file: Buffer, pos: number): BlockParse {
  if (file.length - pos < BLOCK_HEADER_BYTES) {
    return { kind: 'incomplete', reason: `${file.length - pos} bytes left, short of a block header` };
  }
  const magic = file.readUInt32LE(pos);
  if (magic !== BLOCK_MAGIC) return { kind: 'bad', reason: `block magic 0x${magic.toString(16)}` };
  const bodyBytes = file.readUInt32LE(pos + 4);
  const localOffset = file.readUInt32LE(pos + 12);
  if (localOffset !== pos) return { kind: 'bad', reason: `block says local offset ${localOffset}` };
  const bodyStart = pos + BLOCK_HEADER_BYTES;
  if (bodyBytes > LOG_FILE_BYTES_MAX - bodyStart) return { kind: 'bad', reason: `block length ${bodyBytes}` };
  if (bodyStart + bodyBytes > file.length) {
    return { kind: 'incomplete', reason: `block body of ${bodyBytes} bytes ends past the file` };
  }
  const bodyEnd = bodyStart + bodyBytes;
  if (crc32(file.subarray(bodyStart, bodyEnd)) !== file.readUInt32LE(pos + 8)) {
    return { kind: 'bad', reason: 'block crc mismatch' };
  }
  return { kind: 'ok', bodyStart, bodyEnd };
}

/**
 * Whether any intact block starts after `pos`: tells a torn tail (nothing valid follows the first bad
 * byte) from corruption in the middle (valid data follows). A block is recognised by its magic, its
 * local offset equal to its position and a matching crc, so stray magic bytes inside data do not count.
 */
export function findBlockAfter(file: Buffer, pos: number): number | undefined {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(BLOCK_MAGIC, 0);
  for (let at = file.indexOf(magic, pos + 1); at >= 0; at = file.indexOf(magic, at + 1)) {
    if (parseBlockAt(file, at).kind === 'ok') return at;
  }
  return undefined;
}

/**
 * The pair assertion before persistence: `bytes` about to be written at `localOffset` must be whole,
 * intact blocks. A failure here is a bug in this module, never a disk problem.
 */
export function assertValidBlocks(bytes: Buffer, localOffset: number): void {
  let pos = 0;
  while (pos < bytes.length) {
    assert(bytes.length - pos >= BLOCK_HEADER_BYTES, `write of ${bytes.length} bytes ends in a block header`);
    assert(bytes.readUInt32LE(pos) === BLOCK_MAGIC, `block at ${localOffset + pos} lacks magic`);
    assert(bytes.readUInt32LE(pos + 12) === localOffset + pos, `block at ${localOffset + pos} local offset`);
    const bodyStart = pos + BLOCK_HEADER_BYTES;
    const bodyEnd = bodyStart + bytes.readUInt32LE(pos + 4);
    assert(bodyEnd <= bytes.length, `block at ${localOffset + pos} overruns the write`);
    assert(crc32(bytes.subarray(bodyStart, bodyEnd)) === bytes.readUInt32LE(pos + 8), 'block crc before write');
    pos = bodyEnd;
  }
}

// ---- file header ------------------------------------------------------------------------------------

export function fileHeaderBodyBytes(entryCount: number): number {
  return FILE_HEADER_FIXED_BYTES + entryCount * FILE_HEADER_ENTRY_BYTES;
}

export function encodeFileHeader(header: FileHeader): Buffer {
  const out = Buffer.allocUnsafe(fileHeaderBodyBytes(header.entries.length));
  let pos = out.writeUInt32LE(BLOCK_MAGIC, 0);
  pos = out.writeUInt32LE(header.version, pos);
  pos = writeSafeInt64LE(out, header.startOffset, pos);
  pos = out.writeUInt32LE(header.entries.length, pos);
  for (const e of header.entries) {
    pos = out.writeInt32LE(e.gpid.appId, pos);
    pos = out.writeInt32LE(e.gpid.partitionIndex, pos);
    pos = writeSafeInt64LE(out, e.prevMaxDecree, pos);
    pos = writeSafeInt64LE(out, e.validStartOffset, pos);
  }
  assert(pos === out.length, 'file header size');
  return out;
}

/** Decodes the body of a file's first block; a reason string when it is not a file header. */
export function decodeFileHeader(body: Buffer): FileHeader | string {
  if (body.length < FILE_HEADER_FIXED_BYTES) return `file header of ${body.length} bytes is too short`;
  if (body.readUInt32LE(0) !== BLOCK_MAGIC) return 'file header magic mismatch';
  const version = body.readUInt32LE(4);
  if (version !== FILE_HEADER_VERSION) return `file header version ${version}`;
  const startOffset = readSafeInt64LE(body, 8);
  if (startOffset === undefined || startOffset < 0) return 'file header start offset is not an offset';
  const count = body.readUInt32LE(16);
  if (count > FILE_HEADER_ENTRIES_MAX || body.length !== fileHeaderBodyBytes(count)) {
    return `file header count ${count} does not match its ${body.length} bytes`;
  }
  const entries: FileHeaderEntry[] = [];
  for (let i = 0, pos = FILE_HEADER_FIXED_BYTES; i < count; i++, pos += FILE_HEADER_ENTRY_BYTES) {
    const prevMaxDecree = readSafeInt64LE(body, pos + 8);
    const validStartOffset = readSafeInt64LE(body, pos + 16);
    if (prevMaxDecree === undefined || validStartOffset === undefined) return `file header entry ${i}`;
    const gpid = { appId: body.readInt32LE(pos), partitionIndex: body.readInt32LE(pos + 4) };
    entries.push({ gpid, prevMaxDecree, validStartOffset });
  }
  return { version, startOffset, entries };
}
