/**
 * Request headers, both versions (protocol.md §1.1, §1.2). v0 (Node, Python, Go clients) is a fixed 48-byte
 * header; v1 (Java) is 16 bytes followed by a thrift `request_meta` struct. The server accepts both; any
 * other magic, version or v0 header length is a FrameError, on which upstream closes the session.
 */
import { isPegasusError } from '../../base/error-code.ts';
import { requestMetaV1Codec } from '../../idl/codec/request-meta.ts';
import { FrameError } from './frame-error.ts';

/** "THFT" as a big-endian u32. */
export const REQUEST_MAGIC = 0x54484654;
export const REQUEST_HEADER_V0_BYTES = 48;
/** v1's fixed part: magic, version, meta_length, body_length. */
export const REQUEST_HEADER_V1_FIXED_BYTES = 16;
/**
 * Largest v1 meta struct accepted. The real one is under 40 bytes; the bound stops a lying meta_length from
 * making the splitter wait for (and buffer) megabytes before it can even read the header.
 */
export const REQUEST_META_BYTES_MAX = 1024;
/** Bytes needed before the version, and so the header's size, is known. */
export const REQUEST_HEADER_PREFIX_BYTES = 8;

export interface RequestHeader {
  version: 0 | 1;
  appId: number;
  partitionIndex: number;
  clientTimeoutMs: number;
  /** v0 only: `app_id * 7919 + partition_index`, informational. */
  threadHash?: number;
  /** Unsigned 64-bit crc64 of the hash key (0 for meta RPCs). */
  partitionHash: bigint;
  /** v1 only (v0 has no field for it: false). Lets a secondary serve the read. */
  isBackupRequest: boolean;
  bodyLength: number;
  /** Header size in bytes: 48 for v0, 16 + meta_length for v1. The body starts here. */
  headerBytes: number;
}

function truncated(needed: number, have: number): FrameError {
  return new FrameError('truncated', `request header needs ${needed} bytes, ${have} available`);
}

/**
 * How many header bytes the frame starting at `offset` needs, from its first 8 (v0) or 16 (v1) bytes;
 * undefined while too few bytes are there to tell. Checks magic, version and the header length.
 */
export function requestHeaderBytes(buf: Buffer, offset = 0): number | undefined {
  const have = buf.length - offset;
  // Check the magic byte by byte so that a non-Thrift stream fails on its first bytes, not after eight.
  for (let i = 0; i < Math.min(have, 4); i++) {
    if (buf[offset + i]! !== ((REQUEST_MAGIC >>> (24 - 8 * i)) & 0xff)) {
      throw new FrameError('bad_magic', `bytes ${buf.subarray(offset, offset + Math.min(have, 4)).toString('hex')} are not "THFT"`);
    }
  }
  if (have < REQUEST_HEADER_PREFIX_BYTES) return undefined;
  const version = buf.readUInt32BE(offset + 4);
  if (version === 0) {
    if (have < 12) return undefined;
    const headerLength = buf.readUInt32BE(offset + 8);
    if (headerLength !== REQUEST_HEADER_V0_BYTES) {
      throw new FrameError('bad_header_length', `v0 header_length ${headerLength}, must be ${REQUEST_HEADER_V0_BYTES}`);
    }
    return REQUEST_HEADER_V0_BYTES;
  }
  if (version === 1) {
    if (have < 12) return undefined;
    const metaLength = buf.readUInt32BE(offset + 8);
    if (metaLength > REQUEST_META_BYTES_MAX) {
      throw new FrameError('bad_header_length', `v1 meta_length ${metaLength} exceeds ${REQUEST_META_BYTES_MAX}`);
    }
    return REQUEST_HEADER_V1_FIXED_BYTES + metaLength;
  }
  throw new FrameError('bad_version', `header version ${version}; only 0 and 1 exist`);
}

