/**
 * The report's chart: throughput and p99 latency per workload, one bar per system, as an SVG drawn by Vega
 * (a hand-written Vega spec; vega-lite's current major needs Node 22). Two panels stacked, sharing the
 * workload axis layout and one colour legend.
 */
import * as vega from 'vega';
import type { BenchReport } from './bench-result.ts';
import { findCell, ranSystems, WORKLOAD_MIX } from './report-markdown.ts';

/** One bar of a panel. */
interface BarDatum {
  /** The workload's axis label; `letter` names it in the bar's accessible description. */
  readonly workload: string;
  readonly letter: string;
  readonly system: string;
  readonly value: number;
}

const PANEL_HEIGHT_PX = 220;
/** Room under a panel for its two-line workload labels, the axis title and the next panel's title. */
const PANEL_GAP_PX = 100;
const BAR_WIDTH_PX = 26;
const WORKLOAD_GAP_PX = 36;
/** Wide enough for the longest two-line workload label (`50/50 read/read-modify-write`) at 11 px. */
const MIN_WORKLOAD_BAND_PX = 165;
const MIN_PANEL_WIDTH_PX = 420;

function workloadAxisLabel(workload: keyof typeof WORKLOAD_MIX): string {
  // Vega draws a text whose value is an array as one line per element; `\n` in a plain string is not split.
  return `${workload}\n${WORKLOAD_MIX[workload]}`;
}

/**
 * One panel: a group mark faceted by workload on the outer band scale, with an inner band scale placing each
 * system's bar inside the workload's band (Vega's grouped bar chart).
 */
function panel(options: {
  name: string;
  title: string;
  yTitle: string;
  yFormat: string;
  data: string;
  yScale: string;
  top: number;
  width: number;
  systems: readonly string[];
  /** d3-format specifier of the value printed above each bar and in its description. */
  valueFormat: string;
  unit: string;
}): vega.GroupMark {
  return {
    type: 'group',
    name: `${options.name}-panel`,
    title: { text: options.title, anchor: 'start', fontSize: 13 },
    encode: { enter: { x: { value: 0 }, y: { value: options.top }, width: { value: options.width }, height: { value: PANEL_HEIGHT_PX } } },
    axes: [
      // One width for both panels' y axes, so the panels and their titles line up.
      { orient: 'left', scale: options.yScale, title: options.yTitle, format: options.yFormat, grid: true, tickCount: 6, minExtent: 56 },
      {
        orient: 'bottom',
        scale: 'workload',
        title: 'YCSB workload',
        labelFontSize: 11,
        // Vega truncates long labels with an ellipsis by default; the workload's mix is the point of the label.
        labelLimit: 0,
        encode: { labels: { update: { text: { signal: "split(datum.value, '\\n')" } } } },
      },
    ],
    marks: [
      {
        type: 'group',
        from: { facet: { data: options.data, name: `${options.name}-facet`, groupby: 'workload' } },
        encode: { enter: { x: { scale: 'workload', field: 'workload' } } },
        signals: [{ name: 'width', update: "bandwidth('workload')" }],
        scales: [{ name: 'system-offset', type: 'band', range: 'width', domain: [...options.systems], paddingInner: 0.08 }],
        marks: [
          {
            type: 'rect',
            name: `${options.name}-bars`,
            from: { data: `${options.name}-facet` },
            encode: {
              enter: {
                x: { scale: 'system-offset', field: 'system' },
                width: { scale: 'system-offset', band: 1 },
                y: { scale: options.yScale, field: 'value' },
                // A log scale has no 0: bars start at the panel's bottom edge.
                y2: { value: PANEL_HEIGHT_PX },
                fill: { scale: 'color', field: 'system' },
                description: { signal: `datum.letter + ' · ' + datum.system + ': ' + format(datum.value, '${options.valueFormat}') + ' ${options.unit}'` },
              },
            },
          },
          {
            type: 'text',
            from: { data: `${options.name}-bars` },
            encode: {
              enter: {
                x: { field: 'x' },
                dx: { field: 'width', mult: 0.5 },
                y: { field: 'y', offset: -3 },
                align: { value: 'center' },
                baseline: { value: 'bottom' },
                fontSize: { value: 9 },
                fill: { value: '#333' },
                // Text marks over the bars' scenegraph items: the bar's own datum is `datum.datum`.
                text: { signal: `format(datum.datum.value, '${options.valueFormat}')` },
              },
            },
          },
        ],
      },
    ],
  };
}

