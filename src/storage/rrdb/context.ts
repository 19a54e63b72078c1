/** What every rrdb service of one partition shares. */
import { epochNowSeconds } from '../../base/value-schema.ts';
import type { Gpid } from '../../base/gpid.ts';
import type { ResponseOrigin } from '../../idl/rrdb.ts';
import type { PartitionStore } from '../partition-store.ts';
import type { Clock } from './clock.ts';
import type { RangeReadLimits } from './range-limiter.ts';


export interface RrdbContext {
  readonly store: PartitionStore;
  readonly gpid: Gpid;
  /** "host:port" of this replica server, echoed in every response. */
  readonly server: string;
  readonly clock: Clock;
  readonly limits: RangeReadLimits;
  /** partition_count - 1; -1 while the partition count is unknown or splitting. */
  partitionVersion: number;
  /** Table env `replica.split.validate_partition_hash`. */
  validatePartitionHash: boolean;
  /** Table env `default_ttl` in seconds (0 = none): writes without a TTL get now + this. */
  defaultTtlSeconds: number;
}

export function origin(context: RrdbContext): ResponseOrigin {
  return { appId: context.gpid.appId, partitionIndex: context.gpid.partitionIndex, server: context.server };
}

export function epochNow(context: RrdbContext): number {
  return epochNowSeconds(context.clock.nowMs());
}
