/**
 * `pegasus bench` end to end on a small scale: real load-generator processes against a real pegasus-ts onebox
 * and a real Redis, the report files, and the coordinator's handling of systems that cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from '../../src/bench/bench-result.ts';
import type { BenchSystem } from '../../src/bench/bench-target.ts';
import { runBench } from '../../src/bench/coordinator.ts';
import { ProgressLine } from '../../src/bench/progress-line.ts';

const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;

test('pegasus bench drives pegasus-ts and Redis with the same load generators and writes the report', () => {
  const out = mkdtempSync(join(tmpdir(), 'pegasus-bench-out-'));
  try {
    const args = ['bench', '--systems', 'pegasus1,redis', '--workloads', 'A,E', '--record-count', '300', '--duration', '1', '--warmup', '0', '--processes', '2', '--concurrency', '4', '--out', out, '--work-dir', out];
    const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /pegasus-ts \(1 replica\): loaded 300 records/);
    assert.match(result.stdout, /\| Workload \| System \| ops\/s \| p50 ms \| p99 ms \| p999 ms \|/);

    const report = JSON.parse(readFileSync(join(out, 'ycsb.json'), 'utf8')) as BenchReport;
    assert.deepEqual(report.systems.map((s) => [s.id, s.skipped]), [['pegasus1', undefined], ['redis', undefined]]);
    assert.deepEqual(report.cells.map((c) => `${c.systemId} ${c.workload}`), ['pegasus1 A', 'pegasus1 E', 'redis A', 'redis E']);
    for (const cell of report.cells) {
      const where = `${cell.systemId} ${cell.workload}`;
      assert.ok(cell.operations > 0, where);
      assert.equal(cell.errors, 0, where);
      assert.equal(cell.latency.count, cell.operations, where);
      assert.ok(cell.opsPerSec > 0 && cell.latency.p50Us > 0 && cell.latency.p99Us >= cell.latency.p50Us, where);
      const kinds = Object.keys(cell.byOperation).sort();
      assert.deepEqual(kinds, cell.workload === 'A' ? ['read', 'update'] : ['insert', 'scan'], where);
      assert.deepEqual(cell.cpu.filter((c) => c.kind === 'load-generator').map((c) => c.process), ['loadgen1', 'loadgen2'], where);
      const servers = cell.cpu.filter((c) => c.kind === 'server').map((c) => c.process);
      assert.deepEqual(servers, cell.systemId === 'redis' ? ['redis'] : ['meta1', 'replica1', 'replica2', 'replica3'], where);
    }
    assert.ok(readFileSync(join(out, 'ycsb.svg'), 'utf8').startsWith('<svg'));
    assert.match(readFileSync(join(out, 'ycsb.md'), 'utf8'), /pegasus-ts \(1 replica\) versus peers/);
    // Every server was stopped and its work folder (data, configs, logs) removed: only the report is left.
    assert.deepEqual(readdirSync(out).sort(), ['ycsb.json', 'ycsb.md', 'ycsb.svg']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a system that is not installed or fails to start is reported as skipped, with why, and the run goes on', async () => {
  const notInstalled: BenchSystem = { id: 'ghost', label: 'Ghost DB', unavailableReason: async () => 'ghost-server is not installed (apt-get install ghost-server)', start: () => assert.fail('must not start') };
  const broken: BenchSystem = {
    id: 'broken',
    label: 'Broken DB',
    unavailableReason: async () => undefined,
    start: async () => {
      throw new Error('exited with code 1 while starting\nlast lines of its log: ...');
    },
  };
  const lines: string[] = [];
  const sink = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
  const report = await runBench({
    parameters: { workloads: ['C'], recordCount: 10, fieldCount: 1, fieldLength: 10, processes: 1, concurrency: 1, durationSec: 1, warmupSec: 0, quick: false, profile: false },
    systems: [notInstalled, broken],
    profileDir: tmpdir(),
    seed: 1,
    progress: new ProgressLine(sink),
  });
  assert.deepEqual(report.systems, [
    { id: 'ghost', label: 'Ghost DB', skipped: 'ghost-server is not installed (apt-get install ghost-server)' },
    { id: 'broken', label: 'Broken DB', skipped: 'failed: exited with code 1 while starting' },
  ]);
  assert.deepEqual(report.cells, []);
  assert.ok(lines.some((l) => l.includes('Ghost DB: skipped — ghost-server is not installed')));
  assert.ok(lines.some((l) => l.includes('Broken DB: failed — exited with code 1 while starting')));
});
