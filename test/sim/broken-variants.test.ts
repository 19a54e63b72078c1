/**
 * simulation.md "Broken variants are caught by the checkers": each deliberately broken replica variant
 * must be reported by the history, durability or invariant checkers within the CI seed budget — not by a
 * crash, an assertion or a liveness timeout, and not by "inconclusive".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokenVariant } from '../../src/replica/replica-env.ts';
import { runSimulation } from '../../src/sim/sim-run.ts';

const SEEDS_MAX = 60;
const CHECKER_VERDICT = /^(invariant: |not linearizable |durability: (lost|final state))/;

for (const variant of ['commit-before-all-acks', 'read-on-secondary', 'skip-reconciliation', 'apply-before-logging'] as BrokenVariant[]) {
  test(`broken variant "${variant}" is caught by a checker`, async () => {
    const seen: string[] = [];
    for (let seed = 1; seed <= SEEDS_MAX; seed++) {
      const report = await runSimulation(seed, { brokenVariant: variant });
      const verdict = report.failures.find((f) => CHECKER_VERDICT.test(f));
      if (verdict !== undefined) return;
      if (!report.ok) seen.push(`seed ${seed}: ${report.failures[0]}`);
    }
    assert.fail(`no checker caught ${variant} in ${SEEDS_MAX} seeds; other failures: ${seen.slice(0, 5).join(' | ')}`);
  });
}
