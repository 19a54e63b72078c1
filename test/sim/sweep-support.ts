/**
 * Shared by the sweep tests: runs a range of seeds, collects failures (each printed with its replay command
 * and report) and sums the coverage figures that simulation.md's anti-toy gates ask for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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

/**
 * Registers the test for seeds [from, from + count): every seed must pass every checker, and the sweep must
 * have exercised what simulation.md's coverage gate lists — a sweep that never crashes, partitions,
 * promotes or learns proves nothing. The minimums are for 150 seeds.
 */
export function sweepTest(from: number, count: number): void {
  test(`simulation seeds ${from}–${from + count - 1}: every checker passes and the faults and paths were exercised`, async () => {
    const result = await sweep(from, count);
    assert.deepEqual(result.failed.map((r) => r.seed), [], describeFailures(result.failed));
    const t = result.totals;
    const perSeed = t.clientOps / result.seeds;
    assert.ok(perSeed >= 200, `client operations per seed: ${perSeed}`);
    assert.ok(t.okOps >= result.seeds * 100, `acknowledged operations: ${t.okOps}`);
    assert.ok(t.processCrashes >= 50, `process crashes: ${t.processCrashes}`);
    assert.ok(t.machineCrashes >= 20, `machine crashes: ${t.machineCrashes}`);
    assert.ok(t.partitions >= 30, `network partitions: ${t.partitions}`);
    assert.ok(t.primaryChanges >= 300, `primary changes: ${t.primaryChanges}`);
    assert.ok(t.reconciledDecrees >= 50, `decrees re-prepared by new primaries: ${t.reconciledDecrees}`);
    assert.ok(t.learnCache >= 50, `LT_CACHE learn rounds: ${t.learnCache}`);
    assert.ok(t.learnLog >= 1, `LT_LOG learn rounds: ${t.learnLog}`);
    assert.ok(t.learnApp >= 1, `LT_APP learn rounds: ${t.learnApp}`);
  });
}
