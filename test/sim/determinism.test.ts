/** simulation.md "Same seed, same run": a seed replays exactly; another seed runs differently. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/sim/sim-run.ts';

test('the same seed gives the same trace and the same outcome; another seed does not', async () => {
  const first = await runSimulation(7);
  const again = await runSimulation(7);
  assert.equal(again.traceHash, first.traceHash);
  assert.equal(again.events, first.events);
  assert.deepEqual(again.coverage, first.coverage);
  assert.ok(first.events > 1000, `a real run: ${first.events} events`);
  const other = await runSimulation(8);
  assert.notEqual(other.traceHash, first.traceHash);
});
