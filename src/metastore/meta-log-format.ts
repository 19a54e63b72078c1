/**
 * The byte format of FileMetaStore's append-only file (the idea of upstream's `meta_state_service.log`:
 * append a record per write, replay them on start; our own layout, with checksums).
 *
 *   file   := FILE_MAGIC (8 bytes) record*
 *   record := header (16 bytes) body
 *   header := u32 RECORD_MAGIC | u32 bodyBytes | u32 crc32(body) | u32 crc32(first 12 header bytes)
 *   body   := u32 entryCount entry*          (one record per write, so a torn write tears one record)
 *   entry  := u32 opCount op*                (one call: applied all or nothing on replay)
 *   op     := u8 kind | u32 pathBytes | path (UTF-8) [| u32 dataBytes | data]   (data for create and set)
 *
 * All integers little-endian. The header has its own CRC so that a damaged length is caught before it is
 * trusted. A snapshot (after compaction) is ordinary records whose entries recreate every node, parents first.
 *
 * Scanning tells a torn tail (the last write cut by a crash: an incomplete header or body, zeros, or a bad
 * body CRC on the record that ends the file) from corruption (a bad record with bytes after it), which it
 * refuses with ERR_CORRUPTION naming the offset. A bad CRC on the final record is indistinguishable from a
 * write cut by a machine crash; since its caller was never acknowledged in that case, it is treated as torn.
 */
import { crc32 } from 'node:zlib';
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';
import type { MetaOp } from './meta-path.ts';

export const FILE_MAGIC = Buffer.from('PGMETA\x00\x01', 'latin1');
export const RECORD_MAGIC = 0x4d455441; // "META"
export const RECORD_HEADER_BYTES = 16;
/** Far above any legal write (a transaction is bounded by MetaStoreLimits); a larger length is corruption. */
export const RECORD_BODY_BYTES_MAX = 256 * 1024 * 1024;

const KIND_CREATE = 1;
const KIND_DELETE = 2;
const KIND_DELETE_RECURSIVE = 3;
const KIND_SET = 4;

/** One call's ops: replay applies them all or nothing. */
export type LogEntry = readonly MetaOp[];

export interface ScannedRecord {
  readonly offsetBytes: number;
  readonly entries: LogEntry[];
}

export interface ScanResult {
  readonly records: ScannedRecord[];
  /** Where the last whole record ends: the file is cut here when a torn tail follows. */
  readonly validEndBytes: number;
}

export function encodeRecord(entries: readonly LogEntry[]): Buffer {
  let bodyBytes = 4;
  for (const entry of entries) {
    bodyBytes += 4;
    for (const op of entry) bodyBytes += 5 + Buffer.byteLength(op.path, 'utf8') + (op.kind === 'delete' ? 0 : 4 + op.data.length);
  }
  assert(bodyBytes <= RECORD_BODY_BYTES_MAX, `record body of ${bodyBytes} bytes exceeds the format's bound`);
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bodyBytes);
  let at = RECORD_HEADER_BYTES;
  at = out.writeUInt32LE(entries.length, at);
  for (const entry of entries) {
    at = out.writeUInt32LE(entry.length, at);
    for (const op of entry) {
      const kind = op.kind === 'create' ? KIND_CREATE : op.kind === 'set' ? KIND_SET : op.recursive ? KIND_DELETE_RECURSIVE : KIND_DELETE;
      at = out.writeUInt8(kind, at);
      at = out.writeUInt32LE(Buffer.byteLength(op.path, 'utf8'), at);
      at += out.write(op.path, at, 'utf8');
      if (op.kind !== 'delete') {
        at = out.writeUInt32LE(op.data.length, at);
        at += op.data.copy(out, at);
      }
    }
  }
  assert(at === out.length, `record encoding wrote ${at} of ${out.length} bytes`);
  const body = out.subarray(RECORD_HEADER_BYTES);
  out.writeUInt32LE(RECORD_MAGIC, 0);
  out.writeUInt32LE(bodyBytes, 4);
  out.writeUInt32LE(crc32(body), 8);
  out.writeUInt32LE(crc32(out.subarray(0, 12)), 12);
  return out;
}

