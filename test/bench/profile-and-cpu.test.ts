/** The bench's process accounting: CPU seconds from /proc, and the hot spots of a V8 CPU profile. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hotSpots } from '../../src/bench/profile-summary.ts';
import { processCpuSeconds, snapshotCpuSeconds } from '../../src/bench/process-cpu.ts';

test('a process\'s CPU seconds grow while it computes; a gone process reads as undefined', () => {
  const before = processCpuSeconds(process.pid);
  assert.ok(before !== undefined && before >= 0);
  const until = performance.now() + 150;
  let spin = 0;
  while (performance.now() < until) spin++;
  assert.ok(spin > 0);
  const after = processCpuSeconds(process.pid)!;
  // USER_HZ ticks are 10 ms: 150 ms of spinning shows as at least a few of them.
  assert.ok(after - before >= 0.05, `${before} → ${after}`);
  // Pid 2^22 + 1 is above Linux's pid_max ceiling, so no process has it.
  assert.equal(processCpuSeconds(4_194_305), undefined);
  assert.deepEqual([...snapshotCpuSeconds(new Map([['gone', 4_194_305]]))], []);
});

test('hot spots rank functions by self time over the busy samples, idle left out', () => {
  const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber, scriptId: '0', columnNumber: 0 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('apply', 'file:///work/src/storage/rrdb/write-service.ts', 41) },
      { id: 4, callFrame: frame('', 'file:///work/src/replica/replica.ts', 9) },
      { id: 5, callFrame: frame('(garbage collector)') },
      // The same function reached by another path counts once, summed.
      { id: 6, callFrame: frame('apply', 'file:///work/src/storage/rrdb/write-service.ts', 41) },
    ],
    samples: [2, 2, 2, 3, 3, 4, 5, 6, 3, 2],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
  const { busyMs, spots } = hotSpots(profile, 3);
  assert.equal(busyMs, 6);
  assert.deepEqual(spots, [
    { name: 'apply rrdb/write-service.ts:42', selfPercent: 66.7 },
    { name: '(anonymous) replica/replica.ts:10', selfPercent: 16.7 },
    { name: '(garbage collector)', selfPercent: 16.7 },
  ]);
});
