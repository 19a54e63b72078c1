/**
 * Real process crashes: a child applies random mutations through FileMetaStore (with compactions) and prints
 * each op before issuing it and its outcome once settled; the parent kills it with SIGKILL at a random
 * moment and reopens the store. The tree must equal a model that replays, from the previous round's tree,
 * every settled op (each `ok` must apply, each failure must fail with the same code), followed by some
 * prefix of the ops still in flight at the kill: those may or may not have reached the file, but in issue
 * order and never half-applied.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isPegasusError } from '../../src/base/error-code.ts';
import { FileMetaStore } from '../../src/metastore/file-meta-store.ts';
import { MemMetaStore } from '../../src/metastore/mem-meta-store.ts';
import { runChildUntilKilled } from '../support/kill-child.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { dumpTree, loadTree } from './meta-store-util.ts';
import { applyOp, type CrashOp } from './testdata/crash-ops.ts';

const ROUNDS = 10;
const FIRST_ACK_TIMEOUT_MS = 10_000;
const KILL_DELAY_MS_MAX = 150;
const WRITER = join(import.meta.dirname, 'testdata', 'meta-writer.ts');

interface ChildRun {
  issued: CrashOp[];
  /** Outcome by op id: 'ok' or an error code. */
  settled: Map<number, string>;
  /** Compactions the child's store reported. */
  compactions: number;
}

async function runChild(dir: string, seed: number, firstId: number, killDelayMs: number): Promise<ChildRun> {
  const { lines } = await runChildUntilKilled({
    script: WRITER,
    args: [dir, String(seed), String(firstId)],
    isWorking: (stdout) => stdout.includes('\nR '),
    killDelayMs,
    workingTimeoutMs: FIRST_ACK_TIMEOUT_MS,
  });
  const run: ChildRun = { issued: [], settled: new Map(), compactions: 0 };
  for (const line of lines) {
    if (line.startsWith('I ')) run.issued.push(JSON.parse(line.slice(2)) as CrashOp);
    else if (line.startsWith('R ')) {
      const [id, outcome] = line.slice(2).split(' ');
      run.settled.set(Number(id), outcome!);
    } else if (line.startsWith('C ')) run.compactions = Number(line.slice(2));
    else throw new Error(`unexpected writer line ${JSON.stringify(line)}`);
  }
  return run;
}

/** Applies `op` to the model; returns its outcome as the writer prints it. */
async function applyToModel(model: MemMetaStore, op: CrashOp): Promise<string> {
  try {
    await applyOp(model, op);
    return 'ok';
  } catch (e) {
    assert.ok(isPegasusError(e), `model: ${String(e)}`);
    return e.code;
  }
}

test(`FileMetaStore survives ${ROUNDS} SIGKILLs with every acknowledged mutation and nothing half-applied`, async () => {
  const root = await mkdtemp(join(tmpdir(), 'pegasus-metastore-crash-'));
  const dir = join(root, 'meta');
  const random = seededRandom(4242);
  let state = new Map<string, string>([['/', '']]);
  let nextId = 0;
  const totals = { ok: 0, failed: 0, compactions: 0 };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const run = await runChild(dir, 1000 + round, nextId, Math.floor(random() * KILL_DELAY_MS_MAX));
      assert.ok(run.settled.size > 0, `round ${round}: nothing settled`);
      // Ops settle in issue order, so the unsettled ones are a suffix of the issued ones.
      const firstUnsettled = run.issued.findIndex((op) => !run.settled.has(op.id));
      const settledOps = firstUnsettled < 0 ? run.issued : run.issued.slice(0, firstUnsettled);
      const unsettledOps = firstUnsettled < 0 ? [] : run.issued.slice(firstUnsettled);
      assert.equal(settledOps.length, run.settled.size, `round ${round}: an op settled out of order`);

      const model = new MemMetaStore();
      await loadTree(model, state);
      for (const op of settledOps) {
        const outcome = await applyToModel(model, op);
        assert.equal(outcome, run.settled.get(op.id), `round ${round}: op ${op.id} ${JSON.stringify(op)}`);
        if (outcome === 'ok') totals.ok++;
        else totals.failed++;
      }
      const candidates = [await dumpTree(model)];
      for (const op of unsettledOps) {
        await applyToModel(model, op);
        candidates.push(await dumpTree(model));
      }

      const store = await FileMetaStore.open(dir);
      const actual = await dumpTree(store);
      await store.close();
      const matched = candidates.findIndex((c) => sameTree(c, actual));
      assert.ok(matched >= 0, `round ${round}: the reopened tree matches no prefix of the ${unsettledOps.length} in-flight ops`);
      totals.compactions += run.compactions;
      state = actual;
      nextId = (run.issued.at(-1)?.id ?? nextId) + 1;
    }
    // The run exercised what it claims to: many acknowledged writes, failures checked against the model.
    assert.ok(totals.ok >= ROUNDS * 5, `only ${totals.ok} acknowledged mutations`);
    assert.ok(totals.failed > 0, 'no failing mutation was checked');
    assert.ok(totals.compactions > 0, 'no compaction ran, so no crash could hit one');
    assert.ok(state.size > 1, 'the final tree is empty');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

function sameTree(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, data] of a) if (b.get(path) !== data) return false;
  return true;
}