/** Parses a whole request header at `offset`. Throws FrameError when it is invalid or incomplete. */
export function parseRequestHeader(buf: Buffer, offset = 0): RequestHeader {
  const have = buf.length - offset;
  const headerBytes = requestHeaderBytes(buf, offset);
  if (headerBytes === undefined) throw truncated(REQUEST_HEADER_PREFIX_BYTES + 4, have);
  if (have < headerBytes) throw truncated(headerBytes, have);
  if (headerBytes === REQUEST_HEADER_V0_BYTES && buf.readUInt32BE(offset + 4) === 0) {
    // Offsets 12 and 20 are the header and body crc32: clients send 0 and upstream ignores them.
    return {
      version: 0,
      bodyLength: buf.readUInt32BE(offset + 16),
      appId: buf.readInt32BE(offset + 24),
      partitionIndex: buf.readInt32BE(offset + 28),
      clientTimeoutMs: buf.readInt32BE(offset + 32),
      threadHash: buf.readInt32BE(offset + 36),
      partitionHash: buf.readBigUInt64BE(offset + 40),
      isBackupRequest: false,
      headerBytes,
    };
  }
  const metaStart = offset + REQUEST_HEADER_V1_FIXED_BYTES;
  let meta;
  try {
    meta = requestMetaV1Codec.decode(buf, metaStart, offset + headerBytes).value;
  } catch (e) {
    if (isPegasusError(e)) throw new FrameError('bad_meta', `v1 request meta: ${e.message}`, { cause: e });
    throw e;
  }
  return {
    version: 1,
    bodyLength: buf.readUInt32BE(offset + 12),
    appId: meta.appId,
    partitionIndex: meta.partitionIndex,
    clientTimeoutMs: meta.clientTimeoutMs,
    partitionHash: BigInt.asUintN(64, meta.partitionHash),
    isBackupRequest: meta.isBackupRequest,
    headerBytes,
  };
}

export interface RequestHeaderFields {
  appId: number;
  partitionIndex: number;
  clientTimeoutMs: number;
  /** Unsigned 64-bit. */
  partitionHash: bigint;
  bodyLength: number;
}

/** A v0 header as the Node, Python and Go clients write it (CRCs 0, thread_hash = app_id*7919 + pidx). */
export function encodeRequestHeaderV0(fields: RequestHeaderFields): Buffer {
  const out = Buffer.alloc(REQUEST_HEADER_V0_BYTES);
  out.writeUInt32BE(REQUEST_MAGIC, 0);
  out.writeUInt32BE(0, 4);
  out.writeUInt32BE(REQUEST_HEADER_V0_BYTES, 8);
  out.writeUInt32BE(fields.bodyLength, 16);
  out.writeInt32BE(fields.appId, 24);
  out.writeInt32BE(fields.partitionIndex, 28);
  out.writeInt32BE(fields.clientTimeoutMs, 32);
  out.writeInt32BE((fields.appId * 7919 + fields.partitionIndex) | 0, 36);
  out.writeBigUInt64BE(BigInt.asUintN(64, fields.partitionHash), 40);
  return out;
}

/** A v1 header as the Java client writes it: fixed part, then the request_meta struct. */
export function encodeRequestHeaderV1(fields: RequestHeaderFields & { isBackupRequest: boolean }): Buffer {
  const meta = requestMetaV1Codec.encode({
    appId: fields.appId,
    partitionIndex: fields.partitionIndex,
    clientTimeoutMs: fields.clientTimeoutMs,
    partitionHash: BigInt.asIntN(64, fields.partitionHash),
    isBackupRequest: fields.isBackupRequest,
  });
  const fixed = Buffer.alloc(REQUEST_HEADER_V1_FIXED_BYTES);
  fixed.writeUInt32BE(REQUEST_MAGIC, 0);
  fixed.writeUInt32BE(1, 4);
  fixed.writeUInt32BE(meta.length, 8);
  fixed.writeUInt32BE(fields.bodyLength, 12);
  return Buffer.concat([fixed, meta]);
}
