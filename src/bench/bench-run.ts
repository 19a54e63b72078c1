/**
 * One `pegasus bench` run once its parameters are checked: every system in turn, then the report (Markdown
 * on stdout and in <out>/ycsb.md, the chart, the JSON) and, in profile mode, each server's hot spots.
 */
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BenchSelection } from './bench-command.ts';
import { runBench } from './coordinator.ts';
import { readHotSpots } from './profile-summary.ts';
import { ProgressLine } from './progress-line.ts';
import { writeReport } from './report-files.ts';
import { renderMarkdown } from './report-markdown.ts';

/** Functions listed per server profile. */
const PROFILE_HOT_SPOTS = 12;

/** Returns the exit code: 1 when no system could run. */
export async function runBenchCommand(plan: BenchSelection, seed: number, options: { readonly out: string; readonly workDir?: string }): Promise<number> {
  const outDir = resolve(options.out);
  const profileDir = resolve(outDir, 'profiles');
  const report = await runBench({
    parameters: plan.parameters,
    systems: plan.systems,
    ...(options.workDir === undefined ? {} : { workDir: resolve(options.workDir) }),
    profileDir,
    seed,
    progress: new ProgressLine(),
  });
  const files = await writeReport(report, outDir);
  console.log(`\n${renderMarkdown(report)}`);
  console.log(`written: ${files.markdown}, ${files.svg}, ${files.json}`);
  if (plan.parameters.profile) {
    const profiles = await listProfiles(profileDir);
    if (profiles.length === 0) console.log(`no CPU profile was written under ${profileDir}`);
    for (const path of profiles) {
      // Worker threads (the logger's) are listed but not summarised: the servers' work is on the main thread.
      if (/\.thread\d+\.cpuprofile$/.test(path)) continue;
      const { busyMs, spots } = await readHotSpots(path, PROFILE_HOT_SPOTS);
      console.log(`\n${path} (${busyMs} ms busy over the process's life; open it in Chrome DevTools or speedscope):`);
      for (const spot of spots) console.log(`  ${spot.selfPercent.toFixed(1).padStart(5)}%  ${spot.name}`);
    }
  }
  return report.systems.every((s) => s.skipped !== undefined) ? 1 : 0;
}

async function listProfiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const system of await readdir(dir).catch(() => [] as string[])) {
    for (const file of await readdir(resolve(dir, system)).catch(() => [] as string[])) {
      if (file.endsWith('.cpuprofile')) out.push(resolve(dir, system, file));
    }
  }
  return out.sort();
}
