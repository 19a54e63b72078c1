/**
 * `pegasus bench`'s coordinator: for each system in turn it starts the servers, forks the load-generator
 * processes, runs YCSB's load phase once and then each workload's run phase (warm-up, measured window),
 * accounts every process's CPU over the window, stops everything, and returns the report's record.
 * Every system is driven by the same processes with the same parameters and seeds.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchParameters, BenchReport, CellResult, ProcessCpu, SystemEntry } from './bench-result.ts';
import type { BenchSystem, StartedSystem } from './bench-target.ts';
import type { DistributionName } from './key-distributions.ts';
import { LatencyRecorder } from './latency-recorder.ts';
import { LoadGeneratorHandle } from './load-generator-handle.ts';
import { snapshotCpuSeconds } from './process-cpu.ts';
import { formatLatencyMs } from './report-markdown.ts';
import type { ProgressLine } from './progress-line.ts';
import type { OperationKind, WorkloadName } from './ycsb-workloads.ts';

export interface BenchPlan {
  readonly parameters: BenchParameters;
  readonly systems: readonly BenchSystem[];
  /** Where each system's servers keep their data (a fresh folder per system, removed afterwards). */
  readonly workDir?: string;
  /** With `parameters.profile`: where the servers' CPU profiles go, a folder per system. */
  readonly profileDir: string;
  readonly seed: number;
  readonly progress: ProgressLine;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runBench(plan: BenchPlan): Promise<BenchReport> {
  const date = new Date().toISOString();
  const entries: SystemEntry[] = [];
  const cells: CellResult[] = [];
  for (const system of plan.systems) {
    const unavailable = await system.unavailableReason();
    if (unavailable !== undefined) {
      plan.progress.note(`${system.label}: skipped — ${unavailable}`);
      entries.push({ id: system.id, label: system.label, skipped: unavailable });
      continue;
    }
    try {
      cells.push(...(await benchOneSystem(plan, system)));
      entries.push({ id: system.id, label: system.label });
    } catch (e) {
      const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      plan.progress.note(`${system.label}: failed — ${reason}`);
      entries.push({ id: system.id, label: system.label, skipped: `failed: ${reason}` });
    }
  }
  const cpu = cpus();
  return {
    bench: 'ycsb',
    date,
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', node: process.version, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    parameters: plan.parameters,
    systems: entries,
    cells,
  };
}

