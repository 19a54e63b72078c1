/** The bench report: Markdown tables, the Vega chart and the files, from a hand-built run with known numbers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport, CellResult, ProcessCpu } from '../../src/bench/bench-result.ts';
import type { LatencySummary } from '../../src/bench/latency-recorder.ts';
import type { WorkloadName } from '../../src/bench/ycsb-workloads.ts';
import { renderMarkdown } from '../../src/bench/report-markdown.ts';
import { renderChartSvg } from '../../src/bench/report-chart.ts';
import { writeReport } from '../../src/bench/report-files.ts';

function latency(p50Us: number, p99Us: number, p999Us: number, count = 1000): LatencySummary {
  return { count, meanUs: p50Us, p50Us, p95Us: p99Us, p99Us, p999Us, maxUs: p999Us * 2 };
}

function cell(workload: WorkloadName, systemId: string, opsPerSec: number, summary: LatencySummary, cpu: ProcessCpu[], errors = 0): CellResult {
  return { workload, systemId, operations: opsPerSec * 10, errors, durationSec: 10, opsPerSec, latency: summary, byOperation: { read: summary }, cpu };
}

const server = (process: string, cpuPercent: number): ProcessCpu => ({ process, kind: 'server', cpuPercent });
const loadgen = (process: string, cpuPercent: number): ProcessCpu => ({ process, kind: 'load-generator', cpuPercent });

const REPORT: BenchReport = {
  bench: 'ycsb',
  date: '2025-03-01T10:00:00.000Z',
  machine: { cpus: 2, cpuModel: 'Test CPU @ 2.0GHz', node: 'v20.20.2', memoryGiB: 8 },
  parameters: {
    workloads: ['A', 'C'],
    recordCount: 100_000,
    fieldCount: 10,
    fieldLength: 100,
    processes: 2,
    concurrency: 16,
    durationSec: 30,
    warmupSec: 5,
    quick: false,
    profile: false,
  },
  systems: [
    { id: 'pegasus1', label: 'pegasus-ts (1 replica)', skipped: 'meta server did not start: port in use' },
    { id: 'pegasus3', label: 'pegasus-ts (3 replicas)' },
    { id: 'etcd', label: 'etcd 3.4 (3 members)' },
    { id: 'redis', label: 'Redis 7.0 (AOF everysec)' },
  ],
  cells: [
    cell('A', 'pegasus3', 20_000, latency(1_234, 4_560, 15_000), [server('meta1', 12.4), server('replica1', 80), loadgen('loadgen1', 95.2), loadgen('loadgen2', 93)], 3),
    cell('A', 'etcd', 10_000, latency(2_500, 9_120, 30_000), [server('etcd1', 110), loadgen('loadgen1', 40), loadgen('loadgen2', 41)]),
    cell('A', 'redis', 40_000, latency(400, 2_280, 123_456), [server('redis', 60), loadgen('loadgen1', 70), loadgen('loadgen2', 69)]),
    cell('C', 'pegasus3', 30_000, latency(900, 3_000, 8_000), [server('meta1', 5), server('replica1', 90), loadgen('loadgen1', 50), loadgen('loadgen2', 50)]),
    cell('C', 'etcd', 12_000, latency(2_000, 6_000, 20_000), [server('etcd1', 120), loadgen('loadgen1', 30), loadgen('loadgen2', 30)]),
    cell('C', 'redis', 60_000, latency(300, 1_500, 4_000), [server('redis', 70), loadgen('loadgen1', 60), loadgen('loadgen2', 60)]),
  ],
};

/** The rows of the Markdown table whose header starts with `headerStart`, as header → cell maps. */
function tableRows(markdown: string, headerStart: string): Array<Map<string, string>> {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`| ${headerStart}`));
  assert.ok(at >= 0, `no table starting with ${headerStart}`);
  const split = (line: string): string[] => line.slice(2, -2).split(' | ');
  const header = split(lines[at]!);
  // Text columns left-aligned, then numeric columns right-aligned.
  assert.match(lines[at + 1]!, /^\|( :--- \|)+( ---: \|)+$/);
  const rows: Array<Map<string, string>> = [];
  for (let i = at + 2; lines[i]?.startsWith('|'); i++) {
    const cells = split(lines[i]!);
    assert.equal(cells.length, header.length, lines[i]);
    rows.push(new Map(header.map((h, j) => [h, cells[j]!])));
  }
  return rows;
}

