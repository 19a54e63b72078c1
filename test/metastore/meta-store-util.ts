/** Helpers shared by the metastore tests: tree dumps through the public interface, error checks. */
import assert from 'node:assert/strict';
import { isPegasusError, type ErrorCode } from '../../src/base/error-code.ts';
import type { MetaStateStore } from '../../src/metastore/meta-state-store.ts';

/** Every node as path → hex data, read only through the interface, so any two stores compare. */
export async function dumpTree(store: MetaStateStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const stack = ['/'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    out.set(path, (await store.getData(path)).toString('hex'));
    for (const name of await store.getChildren(path)) stack.push(path === '/' ? `/${name}` : `${path}/${name}`);
  }
  return out;
}

/** Recreates a dumped tree in an empty store (parents sort before their children). */
export async function loadTree(store: MetaStateStore, dump: ReadonlyMap<string, string>): Promise<void> {
  for (const path of [...dump.keys()].sort()) {
    const data = Buffer.from(dump.get(path)!, 'hex');
    if (path === '/') await store.setData('/', data);
    else await store.createNode(path, data);
  }
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, what = ''): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    assert.ok(isPegasusError(e, code), `${what} expected ${code}, got ${String(e)}`);
    return e;
  }
  assert.fail(`${what} expected ${code}, but it succeeded`);
}
