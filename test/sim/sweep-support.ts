/**
 * Shared by the sweep tests: runs a range of seeds, collects failures (each printed with its replay command
 * and report) and sums the coverage figures that simulation.md's anti-toy gates ask for.
 */
import { runSimulation, type SimCoverage, type SimReport } from '../../src/sim/sim-run.ts';

export interface SweepResult {
  readonly seeds: number;
  readonly failed: SimReport[];
  readonly totals: SimCoverage;
}

export async function sweep(from: number, count: number): Promise<SweepResult> {
  const totals: SimCoverage = {
    clientOps: 0, okOps: 0, processCrashes: 0, machineCrashes: 0, partitions: 0, primaryChanges: 0,
    reconciledDecrees: 0, learnCache: 0, learnLog: 0, learnApp: 0, dddPartitions: 0,
  };
  const failed: SimReport[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const report = await runSimulation(seed);
    for (const key of Object.keys(totals) as Array<keyof SimCoverage>) totals[key] += report.coverage[key];
    if (!report.ok) failed.push(report);
  }
  return { seeds: count, failed, totals };
}

/** What a developer needs to replay the first failures. */
export function describeFailures(failed: readonly SimReport[]): string {
  return failed
    .slice(0, 3)
    .map((r) => `seed ${r.seed}: ${r.failures.join('; ')}\n  replay: npm run sim -- --seed ${r.seed}\n${r.details.slice(0, 4000)}`)
    .join('\n\n');
}
