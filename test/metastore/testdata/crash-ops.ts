/**
 * The random mutations of the FileMetaStore crash test, shared by the writer child and the checking parent:
 * an op is printed as JSON and its data is regenerated from its id, so lines stay short.
 */
import type { MetaStateStore, TransactionOp } from '../../../src/metastore/meta-state-store.ts';

/** One step: a single call, or one op of a transaction (whose deletes are never recursive). */
export type CrashStep =
  | { readonly kind: 'create' | 'set'; readonly path: string; readonly dataBytes: number }
  | { readonly kind: 'delete'; readonly path: string; readonly recursive: boolean };

export type CrashOp =
  | (CrashStep & { readonly id: number })
  | { readonly id: number; readonly kind: 'txn'; readonly ops: readonly CrashStep[] };

const NAMES = ['a', 'b', 'c', 'd'];

/** Deterministic bytes for op `id`, step `step`. */
export function dataFor(id: number, step: number, dataBytes: number): Buffer {
  const out = Buffer.allocUnsafe(dataBytes);
  let x = (id * 2654435761 + step * 40503 + 1) >>> 0;
  for (let i = 0; i < dataBytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function randomPath(random: () => number): string {
  const depth = 1 + Math.floor(random() * 3);
  let path = '';
  for (let i = 0; i < depth; i++) path += `/${NAMES[Math.floor(random() * NAMES.length)]!}`;
  return path;
}

/** Mostly small values, sometimes a few KiB so the file grows and compacts. */
function randomDataBytes(random: () => number): number {
  return random() < 0.1 ? 2000 + Math.floor(random() * 6000) : Math.floor(random() * 300);
}

function randomStep(random: () => number): CrashStep {
  const r = random();
  const path = randomPath(random);
  if (r < 0.45) return { kind: 'create', path, dataBytes: randomDataBytes(random) };
  if (r < 0.8) return { kind: 'set', path, dataBytes: randomDataBytes(random) };
  return { kind: 'delete', path, recursive: random() < 0.5 };
}

export function randomOp(random: () => number, id: number): CrashOp {
  if (random() < 0.2) {
    const steps = Array.from({ length: 2 + Math.floor(random() * 3) }, (): CrashStep => {
      const step = randomStep(random);
      return step.kind === 'delete' ? { ...step, recursive: false } : step;
    });
    return { id, kind: 'txn', ops: steps };
  }
  return { id, ...randomStep(random) };
}

export function applyOp(store: MetaStateStore, op: CrashOp): Promise<void> {
  switch (op.kind) {
    case 'create':
      return store.createNode(op.path, dataFor(op.id, 0, op.dataBytes));
    case 'set':
      return store.setData(op.path, dataFor(op.id, 0, op.dataBytes));
    case 'delete':
      return store.deleteNode(op.path, { recursive: op.recursive });
    case 'txn':
      return store.submitTransaction(op.ops.map((step, i): TransactionOp =>
        step.kind === 'delete' ? { kind: 'delete', path: step.path } : { kind: step.kind, path: step.path, data: dataFor(op.id, i + 1, step.dataBytes) }));
  }
}
