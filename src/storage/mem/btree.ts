/**
 * sorted-btree is CommonJS with `exports.default`; Node's ESM loader hands us the whole exports object as the
 * default import, so unwrap it once here.
 */
import * as btreeModule from 'sorted-btree';

type BTreeConstructor = new <K, V>(entries?: [K, V][], compare?: (a: K, b: K) => number, maxNodeSize?: number) => import('sorted-btree').default<K, V>;
export type BTree<K, V> = import('sorted-btree').default<K, V>;

function unwrap(module: unknown): BTreeConstructor {
  let candidate = module as { default?: unknown };
  while (typeof candidate !== 'function' && candidate.default !== undefined) candidate = candidate.default as { default?: unknown };
  return candidate as unknown as BTreeConstructor;
}

export const BTree: BTreeConstructor = unwrap(btreeModule);