function chartSpec(report: BenchReport): vega.Spec {
  const systems = ranSystems(report);
  const systemLabels = systems.map((s) => s.label);
  // Colours follow every configured system, skipped or not, so a system keeps its colour from run to run.
  const colourDomain = report.systems.map((s) => s.label);
  const workloadLabels = report.parameters.workloads.map(workloadAxisLabel);
  const throughput: BarDatum[] = [];
  const p99: BarDatum[] = [];
  for (const workload of report.parameters.workloads) {
    for (const system of systems) {
      const cell = findCell(report, workload, system.id);
      if (cell === undefined) continue;
      // A log axis cannot show 0 ops/s: no bar, as for a missing result (the table says it).
      if (cell.opsPerSec > 0) throughput.push({ workload: workloadAxisLabel(workload), letter: workload, system: system.label, value: cell.opsPerSec });
      // An empty histogram's p99 of 0 would draw as "instant"; no bar says "no result" instead.
      if (cell.latency.count > 0) p99.push({ workload: workloadAxisLabel(workload), letter: workload, system: system.label, value: cell.latency.p99Us / 1000 });
    }
  }
  const bandWidthPx = Math.max(MIN_WORKLOAD_BAND_PX, Math.max(1, systems.length) * BAR_WIDTH_PX + WORKLOAD_GAP_PX);
  const panelWidthPx = Math.max(MIN_PANEL_WIDTH_PX, workloadLabels.length * bandWidthPx);
  const p = report.parameters;
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    background: 'white',
    padding: 16,
    autosize: 'pad',
    width: panelWidthPx,
    height: 2 * PANEL_HEIGHT_PX + PANEL_GAP_PX,
    title: {
      text: 'YCSB: pegasus-ts, etcd and Redis',
      // Two short lines: without canvas, Vega estimates text wider than drawn and a long line widens the SVG.
      subtitle: [
        `${p.recordCount.toLocaleString('en-US')} records of ${p.fieldCount} × ${p.fieldLength} B · ${p.processes} load generators × ${p.concurrency} in flight · ${p.durationSec} s per workload`,
        `${report.machine.cpus} cores shared by the servers and the load generators`,
      ],
      anchor: 'start',
      fontSize: 16,
      subtitleFontSize: 11,
      offset: 28,
    },
    data: [
      { name: 'throughput', values: throughput },
      { name: 'p99', values: p99 },
    ],
    scales: [
      { name: 'workload', type: 'band', domain: workloadLabels, range: 'width', paddingInner: 0.2, paddingOuter: 0.1 },
      { name: 'color', type: 'ordinal', domain: colourDomain, range: { scheme: 'tableau10' } },
      // Log scales: the systems differ by up to three orders of magnitude (Redis against etcd's scans), and
      // on a linear axis the largest bar flattens every other one.
      { name: 'y-throughput', type: 'log', domain: { data: 'throughput', field: 'value' }, range: [PANEL_HEIGHT_PX, 0], nice: true },
      { name: 'y-p99', type: 'log', domain: { data: 'p99', field: 'value' }, range: [PANEL_HEIGHT_PX, 0], nice: true },
    ],
    // Vega's own legend description would list the whole colour domain, skipped systems included.
    legends: [{ fill: 'color', values: systemLabels, description: `Systems: ${systemLabels.join(', ')}`, title: 'System', orient: 'right', labelFontSize: 11, labelLimit: 260 }],
    marks: [
      panel({
        name: 'throughput',
        title: 'Throughput (ops/s, log scale, higher is better)',
        yTitle: 'ops/s',
        yFormat: ',~f',
        data: 'throughput',
        yScale: 'y-throughput',
        top: 0,
        width: panelWidthPx,
        systems: systemLabels,
        valueFormat: '.3~s',
        unit: 'ops/s',
      }),
      panel({
        name: 'p99',
        title: 'p99 latency (ms, log scale, lower is better)',
        yTitle: 'p99 ms',
        yFormat: '~r',
        data: 'p99',
        yScale: 'y-p99',
        top: PANEL_HEIGHT_PX + PANEL_GAP_PX,
        width: panelWidthPx,
        systems: systemLabels,
        valueFormat: '.3~r',
        unit: 'ms',
      }),
    ],
  };
}

export async function renderChartSvg(report: BenchReport): Promise<string> {
  const view = new vega.View(vega.parse(chartSpec(report)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
