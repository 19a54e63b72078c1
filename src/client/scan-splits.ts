/**
 * The get_scanner requests of the two scanner kinds, as upstream's Java client builds them
 * (`PegasusTable.getScanner`, `getUnorderedScanners`).
 */
import { crc64 } from '../base/crc64.ts';
import { generateKey, hashKeyPrefix, prefixSuccessor } from '../base/key-schema.ts';
import { FilterType, type GetScannerRequest } from '../idl/rrdb.ts';
import { toBuffer, type Bytes } from './bytes.ts';
import { invalidParameters } from './errors.ts';
import { SCAN_BATCH_SIZE_DEFAULT, type ScanOptions } from './options.ts';
import type { ScanSplit } from './scanner.ts';

/** An unordered scanner covers every key of its partitions: [0x0000, 0xffff). */
const FULL_SCAN_START_KEY = Buffer.from([0x00, 0x00]);
const FULL_SCAN_STOP_KEY = Buffer.from([0xff, 0xff]);

function baseRequest(options: ScanOptions): Omit<GetScannerRequest, 'startKey' | 'stopKey' | 'startInclusive' | 'stopInclusive'> {
  const batchSize = options.batchSize ?? SCAN_BATCH_SIZE_DEFAULT;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw invalidParameters(`batchSize ${batchSize} must be a positive integer`);
  return {
    batchSize,
    noValue: options.noValue ?? false,
    hashKeyFilterType: options.hashKeyFilterType ?? FilterType.FT_NO_FILTER,
    hashKeyFilterPattern: toBuffer(options.hashKeyFilterPattern),
    sortKeyFilterType: options.sortKeyFilterType ?? FilterType.FT_NO_FILTER,
    sortKeyFilterPattern: toBuffer(options.sortKeyFilterPattern),
    returnExpireTs: options.returnExpireTs ?? false,
    onlyReturnCount: options.onlyReturnCount ?? false,
  };
}

/**
 * The one split of a hash scanner, or none when the range is empty. An empty stop sort key means "to the
 * end of the hash key": the prefix successor, exclusive (Java's `generateNextBytes`).
 */
export function hashScanSplits(hashKey: Buffer, startSortKey: Bytes | undefined, stopSortKey: Bytes | undefined, options: ScanOptions): ScanSplit[] {
  const startKey = generateKey(hashKey, toBuffer(startSortKey));
  const stop = toBuffer(stopSortKey);
  let stopKey: Buffer;
  let stopInclusive = options.stopInclusive ?? false;
  if (stop.length === 0) {
    // A hash key prefix starts with a u16 length below 0xffff, so it always has a successor.
    stopKey = prefixSuccessor(hashKeyPrefix(hashKey)) ?? FULL_SCAN_STOP_KEY;
    stopInclusive = false;
  } else {
    stopKey = generateKey(hashKey, stop);
  }
  const startInclusive = options.startInclusive ?? true;
  const order = Buffer.compare(startKey, stopKey);
  if (order > 0 || (order === 0 && !(startInclusive && stopInclusive))) return [];
  const request: GetScannerRequest = {
    ...baseRequest(options),
    startKey,
    stopKey,
    startInclusive,
    stopInclusive,
    // A hash key lives in one partition: no need for the server to filter by partition hash.
    validatePartitionHash: false,
  };
  return [{ target: { partitionHash: crc64(hashKey) }, request }];
}

/**
 * Upstream splits the partitions into min(maxSplitCount, count) scanners, the first `count % split` of them
 * taking one partition more. Each partition is scanned whole, with the server keeping only the keys that
 * hash to it (validate_partition_hash, which matters during a split).
 */
export function unorderedScanSplits(partitionCount: number, maxSplitCount: number, options: ScanOptions): ScanSplit[][] {
  if (!Number.isInteger(maxSplitCount) || maxSplitCount <= 0) throw invalidParameters(`maxSplitCount ${maxSplitCount} must be a positive integer`);
  const base = baseRequest(options);
  const scannerCount = Math.min(maxSplitCount, partitionCount);
  const perScanner = Math.floor(partitionCount / scannerCount);
  const withOneMore = partitionCount % scannerCount;
  const scanners: ScanSplit[][] = [];
  let next = 0;
  for (let s = 0; s < scannerCount; s++) {
    const splits: ScanSplit[] = [];
    const size = perScanner + (s < withOneMore ? 1 : 0);
    for (let i = 0; i < size; i++, next++) {
      splits.push({
        // The header hash of a whole-partition request: the partition index itself, which satisfies a
        // server's `hash & (count - 1) == pidx` check.
        target: { partitionHash: BigInt(next), partitionIndex: next },
        request: {
          ...base,
          startKey: FULL_SCAN_START_KEY,
          stopKey: FULL_SCAN_STOP_KEY,
          startInclusive: true,
          stopInclusive: false,
          validatePartitionHash: true,
          fullScan: true,
        },
      });
    }
    scanners.push(splits);
  }
  return scanners;
}
