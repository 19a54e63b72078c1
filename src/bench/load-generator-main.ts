/**
 * A load-generator process of `pegasus bench`, forked by the coordinator: it opens one connection to the
 * system under test and runs the phases the coordinator asks for (bench-messages.ts). Several of these run
 * at once so the client side is not the bottleneck; each reports its own CPU use.
 */
import { SimRandom } from '../sim/sim-random.ts';
import type { FromLoadGenerator, ToLoadGenerator } from './bench-messages.ts';
import { PROGRESS_INTERVAL_MS } from './bench-messages.ts';
import type { RecordStore } from './bench-target.ts';
import { ValuePool, WorkloadRunner, loadRecords, type PhaseCounts } from './load-generator.ts';
import { openRecordStore } from './record-stores.ts';
import { InsertSequence, OperationGenerator, WORKLOADS } from './ycsb-workloads.ts';

function send(message: FromLoadGenerator): void {
  process.send?.(message);
}

function counts(c: Readonly<PhaseCounts>): { operations: number; errors: number; firstError?: string } {
  return c.firstError === undefined ? { operations: c.operations, errors: c.errors } : { operations: c.operations, errors: c.errors, firstError: c.firstError };
}

let store: RecordStore | undefined;
let values: ValuePool | undefined;
let random: SimRandom | undefined;
let runner: WorkloadRunner | undefined;
let cpuAtMeasure: NodeJS.CpuUsage | undefined;
let phase = 0;

async function handle(message: ToLoadGenerator): Promise<void> {
  switch (message.type) {
    case 'open': {
      random = SimRandom.fromSeed(message.seed);
      values = new ValuePool(random.fork('values'), message.valueBytes);
      store = await openRecordStore(message.connection);
      send({ type: 'opened' });
      return;
    }
    case 'load': {
      const phaseCounts: PhaseCounts = { operations: 0, errors: 0 };
      const timer = setInterval(() => send({ type: 'progress', ...counts(phaseCounts) }), PROGRESS_INTERVAL_MS);
      try {
        await loadRecords(need(store), message, message.concurrency, need(values), phaseCounts);
      } finally {
        clearInterval(timer);
      }
      send({ type: 'loaded', ...counts(phaseCounts) });
      return;
    }
    case 'run': {
      const spec = WORKLOADS[message.workload];
      const records = { count: message.recordCount };
      const generator = new OperationGenerator(
        message.distribution === undefined ? spec : { ...spec, distribution: message.distribution },
        need(random).fork(`run${++phase}`),
        records,
        new InsertSequence(message.insertStart, message.processCount, message.processIndex),
      );
      const current = new WorkloadRunner(need(store), generator, need(values), message.concurrency, message.operationCount);
      runner = current;
      current.start();
      const timer = setInterval(() => send({ type: 'progress', ...counts(current.progress) }), PROGRESS_INTERVAL_MS);
      const result = await current.finished().finally(() => clearInterval(timer));
      const cpu = process.cpuUsage(cpuAtMeasure);
      runner = undefined;
      send({
        type: 'ran',
        ...counts(result),
        durationSec: result.durationSec,
        latency: result.latency.encode(),
        byOperation: Object.fromEntries([...result.byOperation].map(([kind, recorder]) => [kind, recorder.encode()])),
        cpuUs: cpu.user + cpu.system,
        recordsEnd: records.count,
      });
      return;
    }
    case 'measure':
      cpuAtMeasure = process.cpuUsage();
      need(runner).measure();
      return;
    case 'stop':
      // `run` answers once its workers have stopped.
      void need(runner).stop();
      return;
    case 'close':
      await store?.close();
      process.disconnect?.();
      return;
  }
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('load generator: a phase came before `open` (or `measure`/`stop` outside a run)');
  return value;
}

process.on('message', (message: ToLoadGenerator) => {
  handle(message).catch((e: unknown) => {
    send({ type: 'failed', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  });
});
