/**
 * The human-readable page of one `pegasus bench` run: parameters, the per-workload table of every system,
 * pegasus-ts's ratios against its peers, where the CPU went, and the errors.
 */
import type { BenchReport, CellResult, ProcessCpu, SystemEntry } from './bench-result.ts';
import type { WorkloadName } from './ycsb-workloads.ts';

/** YCSB's meaning of each core workload, short enough for a table cell or a chart axis label. */
export const WORKLOAD_MIX: Readonly<Record<WorkloadName, string>> = {
  A: '50/50 read/update',
  B: '95/5 read/update',
  C: '100% read',
  D: '95/5 read latest/insert',
  E: '95/5 scan/insert',
  F: '50/50 read/read-modify-write',
};

const NO_RESULT = '—';

export function workloadTitle(workload: WorkloadName): string {
  return `${workload} (${WORKLOAD_MIX[workload]})`;
}

export function isPegasusSystem(system: SystemEntry): boolean {
  return system.id.startsWith('pegasus');
}

export function ranSystems(report: BenchReport): SystemEntry[] {
  return report.systems.filter((s) => s.skipped === undefined);
}

export function findCell(report: BenchReport, workload: WorkloadName, systemId: string): CellResult | undefined {
  return report.cells.find((c) => c.workload === workload && c.systemId === systemId);
}

const wholeNumber = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatOpsPerSec(opsPerSec: number): string {
  // Below 100 ops/s the fraction still says something (a stalled system); above, it is noise.
  return opsPerSec < 100 ? oneDecimal.format(opsPerSec) : wholeNumber.format(opsPerSec);
}

/** Milliseconds with about two or three significant digits: 0.45, 3.21, 12.3, 1,234. */
export function formatLatencyMs(latencyUs: number): string {
  const latencyMs = latencyUs / 1000;
  if (latencyMs < 10) return latencyMs.toFixed(2);
  if (latencyMs < 100) return latencyMs.toFixed(1);
  return wholeNumber.format(latencyMs);
}

export function formatRatio(numerator: number, denominator: number): string {
  if (!(denominator > 0) || !Number.isFinite(numerator)) return NO_RESULT;
  return `${(numerator / denominator).toFixed(2)}×`;
}

/** A system label or process name inside a table cell: a bare `|` would end the cell. */
function cellText(text: string): string {
  return text.replaceAll('|', '\\|');
}

