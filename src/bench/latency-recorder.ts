/**
 * Operation latencies of one benchmark phase, in an HDR histogram (hdr-histogram-js): microseconds from 1 µs
 * to 60 s at 3 significant digits, so p999 of a fast store and a stalled call both fit. Load-generator
 * processes send their histograms to the coordinator in HDR's compressed form, which adds them up.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export const LATENCY_US_MAX = 60_000_000;

export interface LatencySummary {
  readonly count: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p95Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_US_MAX, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export class LatencyRecorder {
  private readonly histogram: Histogram = newHistogram();

  /** One operation's latency; values beyond the range are clamped to it rather than lost. */
  record(latencyUs: number): void {
    this.histogram.recordValue(Math.min(LATENCY_US_MAX, Math.max(1, Math.round(latencyUs))));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Adds another recorder's values (e.g. a load-generator process's). */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  /** HDR's compressed base64 form, to ship between processes. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  static decode(encoded: string): LatencyRecorder {
    const recorder = new LatencyRecorder();
    recorder.histogram.add(hdr.decodeFromCompressedBase64(encoded, 32, false));
    return recorder;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    return {
      count: h.totalCount,
      meanUs: h.totalCount === 0 ? 0 : h.mean,
      p50Us: h.getValueAtPercentile(50),
      p95Us: h.getValueAtPercentile(95),
      p99Us: h.getValueAtPercentile(99),
      p999Us: h.getValueAtPercentile(99.9),
      maxUs: h.maxValue,
    };
  }
}
