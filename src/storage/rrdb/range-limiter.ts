/**
 * Bounds one range read (upstream `range_read_limiter`, issue #486): an iteration count that includes expired
 * and filtered rows, an optional size, and a wall-time threshold checked every tenth of the count so a scan
 * over millions of expired rows returns partial results instead of running forever.
 */
import type { Clock } from './clock.ts';

export interface RangeReadLimits {
  /** `rocksdb_max_iteration_count`: rows examined per scan batch (and sortkey_count's time-check cadence). */
  maxIterationCount: number;
  /** `rocksdb_multi_get_max_iteration_count`: rows examined per range multi_get. */
  multiGetMaxIterationCount: number;
  /** `rocksdb_multi_get_max_iteration_size`: bytes returned per multi_get; 0 = no limit. */
  multiGetMaxIterationSizeBytes: number;
  /** `rocksdb_iteration_threshold_time_ms`: 0 = no limit. */
  iterationThresholdTimeMs: number;
}

/** Upstream's shipped `[pegasus.server]` values. */
export const DEFAULT_RANGE_READ_LIMITS: RangeReadLimits = {
  maxIterationCount: 1000,
  multiGetMaxIterationCount: 3000,
  multiGetMaxIterationSizeBytes: 30 * 1024 * 1024,
  iterationThresholdTimeMs: 30_000,
};

export class RangeReadLimiter {
  private iterationCount = 0;
  private iterationSizeBytes = 0;
  private exceeded = false;
  private readonly startMs: number;
  private readonly timeCheckEvery: number;

  constructor(
    private readonly clock: Clock,
    private readonly maxCount: number,
    private readonly maxSizeBytes: number,
    private readonly thresholdTimeMs: number,
  ) {
    this.startMs = clock.nowMs();
    this.timeCheckEvery = Math.max(1, Math.floor(maxCount / 10));
  }

  valid(): boolean {
    if (this.iterationCount >= this.maxCount) return false;
    if (this.maxSizeBytes > 0 && this.iterationSizeBytes >= this.maxSizeBytes) return false;
    return this.timeCheck();
  }

  /** Checks the time every `timeCheckEvery` iterations; once exceeded it stays invalid. */
  timeCheck(): boolean {
    if (this.exceeded) return false;
    if (this.thresholdTimeMs > 0 && (this.iterationCount + 1) % this.timeCheckEvery === 0) {
      if (this.clock.nowMs() - this.startMs > this.thresholdTimeMs) {
        this.exceeded = true;
        return false;
      }
    }
    return true;
  }

  /** A scan that stopped early checks the time once more, so a slow last stretch is still reported. */
  timeCheckAfterIncompleteScan(): void {
    if (this.thresholdTimeMs > 0 && this.clock.nowMs() - this.startMs > this.thresholdTimeMs) this.exceeded = true;
  }

  addCount(): void {
    this.iterationCount++;
  }

  addSize(bytes: number): void {
    this.iterationSizeBytes += bytes;
  }

  exceedLimit(): boolean {
    return this.exceeded;
  }

  get count(): number {
    return this.iterationCount;
  }
}
