/**
 * `npm run sim -- --seed S` replays one seed and prints its report (the failure's trace tail, logs and
 * minimal failing history); `--seeds N [--from S]` sweeps N seeds and prints the totals, the seeds per
 * minute and the coverage figures. Exit code 1 when any seed failed.
 */
import { parseArgs } from 'node:util';
import { runSimulation, type SimCoverage } from '../sim/sim-run.ts';
import type { BrokenVariant } from '../replica/replica-env.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seeds: { type: 'string' },
    from: { type: 'string', default: '1' },
    variant: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    dump: { type: 'string' },
  },
});

const variant = values.variant as BrokenVariant | undefined;

async function main(): Promise<number> {
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    console.log(`seed ${seed}`);
    const dumpHashKeys = values.dump === undefined ? [] : values.dump.split(',');
    const report = await runSimulation(seed, { ...(variant === undefined ? {} : { brokenVariant: variant }), dumpHashKeys });
    console.log(JSON.stringify({ ok: report.ok, swarm: report.swarm, coverage: report.coverage, traceHash: report.traceHash, virtualMs: report.virtualMs, events: report.events }, null, 2));
    if (!report.ok) console.log(`FAILED:\n${report.failures.join('\n')}`);
    console.log(report.details);
    return report.ok ? 0 : 1;
  }
  const count = Number(values.seeds ?? '100');
  const from = Number(values.from);
  const startedMs = performance.now();
  const totals: SimCoverage = { clientOps: 0, okOps: 0, processCrashes: 0, machineCrashes: 0, partitions: 0, primaryChanges: 0, reconciledDecrees: 0, learnCache: 0, learnLog: 0, learnApp: 0, dddPartitions: 0 };
  const failed: number[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const report = await runSimulation(seed, variant === undefined ? {} : { brokenVariant: variant });
    for (const k of Object.keys(totals) as Array<keyof SimCoverage>) totals[k] += report.coverage[k];
    if (!report.ok) {
      failed.push(seed);
      console.log(`seed ${seed} FAILED: ${report.failures[0]}`);
      if (values.verbose) console.log(report.details);
    }
    if ((seed - from + 1) % 50 === 0) console.log(`${seed - from + 1} seeds, ${failed.length} failed`);
  }
  const minutes = (performance.now() - startedMs) / 60_000;
  console.log(JSON.stringify({ seeds: count, failed: failed.length, failedSeeds: failed.slice(0, 50), seedsPerMinute: Math.round(count / minutes), totals }, null, 2));
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
