/** Saves one run's report next to each other: the Markdown page, the chart it shows, and the JSON record. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport } from './bench-result.ts';
import { renderChartSvg } from './report-chart.ts';
import { renderMarkdown } from './report-markdown.ts';

const CHART_FILE = 'ycsb.svg';

export async function writeReport(report: BenchReport, outDir: string): Promise<{ markdown: string; svg: string; json: string }> {
  await mkdir(outDir, { recursive: true });
  const paths = { markdown: join(outDir, 'ycsb.md'), svg: join(outDir, CHART_FILE), json: join(outDir, 'ycsb.json') };
  // The chart is rendered before anything is written, so a Vega failure leaves no page linking to a missing chart.
  const svg = await renderChartSvg(report);
  await writeFile(paths.svg, svg);
  await writeFile(paths.markdown, renderMarkdown(report, CHART_FILE));
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  return paths;
}
