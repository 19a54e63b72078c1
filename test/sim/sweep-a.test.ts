/**
 * Half of the CI simulation sweep (seeds 1–150); two files so the runner spreads them over both
 * cores. Every seed must pass every checker, and the sweep must have exercised what simulation.md's
 * coverage gate lists: a sweep that never crashes, partitions, promotes or learns proves nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailures, sweep } from './sweep-support.ts';

test('simulation seeds 1–150: every checker passes and the faults and paths were exercised', async () => {
  const result = await sweep(1, 150);
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