/** Reads every whole record after the file magic; see the file comment for torn tail vs corruption. */
export function scanLog(file: Buffer): ScanResult {
  if (file.length < FILE_MAGIC.length || !file.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
    throw new PegasusError('ERR_CORRUPTION', 'meta store file does not start with the expected magic');
  }
  const records: ScannedRecord[] = [];
  let at = FILE_MAGIC.length;
  while (at < file.length) {
    const remaining = file.length - at;
    if (remaining < RECORD_HEADER_BYTES) break; // a header cut by a crash
    const header = file.subarray(at, at + RECORD_HEADER_BYTES);
    if (crc32(header.subarray(0, 12)) !== header.readUInt32LE(12)) {
      if (allZero(file.subarray(at))) break; // space the file system allocated but the crash never filled
      throw corruption(at, 'record header checksum mismatch');
    }
    const bodyBytes = header.readUInt32LE(4);
    if (header.readUInt32LE(0) !== RECORD_MAGIC) throw corruption(at, 'bad record magic');
    if (bodyBytes > RECORD_BODY_BYTES_MAX) throw corruption(at, `record body of ${bodyBytes} bytes`);
    const end = at + RECORD_HEADER_BYTES + bodyBytes;
    if (end > file.length) break; // a body cut by a crash
    const body = file.subarray(at + RECORD_HEADER_BYTES, end);
    if (crc32(body) !== header.readUInt32LE(8)) {
      if (end === file.length) break; // the final write, never acknowledged if it is damaged
      throw corruption(at, 'record body checksum mismatch');
    }
    records.push({ offsetBytes: at, entries: decodeBody(body, at) });
    at = end;
  }
  return { records, validEndBytes: at >= file.length ? file.length : at };
}

function decodeBody(body: Buffer, offsetBytes: number): LogEntry[] {
  let at = 0;
  const need = (bytes: number): void => {
    if (at + bytes > body.length) throw corruption(offsetBytes, 'record body ends inside an op');
  };
  const u32 = (): number => {
    need(4);
    const v = body.readUInt32LE(at);
    at += 4;
    return v;
  };
  const bytes = (length: number): Buffer => {
    need(length);
    const v = Buffer.from(body.subarray(at, at + length)); // a copy: the file buffer is not kept alive
    at += length;
    return v;
  };
  const entries: LogEntry[] = [];
  const entryCount = u32();
  for (let e = 0; e < entryCount; e++) {
    const ops: MetaOp[] = [];
    const opCount = u32();
    for (let o = 0; o < opCount; o++) {
      need(1);
      const kind = body.readUInt8(at++);
      const path = bytes(u32()).toString('utf8');
      if (kind === KIND_CREATE) ops.push({ kind: 'create', path, data: bytes(u32()) });
      else if (kind === KIND_SET) ops.push({ kind: 'set', path, data: bytes(u32()) });
      else if (kind === KIND_DELETE || kind === KIND_DELETE_RECURSIVE) ops.push({ kind: 'delete', path, recursive: kind === KIND_DELETE_RECURSIVE });
      else throw corruption(offsetBytes, `unknown op kind ${kind}`);
    }
    entries.push(ops);
  }
  if (at !== body.length) throw corruption(offsetBytes, `${body.length - at} bytes after the last entry`);
  return entries;
}

function allZero(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

export function corruption(offsetBytes: number, what: string): PegasusError {
  return new PegasusError('ERR_CORRUPTION', `meta store file corrupt at offset ${offsetBytes}: ${what}`);
}

/**
 * The records that recreate a tree, one entry per node so that replay needs no bound on entry size: the
 * root's data as a `set` (the root always exists), then a `create` per node, parents first. Records are cut
 * near `recordBytesTarget` so no single record grows with the tree.
 */
export function encodeSnapshot(nodes: Iterable<{ path: string; data: Buffer }>, recordBytesTarget: number): Buffer[] {
  const records: Buffer[] = [];
  let entries: LogEntry[] = [];
  let pendingBytes = 0;
  for (const { path, data } of nodes) {
    if (path === '/') {
      if (data.length > 0) entries.push([{ kind: 'set', path, data }]);
    } else {
      entries.push([{ kind: 'create', path, data }]);
    }
    pendingBytes += 13 + path.length + data.length;
    if (pendingBytes >= recordBytesTarget) {
      records.push(encodeRecord(entries));
      entries = [];
      pendingBytes = 0;
    }
  }
  if (entries.length > 0) records.push(encodeRecord(entries));
  return records;
}
