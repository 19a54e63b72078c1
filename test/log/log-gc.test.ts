/** The GC decision alone, on hand-built file lists: upstream's precedence of its rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogFileInfo } from '../../src/log/log-file-info.ts';
import { planGarbageCollection, type GcPlanInput } from '../../src/log/log-gc.ts';

const NOW = 1_000_000_000;

/** Files of the given sizes and ages, each holding 10 decrees: file i holds decrees 10i+1..10i+10. */
function files(specs: Array<{ sizeBytes: number; ageMs: number }>): LogFileInfo[] {
  let startOffset = 0;
  return specs.map((s, i) => {
    const f: LogFileInfo = {
      index: i + 1,
      name: `log.${i + 1}.${startOffset}`,
      startOffset,
      sizeBytes: s.sizeBytes,
      prevMaxDecree: 10 * i,
      mtimeMs: NOW - s.ageMs,
    };
    startOffset += s.sizeBytes;
    return f;
  });
}

function plan(list: LogFileInfo[], input: Partial<GcPlanInput>): number {
  return planGarbageCollection(list, {
    durableDecree: 0,
    validStartOffset: 0,
    reserveMaxBytes: 0,
    reserveMaxTimeMs: 0,
    nowMs: NOW,
    logMaxDecree: 10 * list.length,
    ...input,
  });
}

const five = files(Array.from({ length: 5 }, () => ({ sizeBytes: 100, ageMs: 0 })));

test('the durable rule deletes the files whose every decree is durable', () => {
  assert.equal(plan(five, { durableDecree: 9 }), 0);
  assert.equal(plan(five, { durableDecree: 10 }), 1);
  assert.equal(plan(five, { durableDecree: 35 }), 3);
  assert.equal(plan(five, { durableDecree: 1000 }), 4, 'the current file stays');
});

test('the valid-start-offset rule deletes files ending at or before it, whatever their decrees', () => {
  assert.equal(plan(five, { validStartOffset: 199 }), 1);
  assert.equal(plan(five, { validStartOffset: 200 }), 2);
  assert.equal(plan(five, { validStartOffset: 10_000 }), 4);
});

test('the reserve wins over both rules', () => {
  assert.equal(plan(five, { durableDecree: 1000, reserveMaxBytes: 300, reserveMaxTimeMs: 1 }), 2);
  assert.equal(plan(five, { validStartOffset: 10_000, reserveMaxBytes: 500, reserveMaxTimeMs: 1 }), 0);
});

test('a reserve of zero bytes or zero time reserves nothing', () => {
  assert.equal(plan(five, { durableDecree: 1000, reserveMaxBytes: 0, reserveMaxTimeMs: 1e9 }), 4);
  assert.equal(plan(five, { durableDecree: 1000, reserveMaxBytes: 1e9, reserveMaxTimeMs: 0 }), 4);
});

test('the time reserve keeps files written within it, the boundary included', () => {
  const aged = files([500, 400, 300, 200, 100].map((ageMs) => ({ sizeBytes: 100, ageMs })));
  assert.equal(plan(aged, { durableDecree: 1000, reserveMaxBytes: 1e9, reserveMaxTimeMs: 300 }), 2);
  assert.equal(plan(aged, { durableDecree: 1000, reserveMaxBytes: 1e9, reserveMaxTimeMs: 299 }), 3);
});

test('the size reserve counts every newer file, whether it was kept as reserve or as not yet durable', () => {
  const mixed = files([{ sizeBytes: 100, ageMs: 0 }, { sizeBytes: 50, ageMs: 0 }, { sizeBytes: 1000, ageMs: 0 },
    { sizeBytes: 100, ageMs: 0 }]);
  // Newest first: current (100, kept), 1000 (over 300: not reserved, but kept: decrees 21..30 > durable 25),
  // 50 (100 + 1000 + 50 > 300: not reserved, though small; durable: max decree 20 ≤ 25) → the cut.
  assert.equal(plan(mixed, { durableDecree: 25, reserveMaxBytes: 300, reserveMaxTimeMs: 1e9 }), 2);
  // With room for the 1000-byte file the walk keeps it and every older one that still fits.
  assert.equal(plan(mixed, { durableDecree: 1000, reserveMaxBytes: 1200, reserveMaxTimeMs: 1e9 }), 1);
});

test('never a file holding a valid decree above the durable one, even if headers disagree', () => {
  const odd = files(Array.from({ length: 4 }, () => ({ sizeBytes: 100, ageMs: 0 })));
  odd[2]!.prevMaxDecree = 5; // a header claiming less than what came before it
  // File 2 (index 1) qualifies by its successor's header, but file 1's max decree (10) is above 8.
  assert.equal(plan(odd, { durableDecree: 8 }), 0);
});

test('one file or none: nothing to collect', () => {
  assert.equal(plan([], { durableDecree: 1000 }), 0);
  assert.equal(plan(files([{ sizeBytes: 100, ageMs: 0 }]), { durableDecree: 1000 }), 0);
});