test('the main table has a row per workload × system with ops/s and latencies in ms', () => {
  const markdown = renderMarkdown(REPORT);
  const rows = tableRows(markdown, 'Workload | System | ops/s');
  // The workload is named on its first row only; the rows below it belong to it.
  assert.deepEqual(
    rows.map((r) => [r.get('Workload'), r.get('System')]),
    [
      ['A (50/50 read/update)', 'pegasus-ts (3 replicas)'],
      ['', 'etcd 3.4 (3 members)'],
      ['', 'Redis 7.0 (AOF everysec)'],
      ['C (100% read)', 'pegasus-ts (3 replicas)'],
      ['', 'etcd 3.4 (3 members)'],
      ['', 'Redis 7.0 (AOF everysec)'],
    ],
  );
  const [aPegasus, aEtcd, aRedis, , cEtcd, cRedis] = rows;
  assert.equal(aPegasus!.get('ops/s'), '20,000');
  assert.equal(aPegasus!.get('p50 ms'), '1.23');
  assert.equal(aPegasus!.get('p99 ms'), '4.56');
  assert.equal(aPegasus!.get('p999 ms'), '15.0');
  assert.equal(aEtcd!.get('ops/s'), '10,000');
  assert.equal(aEtcd!.get('p99 ms'), '9.12');
  assert.equal(aRedis!.get('p50 ms'), '0.40');
  assert.equal(aRedis!.get('p999 ms'), '123');
  assert.equal(cRedis!.get('ops/s'), '60,000');
  assert.equal(cEtcd!.get('p999 ms'), '20.0');
  // The skipped system gets no rows.
  assert.ok(!rows.some((r) => r.get('System')!.includes('1 replica')));
  assert.ok(markdown.includes(`| :--- | :--- |${' ---: |'.repeat(4)}\n`), 'every numeric column right-aligned');
  assert.match(markdown, /^# /);
  assert.ok(markdown.includes('100,000 records · 10 fields × 100 B · 2 load-generator processes × 16 in flight · run 30 s after 5 s warm-up'));
  assert.ok(markdown.includes('2 × Test CPU @ 2.0GHz, 8 GiB, node v20.20.2'));
});

test('a workload a system has no result for shows a dash', () => {
  const report: BenchReport = { ...REPORT, cells: REPORT.cells.filter((c) => !(c.workload === 'C' && c.systemId === 'etcd')) };
  const cEtcd = tableRows(renderMarkdown(report), 'Workload | System | ops/s')[4]!;
  assert.equal(cEtcd.get('System'), 'etcd 3.4 (3 members)');
  assert.equal(cEtcd.get('ops/s'), '—');
  assert.equal(cEtcd.get('p99 ms'), '—');
  const ratios = tableRows(renderMarkdown(report), 'Workload | ops/s ÷ etcd')[1]!;
  assert.equal(ratios.get('ops/s ÷ etcd 3.4 (3 members)'), '—');
  assert.equal(ratios.get('ops/s ÷ Redis 7.0 (AOF everysec)'), '0.50×');
});

test('the ratio table divides pegasus-ts by each peer, for throughput and p99', () => {
  const markdown = renderMarkdown(REPORT);
  assert.ok(markdown.includes('### pegasus-ts (3 replicas) versus peers'));
  const [a, c] = tableRows(markdown, 'Workload | ops/s ÷ etcd');
  assert.equal(a!.get('ops/s ÷ etcd 3.4 (3 members)'), '2.00×');
  assert.equal(a!.get('p99 ÷ etcd 3.4 (3 members)'), '0.50×');
  assert.equal(a!.get('ops/s ÷ Redis 7.0 (AOF everysec)'), '0.50×');
  assert.equal(a!.get('p99 ÷ Redis 7.0 (AOF everysec)'), '2.00×');
  assert.equal(c!.get('ops/s ÷ etcd 3.4 (3 members)'), '2.50×');
  assert.equal(c!.get('p99 ÷ etcd 3.4 (3 members)'), '0.50×');
  assert.equal(c!.get('ops/s ÷ Redis 7.0 (AOF everysec)'), '0.50×');
  assert.equal(c!.get('p99 ÷ Redis 7.0 (AOF everysec)'), '2.00×');
  assert.match(markdown, /p99 of pegasus-ts ÷ p99 of the peer, lower is better/);
});

test('two pegasus-ts systems are compared with each other once, not both ways', () => {
  const report: BenchReport = {
    ...REPORT,
    systems: REPORT.systems.map((s) => (s.id === 'pegasus1' ? { id: s.id, label: s.label } : s)),
    cells: [...REPORT.cells, cell('A', 'pegasus1', 50_000, latency(500, 2_000, 5_000), [])],
  };
  const markdown = renderMarkdown(report);
  assert.ok(markdown.includes('### pegasus-ts (1 replica) versus peers'));
  const a = tableRows(markdown, 'Workload | ops/s ÷ pegasus-ts (3 replicas)')[0]!;
  assert.equal(a.get('ops/s ÷ pegasus-ts (3 replicas)'), '2.50×');
  assert.equal(a.get('ops/s ÷ etcd 3.4 (3 members)'), '5.00×');
  assert.ok(!markdown.includes('ops/s ÷ pegasus-ts (1 replica)'));
});

test('skipped systems are listed with their reason', () => {
  assert.ok(renderMarkdown(REPORT).includes('skipped: pegasus-ts (1 replica) — meta server did not start: port in use'));
  const none: BenchReport = { ...REPORT, systems: REPORT.systems.slice(1) };
  assert.ok(!renderMarkdown(none).includes('skipped:'));
});

test('the CPU table lists every server and load-generator process in % of one core', () => {
  const markdown = renderMarkdown(REPORT);
  const rows = tableRows(markdown, 'Workload | System | Servers');
  assert.equal(rows.length, 6);
  const pegasusA = rows.find((r) => r.get('Workload') === 'A (50/50 read/update)' && r.get('System') === 'pegasus-ts (3 replicas)')!;
  assert.equal(pegasusA.get('Servers'), 'meta1 12%, replica1 80%');
  assert.equal(pegasusA.get('Load generators'), 'loadgen1 95%, loadgen2 93%');
  assert.equal(pegasusA.get('Total %'), '281%');
  const etcdC = rows.find((r) => r.get('Workload') === 'C (100% read)' && r.get('System') === 'etcd 3.4 (3 members)')!;
  assert.equal(etcdC.get('Servers'), 'etcd1 120%');
  assert.ok(markdown.includes("share this machine's 2 cores (200% in all)"));
});

test('cells with errors are listed with their count', () => {
  const markdown = renderMarkdown(REPORT);
  const errors = markdown.slice(markdown.indexOf('## Errors'));
  assert.ok(errors.includes('- A (50/50 read/update), pegasus-ts (3 replicas): 3 errors of 200,000 operations'));
  assert.equal(errors.split('\n').filter((l) => l.startsWith('- ')).length, 1);
  const clean: BenchReport = { ...REPORT, cells: REPORT.cells.map((c) => ({ ...c, errors: 0 })) };
  assert.ok(renderMarkdown(clean).includes('No operation failed.'));
});

test('the chart is an SVG with a bar per cell in each panel, the system labels and the workloads', async () => {
  const svg = await renderChartSvg(REPORT);
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
  for (const label of ['pegasus-ts (3 replicas)', 'etcd 3.4 (3 members)', 'Redis 7.0 (AOF everysec)']) assert.ok(svg.includes(label), label);
  assert.ok(!svg.includes('1 replica'), 'a skipped system has no bars nor legend entry');
  for (const workload of ['A', 'C']) assert.ok(svg.includes(`>${workload}</tspan>`), `workload ${workload} on the axis`);
  assert.ok(svg.includes('50/50 read/update') && svg.includes('100% read'));
  // Each bar carries its value as an accessible description; 2 workloads × 3 systems in each panel.
  const throughputBars = svg.match(/aria-label="[AC] · [^"]+: [^"]+ ops\/s"/g) ?? [];
  const p99Bars = svg.match(/aria-label="[AC] · [^"]+: [^"]+ ms"/g) ?? [];
  assert.equal(throughputBars.length, 6);
  assert.equal(p99Bars.length, 6);
  assert.ok(svg.includes('aria-label="A · pegasus-ts (3 replicas): 20k ops/s"'));
  assert.ok(svg.includes('aria-label="C · Redis 7.0 (AOF everysec): 1.5 ms"'));
  for (const title of ['Throughput (ops/s', 'p99 latency (ms']) assert.ok(svg.includes(title), title);
});

test('writeReport writes the page, the chart and the JSON that parses back to the report', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pegasus-report-'));
  try {
    const outDir = join(dir, 'nested', 'out');
    const paths = await writeReport(REPORT, outDir);
    assert.deepEqual(paths, { markdown: join(outDir, 'ycsb.md'), svg: join(outDir, 'ycsb.svg'), json: join(outDir, 'ycsb.json') });
    const markdown = await readFile(paths.markdown, 'utf8');
    assert.ok(markdown.includes('![throughput and p99](ycsb.svg)'));
    assert.equal(markdown, renderMarkdown(REPORT, 'ycsb.svg'));
    assert.ok((await readFile(paths.svg, 'utf8')).startsWith('<svg'));
    assert.deepEqual(JSON.parse(await readFile(paths.json, 'utf8')), REPORT);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
