/**
 * `pegasus bench` (also `npm run bench -- ...`): YCSB core workloads against pegasus-ts and the peers a user
 * would weigh it against, in one run on this machine, reported side by side (Markdown table, chart, JSON
 * under bench/results/). Speed is shown here, never asserted in tests.
 */
import type { Command } from 'commander';
import type { BenchParameters } from './bench-result.ts';
import type { BenchSystem } from './bench-target.ts';
import { etcdSystem } from './peers/etcd-system.ts';
import { redisSystem } from './peers/redis-system.ts';
import { pegasusSystem } from './pegasus/pegasus-system.ts';
import { WORKLOADS, type WorkloadName } from './ycsb-workloads.ts';

export const BENCH_SYSTEMS: Readonly<Record<string, BenchSystem>> = {
  pegasus1: pegasusSystem(1),
  pegasus3: pegasusSystem(3),
  etcd: etcdSystem,
  redis: redisSystem,
};

interface BenchCliOptions {
  readonly workloads?: string;
  readonly systems?: string;
  readonly recordCount?: string;
  readonly fieldCount: string;
  readonly fieldLength: string;
  readonly distribution?: string;
  readonly processes: string;
  readonly concurrency: string;
  readonly duration?: string;
  readonly operationCount?: string;
  readonly warmup?: string;
  readonly quick?: boolean;
  readonly profile?: boolean;
  readonly out: string;
  readonly workDir?: string;
  readonly seed: string;
}

/** `--quick`: workloads A and C against pegasus-ts (3 replicas), etcd and Redis, in well under 3 minutes. */
const QUICK = { workloads: 'A,C', systems: 'pegasus3,etcd,redis', recordCount: '10000', duration: '8', warmup: '2' };
const FULL = { workloads: 'A,B,C,D,E,F', systems: 'pegasus1,pegasus3,etcd,redis', recordCount: '100000', duration: '30', warmup: '5' };
/** A run with --operation-count and no --duration still ends: at most an hour per workload. */
const DURATION_SEC_MAX = 3600;

class BenchUsageError extends Error {}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new BenchUsageError(`--${name} must be an integer in [${min}, ${max}], got '${text}'`);
  return value;
}

function listOf(name: string, text: string, known: readonly string[]): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = items.filter((s) => !known.includes(s));
  if (items.length === 0 || unknown.length > 0) throw new BenchUsageError(`--${name}: unknown ${unknown.join(', ') || '(empty)'}; choose from ${known.join(', ')}`);
  return [...new Set(items)];
}

export interface BenchSelection {
  readonly parameters: BenchParameters;
  readonly systems: BenchSystem[];
}

export function benchParametersOf(options: BenchCliOptions): BenchSelection {
  const preset = options.quick ? QUICK : FULL;
  const workloads = listOf('workloads', (options.workloads ?? preset.workloads).toUpperCase(), Object.keys(WORKLOADS)) as WorkloadName[];
  const systemIds = listOf('systems', options.systems ?? preset.systems, Object.keys(BENCH_SYSTEMS));
  if (options.distribution !== undefined) listOf('distribution', options.distribution, ['uniform', 'zipfian', 'latest']);
  const operationCount = options.operationCount === undefined ? undefined : integer('operation-count', options.operationCount, 1, 1e12);
  const durationSec = integer('duration', options.duration ?? (operationCount === undefined ? preset.duration : String(DURATION_SEC_MAX)), 1, DURATION_SEC_MAX);
  const parameters: BenchParameters = {
    workloads,
    recordCount: integer('record-count', options.recordCount ?? preset.recordCount, 1, 1e9),
    fieldCount: integer('field-count', options.fieldCount, 1, 1000),
    fieldLength: integer('field-length', options.fieldLength, 1, 1 << 20),
    ...(options.distribution === undefined ? {} : { distribution: options.distribution }),
    processes: integer('processes', options.processes, 1, 64),
    concurrency: integer('concurrency', options.concurrency, 1, 4096),
    durationSec,
    ...(operationCount === undefined ? {} : { operationCount }),
    warmupSec: integer('warmup', options.warmup ?? preset.warmup, 0, 3600),
    quick: options.quick === true,
    profile: options.profile === true,
  };
  if (parameters.fieldCount * parameters.fieldLength > 1 << 20) throw new BenchUsageError('a record (field-count × field-length) must stay within 1 MiB, the servers\' max_allowed_write_size');
  // pegasus-ts first, as the report's columns.
  return { parameters, systems: systemIds.map((id) => BENCH_SYSTEMS[id]!) };
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('YCSB core workloads (A–F) against pegasus-ts (1 and 3 replicas), etcd and Redis, side by side')
    .option('--workloads <list>', `workloads to run, in order (default ${FULL.workloads}; --quick ${QUICK.workloads})`)
    .option('--systems <list>', `systems to run: ${Object.keys(BENCH_SYSTEMS).join(', ')} (default all; --quick ${QUICK.systems})`)
    .option('--record-count <n>', `records inserted by the load phase (default ${FULL.recordCount}; --quick ${QUICK.recordCount})`)
    .option('--field-count <n>', 'fields per record (YCSB fieldcount); a record is stored as one value', '10')
    .option('--field-length <bytes>', 'bytes per field (YCSB fieldlength)', '100')
    .option('--distribution <name>', 'request distribution for every workload: uniform, zipfian or latest (default: each workload\'s own)')
    .option('--processes <n>', 'load-generator processes', '2')
    .option('--concurrency <n>', 'operations in flight per load-generator process', '32')
    .option('--duration <seconds>', `measured seconds per workload (default ${FULL.duration}; --quick ${QUICK.duration})`)
    .option('--operation-count <n>', 'measured operations per workload, over all processes (ends the run phase before --duration if reached)')
    .option('--warmup <seconds>', `unmeasured seconds before each workload's window (default ${FULL.warmup}; --quick ${QUICK.warmup})`)
    .option('--quick', 'a short run: workloads A and C against pegasus-ts (3 replicas), etcd and Redis')
    .option('--profile', 'record a CPU profile of the pegasus-ts servers (.cpuprofile, open in Chrome DevTools) under <out>/profiles/')
    .option('--out <dir>', 'where ycsb.md, ycsb.svg and ycsb.json are written', 'bench/results')
    .option('--work-dir <dir>', 'where the servers keep their data during the run (default the system temp folder)')
    .option('--seed <n>', 'seed of the operation and key draws', '1')
    .action(async (options: BenchCliOptions) => {
      let plan: BenchSelection;
      let seed: number;
      try {
        plan = benchParametersOf(options);
        seed = integer('seed', options.seed, 0, 2 ** 31);
      } catch (e) {
        if (!(e instanceof BenchUsageError)) throw e;
        console.error(`ERR_INVALID_PARAMETERS: ${e.message}`);
        process.exitCode = 1;
        return;
      }
      // Loaded on use: the chart library and the histogram code are not for every `pegasus` process (the servers run this CLI too).
      const { runBenchCommand } = await import('./bench-run.ts');
      process.exitCode = await runBenchCommand(plan, seed, { out: options.out, ...(options.workDir === undefined ? {} : { workDir: options.workDir }) });
    });
}
