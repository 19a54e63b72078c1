/** The YCSB workload generators: operation mixes and key distributions, within statistical tolerances. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimRandom } from '../../src/sim/sim-random.ts';
import { LatestChooser, ScrambledZipfianChooser, UniformChooser, ZIPFIAN_CONSTANT, ZipfianChooser, fnv1a64 } from '../../src/bench/key-distributions.ts';
import { OperationGenerator, WORKLOADS, recordKey, type OperationKind } from '../../src/bench/ycsb-workloads.ts';

const DRAWS = 100_000;

function counts(draw: () => number, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < DRAWS; i++) out[draw()]!++;
  return out;
}

test('every core workload draws its operation mix within 1%', () => {
  for (const spec of Object.values(WORKLOADS)) {
    const records = { count: 1000 };
    const generator = new OperationGenerator(spec, SimRandom.fromSeed(1), records);
    const seen: Record<OperationKind, number> = { read: 0, update: 0, insert: 0, scan: 0, readModifyWrite: 0 };
    for (let i = 0; i < DRAWS; i++) seen[generator.next().kind]++;
    for (const [kind, share] of Object.entries(spec.mix) as Array<[OperationKind, number]>) {
      assert.ok(Math.abs(seen[kind] / DRAWS - share) < 0.01, `${spec.name} ${kind}: ${seen[kind] / DRAWS} vs ${share}`);
    }
    // Inserts take the next record numbers.
    assert.equal(records.count, 1000 + seen.insert);
  }
});

test('scans read a uniform length in [1, 100]', () => {
  const generator = new OperationGenerator(WORKLOADS.E, SimRandom.fromSeed(2), { count: 1000 });
  const lengths: number[] = [];
  while (lengths.length < 20_000) {
    const op = generator.next();
    if (op.kind === 'scan') lengths.push(op.scanLength!);
  }
  assert.equal(Math.min(...lengths), 1);
  assert.equal(Math.max(...lengths), 100);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  assert.ok(Math.abs(mean - 50.5) < 1, `mean ${mean}`);
});

test('uniform: every decile of the records gets a tenth of the draws (±5%)', () => {
  const chooser = new UniformChooser(SimRandom.fromSeed(3), () => 1000);
  const c = counts(() => Math.floor(chooser.next() / 100), 10);
  for (const n of c) assert.ok(Math.abs(n / DRAWS - 0.1) < 0.005, `decile share ${n / DRAWS}`);
});

test("zipfian: Gray et al.'s generator — records 0 and 1 exactly as zipf(0.99), the rest skewed and decreasing", () => {
  const n = 1000;
  const chooser = new ZipfianChooser(SimRandom.fromSeed(4), () => n);
  const c = counts(() => chooser.next(), n);
  let zeta = 0;
  for (let i = 1; i <= n; i++) zeta += 1 / Math.pow(i, ZIPFIAN_CONSTANT);
  // Ranks 0 and 1 are drawn exactly; the rest follow the continuous approximation, as in YCSB.
  for (const rank of [0, 1]) {
    const expected = 1 / Math.pow(rank + 1, ZIPFIAN_CONSTANT) / zeta;
    const observed = c[rank]! / DRAWS;
    assert.ok(Math.abs(observed - expected) < expected * 0.1 + 0.002, `rank ${rank}: ${observed} vs ${expected}`);
  }
  // Skewed: the top 10% of the records get well over half of the draws.
  const top = c.slice(0, 100).reduce((a, b) => a + b, 0) / DRAWS;
  assert.ok(top > 0.6, `top 10% share ${top}`);
  const decile = (d: number) => c.slice(d * 100, d * 100 + 100).reduce((a, b) => a + b, 0);
  for (let d = 1; d < 10; d++) assert.ok(decile(d) <= decile(d - 1), `decile ${d} is not more popular than decile ${d - 1}`);
});

test('scrambled zipfian: just as skewed, but the popular records are spread over the key space', () => {
  const n = 1000;
  const chooser = new ScrambledZipfianChooser(SimRandom.fromSeed(5), () => n);
  const scrambled = counts(() => chooser.next(), n);
  const sorted = [...scrambled].sort((a, b) => b - a);
  assert.ok(sorted.slice(0, 100).reduce((a, b) => a + b, 0) / DRAWS > 0.6, 'still skewed');
  const hottest = scrambled.indexOf(sorted[0]!);
  assert.equal(hottest, Number(fnv1a64(0) % BigInt(n)), 'the most popular record is the hash of zipfian rank 0');
  // The ten hottest records are not the ten smallest numbers.
  const hot10 = scrambled.map((count, record) => [count, record] as const).sort((a, b) => b[0] - a[0]).slice(0, 10).map(([, r]) => r);
  assert.ok(hot10.some((r) => r >= 10), `hot records ${hot10}`);
});

test('latest: the newest record is the most popular, and popularity follows inserts', () => {
  const records = { count: 1000 };
  const chooser = new LatestChooser(SimRandom.fromSeed(6), () => records.count);
  let newest = 0;
  for (let i = 0; i < 10_000; i++) if (chooser.next() === records.count - 1) newest++;
  assert.ok(newest / 10_000 > 0.1, `newest share ${newest / 10_000}`);
  records.count = 1500;
  let newestAfter = 0;
  let oldNewest = 0;
  for (let i = 0; i < 10_000; i++) {
    const r = chooser.next();
    if (r === 1499) newestAfter++;
    if (r === 999) oldNewest++;
  }
  assert.ok(newestAfter > 10 * Math.max(1, oldNewest), `after inserts: newest ${newestAfter}, old newest ${oldNewest}`);
});

test("keys are YCSB's: user + the FNV-1a hash of the record number, distinct and stable", () => {
  assert.match(recordKey(0), /^user\d+$/);
  assert.ok(fnv1a64(7) < 1n << 63n, 'non-negative as a Java long');
  const keys = new Set(Array.from({ length: 10_000 }, (_, i) => recordKey(i)));
  assert.equal(keys.size, 10_000);
  assert.equal(recordKey(42), recordKey(42));
});