async function benchOneSystem(plan: BenchPlan, system: BenchSystem): Promise<CellResult[]> {
  const p = plan.parameters;
  const base = plan.workDir ?? tmpdir();
  await mkdir(base, { recursive: true });
  const workDir = await mkdtemp(join(base, `pegasus-bench-${system.id}-`));
  let profileDir: string | undefined;
  if (p.profile) {
    profileDir = resolve(plan.profileDir, system.id);
    await mkdir(profileDir, { recursive: true });
  }
  plan.progress.note(`${system.label}: starting`);
  let started: StartedSystem | undefined;
  const generators: LoadGeneratorHandle[] = [];
  try {
    started = await system.start(profileDir === undefined ? { workDir } : { workDir, profileDir });
    for (let i = 0; i < p.processes; i++) generators.push(new LoadGeneratorHandle(`loadgen${i + 1}`));
    await Promise.all(
      generators.map((g, i) => g.request({ type: 'open', connection: started!.connection, valueBytes: p.fieldCount * p.fieldLength, seed: plan.seed + i }, 'opened')),
    );

    const loadStart = performance.now();
    const loaded = await withProgress(plan, `${system.id} load`, generators, () =>
      Promise.all(generators.map((g, i) => g.request({ type: 'load', first: i, end: p.recordCount, stride: p.processes, concurrency: p.concurrency }, 'loaded'))),
    );
    const loadErrors = loaded.reduce((n, m) => n + m.errors, 0);
    if (loadErrors > 0) throw new Error(`the load phase failed ${loadErrors} of ${p.recordCount} inserts (first: ${loaded.find((m) => m.firstError)?.firstError})`);
    plan.progress.note(`${system.label}: loaded ${p.recordCount} records in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

    const cells: CellResult[] = [];
    let recordCount = p.recordCount;
    for (const workload of p.workloads) {
      const cell = await runWorkload(plan, system, started, generators, workload, recordCount);
      cells.push(cell.result);
      recordCount = cell.recordsEnd;
    }
    return cells;
  } finally {
    await Promise.all(generators.map((g) => g.close()));
    await started?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function runWorkload(
  plan: BenchPlan,
  system: BenchSystem,
  started: StartedSystem,
  generators: readonly LoadGeneratorHandle[],
  workload: WorkloadName,
  recordCount: number,
): Promise<{ result: CellResult; recordsEnd: number }> {
  const p = plan.parameters;
  const operationCount = p.operationCount === undefined ? undefined : Math.ceil(p.operationCount / generators.length);
  const label = `${system.id} ${workload}`;
  let serverCpuStart = new Map<string, number>();
  let measureStart = 0;
  const answers = await withProgress(plan, label, generators, async () => {
    const ran = Promise.all(
      generators.map((g, i) =>
        g.request(
          {
            type: 'run',
            workload,
            recordCount,
            insertStart: recordCount,
            processIndex: i,
            processCount: generators.length,
            concurrency: p.concurrency,
            ...(p.distribution === undefined ? {} : { distribution: p.distribution as DistributionName }),
            ...(operationCount === undefined ? {} : { operationCount }),
          },
          'ran',
        ),
      ),
    );
    // A generator that fails in the warm-up must not leave this waiting for the window to end.
    let failed: unknown;
    ran.catch((e: unknown) => (failed = e));
    await sleep(p.warmupSec * 1000);
    if (failed !== undefined) return ran;
    serverCpuStart = snapshotCpuSeconds(started.serverPids());
    measureStart = performance.now();
    for (const g of generators) g.send({ type: 'measure' });
    await Promise.race([sleep(p.durationSec * 1000), ran.then(() => undefined, () => undefined)]);
    for (const g of generators) g.send({ type: 'stop' });
    return ran;
  });
  const windowSec = (performance.now() - measureStart) / 1000;
  const serverCpuEnd = snapshotCpuSeconds(started.serverPids());

  const latency = new LatencyRecorder();
  const byOperation = new Map<OperationKind, LatencyRecorder>();
  for (const answer of answers) {
    latency.add(LatencyRecorder.decode(answer.latency));
    for (const [kind, encoded] of Object.entries(answer.byOperation) as Array<[OperationKind, string]>) {
      const recorder = byOperation.get(kind) ?? new LatencyRecorder();
      recorder.add(LatencyRecorder.decode(encoded));
      byOperation.set(kind, recorder);
    }
  }
  const operations = answers.reduce((n, a) => n + a.operations, 0);
  const errors = answers.reduce((n, a) => n + a.errors, 0);
  const durationSec = Math.max(...answers.map((a) => a.durationSec));
  const cpu: ProcessCpu[] = [];
  for (const [name, end] of serverCpuEnd) {
    const start = serverCpuStart.get(name);
    if (start !== undefined) cpu.push({ process: name, kind: 'server', cpuPercent: round1((100 * (end - start)) / windowSec) });
  }
  answers.forEach((a, i) => cpu.push({ process: generators[i]!.name, kind: 'load-generator', cpuPercent: round1(a.cpuUs / 1e4 / Math.max(a.durationSec, 1e-9)) }));
  const result: CellResult = {
    workload,
    systemId: system.id,
    operations,
    errors,
    durationSec: round1(durationSec),
    opsPerSec: Math.round(operations / Math.max(durationSec, 1e-9)),
    latency: latency.summary(),
    byOperation: Object.fromEntries([...byOperation].map(([kind, r]) => [kind, r.summary()])),
    cpu,
  };
  const firstError = answers.find((a) => a.firstError !== undefined)?.firstError;
  plan.progress.note(
    `${system.label} ${workload}: ${result.opsPerSec} ops/s, p50 ${ms(result.latency.p50Us)} p99 ${ms(result.latency.p99Us)} p999 ${ms(result.latency.p999Us)}` +
      (errors > 0 ? `, ${errors} errors (first: ${firstError})` : ''),
  );
  return { result, recordsEnd: Math.max(recordCount, ...answers.map((a) => a.recordsEnd)) };
}

/** Runs a phase while a progress line shows the generators' summed counts. */
async function withProgress<T>(plan: BenchPlan, label: string, generators: readonly LoadGeneratorHandle[], phase: () => Promise<T>): Promise<T> {
  const stop = plan.progress.track(label, () => {
    let operations = 0;
    let errors = 0;
    for (const g of generators) {
      operations += g.progress.operations;
      errors += g.progress.errors;
    }
    return { operations, errors };
  });
  try {
    return await phase();
  } finally {
    stop();
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const ms = (us: number): string => `${formatLatencyMs(us)} ms`;