function table(header: readonly string[], numericFrom: number, rows: readonly (readonly string[])[]): string[] {
  const align = header.map((_, i) => (i >= numericFrom ? '---:' : ':---'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
}

function parametersLine(report: BenchReport): string {
  const { machine, parameters: p } = report;
  const runLength =
    p.operationCount === undefined
      ? `run ${p.durationSec} s`
      : `run ${wholeNumber.format(p.operationCount)} operations or ${p.durationSec} s`;
  const parts = [
    report.date,
    `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}`,
    `${wholeNumber.format(p.recordCount)} records`,
    `${p.fieldCount} fields × ${p.fieldLength} B`,
    `${p.processes} load-generator processes × ${p.concurrency} in flight`,
    `${runLength} after ${p.warmupSec} s warm-up`,
    ...(p.distribution === undefined ? [] : [`distribution ${p.distribution} (all workloads)`]),
    `quick: ${p.quick ? 'yes' : 'no'}`,
    `profile: ${p.profile ? 'yes' : 'no'}`,
  ];
  return parts.join(' · ');
}

function mainTable(report: BenchReport): string[] {
  const systems = ranSystems(report);
  const header = ['Workload', 'System', 'ops/s', 'p50 ms', 'p99 ms', 'p999 ms'];
  const rows = report.parameters.workloads.flatMap((workload) =>
    systems.map((s, i) => {
      // The workload's name once per group of rows, so the table reads as workload × system.
      const first = i === 0 ? workloadTitle(workload) : '';
      const cell = findCell(report, workload, s.id);
      if (cell === undefined) return [first, cellText(s.label), NO_RESULT, NO_RESULT, NO_RESULT, NO_RESULT];
      // With no successful operation the histogram is empty and its zeros would read as "instant".
      const latencies = cell.latency.count === 0 ? [NO_RESULT, NO_RESULT, NO_RESULT] : [cell.latency.p50Us, cell.latency.p99Us, cell.latency.p999Us].map(formatLatencyMs);
      return [first, cellText(s.label), formatOpsPerSec(cell.opsPerSec), ...latencies];
    }),
  );
  return table(header, 2, rows);
}

/**
 * Each pair once: a pegasus-ts system against every non-pegasus system and the pegasus-ts systems after it,
 * so `pegasus1 ÷ pegasus3` is shown but not also its inverse.
 */
function peersOf(report: BenchReport, pegasus: SystemEntry): SystemEntry[] {
  const systems = ranSystems(report);
  const position = systems.indexOf(pegasus);
  return systems.filter((s, i) => s !== pegasus && (!isPegasusSystem(s) || i > position));
}

function ratioTables(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const pegasus of ranSystems(report).filter(isPegasusSystem)) {
    const peers = peersOf(report, pegasus);
    if (peers.length === 0) continue;
    const header = ['Workload', ...peers.flatMap((peer) => [`ops/s ÷ ${cellText(peer.label)}`, `p99 ÷ ${cellText(peer.label)}`])];
    const rows = report.parameters.workloads.map((workload) => {
      const mine = findCell(report, workload, pegasus.id);
      return [
        workloadTitle(workload),
        ...peers.flatMap((peer) => {
          const theirs = findCell(report, workload, peer.id);
          if (mine === undefined || theirs === undefined) return [NO_RESULT, NO_RESULT];
          const p99Known = mine.latency.count > 0 && theirs.latency.count > 0;
          return [formatRatio(mine.opsPerSec, theirs.opsPerSec), p99Known ? formatRatio(mine.latency.p99Us, theirs.latency.p99Us) : NO_RESULT];
        }),
      ];
    });
    lines.push(`### ${pegasus.label} versus peers`, '', ...table(header, 1, rows), '');
  }
  if (lines.length === 0) return ['No pegasus-ts system ran next to a peer.'];
  lines.push('Throughput ratio: ops/s of pegasus-ts ÷ ops/s of the peer, higher is better for pegasus-ts. p99 ratio: p99 of pegasus-ts ÷ p99 of the peer, lower is better for pegasus-ts.');
  return lines;
}

function cpuList(processes: readonly ProcessCpu[]): string {
  if (processes.length === 0) return NO_RESULT;
  return processes.map((p) => `${cellText(p.process)} ${Math.round(p.cpuPercent)}%`).join(', ');
}

function cpuTable(report: BenchReport): string[] {
  const header = ['Workload', 'System', 'Servers', 'Load generators', 'Total %'];
  const rows: string[][] = [];
  for (const workload of report.parameters.workloads) {
    for (const system of ranSystems(report)) {
      const cell = findCell(report, workload, system.id);
      if (cell === undefined) continue;
      const totalPercent = cell.cpu.reduce((sum, p) => sum + p.cpuPercent, 0);
      rows.push([
        workloadTitle(workload),
        cellText(system.label),
        cpuList(cell.cpu.filter((p) => p.kind === 'server')),
        cpuList(cell.cpu.filter((p) => p.kind === 'load-generator')),
        `${Math.round(totalPercent)}%`,
      ]);
    }
  }
  const coresPercent = report.machine.cpus * 100;
  return [
    `CPU of each process over the run phase, in % of one core. Servers and load generators share this machine's ${report.machine.cpus} cores (${coresPercent}% in all), so a total near ${coresPercent}% means the machine, not the system, was the limit.`,
    '',
    ...(rows.length === 0 ? ['No cell ran.'] : table(header, 4, rows)),
  ];
}

function errorLines(report: BenchReport): string[] {
  const labels = new Map(report.systems.map((s) => [s.id, s.label]));
  const failing = report.cells.filter((c) => c.errors > 0);
  if (failing.length === 0) return ['No operation failed.'];
  return failing.map(
    (c) => `- ${workloadTitle(c.workload)}, ${labels.get(c.systemId) ?? c.systemId}: ${wholeNumber.format(c.errors)} errors of ${wholeNumber.format(c.operations)} operations`,
  );
}

/**
 * The report as GitHub-flavoured Markdown. `chartPath`, when given, is the chart's path relative to the
 * Markdown file; the chart is left out otherwise, so the page never links to a file that was not written.
 */
export function renderMarkdown(report: BenchReport, chartPath?: string): string {
  const skipped = report.systems.filter((s) => s.skipped !== undefined);
  const lines = [
    '# YCSB benchmark: pegasus-ts, etcd and Redis',
    '',
    parametersLine(report),
    ...(skipped.length === 0 ? [] : ['', `skipped: ${skipped.map((s) => `${s.label} — ${s.skipped}`).join('; ')}`]),
    '',
    ...(chartPath === undefined ? [] : [`![throughput and p99](${chartPath})`, '']),
    '## Throughput and latency',
    '',
    ...mainTable(report),
    '',
    `Latencies of successful operations in milliseconds; ${NO_RESULT} where a system has no result for the workload.`,
    '',
    '## pegasus-ts against its peers',
    '',
    ...ratioTables(report),
    '',
    '## CPU',
    '',
    ...cpuTable(report),
    '',
    '## Errors',
    '',
    ...errorLines(report),
    '',
  ];
  return lines.join('\n');
}
