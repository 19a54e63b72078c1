/**
 * The IPC conversation between the bench coordinator and its load-generator processes (plain JSON over
 * Node's fork channel). One process runs one phase at a time:
 *
 *   coordinator → open        ← opened | failed
 *   coordinator → load        ← progress… ← loaded
 *   coordinator → run         ← progress… (warm-up, then) → measure … → stop  ← ran
 *   coordinator → close       (the process closes its connection and exits)
 */
import type { ConnectionSpec } from './bench-target.ts';
import type { DistributionName } from './key-distributions.ts';
import type { OperationKind, WorkloadName } from './ycsb-workloads.ts';

export type ToLoadGenerator =
  | { readonly type: 'open'; readonly connection: ConnectionSpec; readonly valueBytes: number; readonly seed: number }
  /** Insert records first, first + stride, ... below end. */
  | { readonly type: 'load'; readonly first: number; readonly end: number; readonly stride: number; readonly concurrency: number }
  | {
      readonly type: 'run';
      readonly workload: WorkloadName;
      /** Records that exist when the phase starts (the load phase's and earlier workloads' inserts). */
      readonly recordCount: number;
      /** This process's share of inserts: record numbers insertStart + index, + processCount, ... */
      readonly insertStart: number;
      readonly processIndex: number;
      readonly processCount: number;
      readonly concurrency: number;
      readonly distribution?: DistributionName;
      /** This process stops by itself after so many measured operations; otherwise at `stop`. */
      readonly operationCount?: number;
    }
  | { readonly type: 'measure' }
  | { readonly type: 'stop' }
  | { readonly type: 'close' };

export interface CountsMessage {
  readonly operations: number;
  readonly errors: number;
  readonly firstError?: string;
}

export type FromLoadGenerator =
  | { readonly type: 'opened' }
  | { readonly type: 'failed'; readonly message: string }
  | ({ readonly type: 'progress' } & CountsMessage)
  | ({ readonly type: 'loaded' } & CountsMessage)
  | ({
      readonly type: 'ran';
      readonly durationSec: number;
      /** HDR histograms in compressed base64 (LatencyRecorder.encode). */
      readonly latency: string;
      readonly byOperation: Partial<Record<OperationKind, string>>;
      /** This process's CPU time (user + system) over the measured window, in microseconds. */
      readonly cpuUs: number;
      /** One past the highest record number this process knows to exist (the next phase reads below it). */
      readonly recordsEnd: number;
    } & CountsMessage);

/** How often a process reports its counts while a phase runs. */
export const PROGRESS_INTERVAL_MS = 1000;
