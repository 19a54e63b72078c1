/** The latency recorder: percentiles within HDR's 3-significant-digit precision, merging, shipping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_US_MAX, LatencyRecorder } from '../../src/bench/latency-recorder.ts';

const close = (actual: number, expected: number): boolean => Math.abs(actual - expected) <= Math.max(1, expected * 0.001);

test('percentiles, mean and max of 1..100000 µs', () => {
  const r = new LatencyRecorder();
  for (let us = 1; us <= 100_000; us++) r.record(us);
  const s = r.summary();
  assert.equal(s.count, 100_000);
  assert.ok(close(s.p50Us, 50_000), `p50 ${s.p50Us}`);
  assert.ok(close(s.p95Us, 95_000), `p95 ${s.p95Us}`);
  assert.ok(close(s.p99Us, 99_000), `p99 ${s.p99Us}`);
  assert.ok(close(s.p999Us, 99_900), `p999 ${s.p999Us}`);
  assert.ok(close(s.maxUs, 100_000), `max ${s.maxUs}`);
  assert.ok(close(s.meanUs, 50_000.5), `mean ${s.meanUs}`);
});

test('out-of-range values are clamped, not lost; an empty recorder summarises to zeros', () => {
  const r = new LatencyRecorder();
  r.record(0);
  r.record(LATENCY_US_MAX * 10);
  assert.equal(r.count, 2);
  assert.ok(close(r.summary().maxUs, LATENCY_US_MAX));
  assert.deepEqual(new LatencyRecorder().summary(), { count: 0, meanUs: 0, p50Us: 0, p95Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 });
});

test("recorders from several load generators add up, also through HDR's compressed form", () => {
  const a = new LatencyRecorder();
  const b = new LatencyRecorder();
  for (let i = 0; i < 1000; i++) a.record(100);
  for (let i = 0; i < 1000; i++) b.record(10_000);
  const merged = LatencyRecorder.decode(a.encode());
  merged.add(LatencyRecorder.decode(b.encode()));
  const s = merged.summary();
  assert.equal(s.count, 2000);
  assert.ok(close(s.p50Us, 100), `p50 ${s.p50Us}`);
  assert.ok(close(s.p99Us, 10_000), `p99 ${s.p99Us}`);
});
