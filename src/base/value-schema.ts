/**
 * Pegasus's RocksDB value (pegasus-internals.md §4.1), byte for byte, so that SST files made for upstream
 * load unchanged:
 * - data version 0: `expire_ts (u32 BE) | user value`
 * - data version 1: `expire_ts (u32 BE) | timetag (u64 BE) | user value` (the default for new tables)
 * `expire_ts` is in seconds since the Pegasus epoch, 2016-01-01 00:00:00 UTC; 0 means no TTL.
 */
import { PegasusError } from './error-code.ts';

/** Unix seconds of 2016-01-01 00:00:00 UTC. */
export const PEGASUS_EPOCH_UNIX_SECONDS = 1451606400;

export type DataVersion = 0 | 1;
export const DATA_VERSION_LATEST: DataVersion = 1;

/** Seconds since the Pegasus epoch for a unix time in milliseconds. */
export function epochNowSeconds(unixMs: number): number {
  return Math.floor(unixMs / 1000) - PEGASUS_EPOCH_UNIX_SECONDS;
}

/** Upstream's rule: a TTL'd record is expired once its expire_ts is not in the future. */
export function isExpired(expireTs: number, nowEpochSeconds: number): boolean {
  return expireTs > 0 && expireTs <= nowEpochSeconds;
}

/** The header bytes before the user value. */
export function valueHeaderLength(version: DataVersion): number {
  return version === 0 ? 4 : 12;
}

/**
 * `timetag = timestamp_us << 8 | cluster_id << 1 | delete_flag` (§5.1): orders concurrent writes from
 * duplicating clusters. cluster_id is 1..127.
 */
export function generateTimetag(timestampUs: number, clusterId: number, deleted: boolean): bigint {
  if (!Number.isSafeInteger(timestampUs) || timestampUs < 0) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `timestamp_us ${timestampUs} is not a non-negative integer`);
  }
  if (!Number.isInteger(clusterId) || clusterId < 0 || clusterId > 127) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `cluster_id ${clusterId} is outside 0..127`);
  }
  return (BigInt(timestampUs) << 8n) | (BigInt(clusterId) << 1n) | (deleted ? 1n : 0n);
}

export interface Timetag {
  timestampUs: number;
  clusterId: number;
  deleted: boolean;
}

export function parseTimetag(timetag: bigint): Timetag {
  return {
    timestampUs: Number(timetag >> 8n),
    clusterId: Number((timetag >> 1n) & 0x7fn),
    deleted: (timetag & 1n) === 1n,
  };
}

export function generateValue(
  version: DataVersion,
  userValue: Uint8Array,
  expireTs: number,
  timetag: bigint = 0n,
): Buffer {
  if (!Number.isInteger(expireTs) || expireTs < 0 || expireTs > 0xffffffff) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `expire_ts ${expireTs} does not fit a u32`);
  }
  const header = valueHeaderLength(version);
  const out = Buffer.allocUnsafe(header + userValue.length);
  out.writeUInt32BE(expireTs, 0);
  if (version === 1) out.writeBigUInt64BE(timetag, 4);
  out.set(userValue, header);
  return out;
}

function checkLength(version: DataVersion, value: Buffer): void {
  if (value.length < valueHeaderLength(version)) {
    throw new PegasusError(
      'ERR_INVALID_DATA',
      `stored value of ${value.length} bytes is shorter than the data version ${version} header`,
    );
  }
}

export function extractExpireTs(version: DataVersion, value: Buffer): number {
  checkLength(version, value);
  return value.readUInt32BE(0);
}

export function extractTimetag(version: DataVersion, value: Buffer): bigint {
  if (version === 0) return 0n;
  checkLength(version, value);
  return value.readBigUInt64BE(4);
}

/** The user's bytes, as a view into `value` (no copy). */
export function extractUserData(version: DataVersion, value: Buffer): Buffer {
  checkLength(version, value);
  return value.subarray(valueHeaderLength(version));
}

/** A copy of `value` with its expire_ts replaced (for incr's TTL rules and default_ttl back-fill). */
export function withExpireTs(value: Buffer, expireTs: number): Buffer {
  if (value.length < 4) throw new PegasusError('ERR_INVALID_DATA', 'stored value has no expire_ts');
  const out = Buffer.from(value);
  out.writeUInt32BE(expireTs >>> 0, 0);
  return out;
}
