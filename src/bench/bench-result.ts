/**
 * What one `pegasus bench` run measured, as plain JSON: the record the report (Markdown, chart) is drawn
 * from and the file saved for machines.
 */
import type { LatencySummary } from './latency-recorder.ts';
import type { OperationKind, WorkloadName } from './ycsb-workloads.ts';

/** A process's CPU use over a run phase, in percent of one core (200 = both cores of this machine busy). */
export interface ProcessCpu {
  /** `meta1`, `replica2`, `etcd1`, `redis`, `loadgen1`, ... */
  readonly process: string;
  readonly kind: 'server' | 'load-generator';
  readonly cpuPercent: number;
}

/** One workload's run phase against one system. */
export interface CellResult {
  readonly workload: WorkloadName;
  readonly systemId: string;
  /** Operations that completed (successfully or not) in the measured window, after warm-up. */
  readonly operations: number;
  /** Operations that failed (timeouts, errors); they count in `operations` but not in the latencies. */
  readonly errors: number;
  readonly durationSec: number;
  readonly opsPerSec: number;
  /** Every successful operation of the window. */
  readonly latency: LatencySummary;
  /** Per operation kind of the workload (read-modify-write timed as the read and the write together, as YCSB). */
  readonly byOperation: Partial<Record<OperationKind, LatencySummary>>;
  readonly cpu: readonly ProcessCpu[];
}

export interface SystemEntry {
  readonly id: string;
  readonly label: string;
  /** Set when the system did not run, saying why (not installed, failed to start: the first line of the error). */
  readonly skipped?: string;
}

export interface BenchParameters {
  readonly workloads: readonly WorkloadName[];
  readonly recordCount: number;
  readonly fieldCount: number;
  readonly fieldLength: number;
  /** Overrides every workload's own request distribution when set. */
  readonly distribution?: string;
  /** Load-generator processes, and operations in flight in each. */
  readonly processes: number;
  readonly concurrency: number;
  /** The run phase ends after this many seconds, or after `operationCount` operations when that is set. */
  readonly durationSec: number;
  readonly operationCount?: number;
  readonly warmupSec: number;
  readonly quick: boolean;
  readonly profile: boolean;
}

export interface BenchReport {
  readonly bench: 'ycsb';
  /** ISO time the run started. */
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly memoryGiB: number };
  readonly parameters: BenchParameters;
  /** In the order the report's columns show them; pegasus-ts systems first. */
  readonly systems: readonly SystemEntry[];
  readonly cells: readonly CellResult[];
}
