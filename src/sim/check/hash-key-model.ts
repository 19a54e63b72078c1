/**
 * The sequential model of one hash key that the checkers linearize histories against (simulation.md
 * "Checkers"): a sorted map of sort key → value, and `step`, which applies one operation the way a Pegasus
 * primary does and says what it returns.
 *
 * The model is written from upstream's behaviour, not from this repo's storage code, so that a bug there
 * is not mirrored here and hidden from the checker. States are immutable: a step returns a new state (or
 * the same object when nothing changed), and every state carries a canonical `key`, so the search can
 * memoise on states by string equality.
 *
 * Sort keys are ordered by JS string comparison, which is byte order for the ASCII keys the workloads use
 * (UTF-16 and UTF-8 orders differ only beyond the Basic Multilingual Plane).
 */
import type { SimOp, SimResult } from './history.ts';

export type SortedEntries = ReadonlyArray<readonly [sortKey: string, value: string]>;

export interface HashKeyState {
  /** Sorted by sort key, no duplicates. */
  readonly entries: SortedEntries;
  /** Canonical: two states are equal iff their keys are. */
  readonly key: string;
}

/**
 * What the model says an operation returns. `error` is an outcome no `ok` entry can have: Pegasus
 * answers such an `incr` with kInvalidArgument and changes nothing, so an `ok` incr cannot linearize
 * where it would apply, and an `unknown` one linearized there has no effect.
 */
export type ModelResult = SimResult | { readonly kind: 'error'; readonly error: string };

export interface StepOutcome {
  /** The same object as the input state when the operation changed nothing. */
  readonly state: HashKeyState;
  readonly result: ModelResult;
}

function makeState(entries: SortedEntries): HashKeyState {
  // JSON keeps the key unambiguous whatever characters sort keys and values hold.
  return Object.freeze({ entries: Object.freeze(entries), key: JSON.stringify(entries) });
}

export const EMPTY_STATE: HashKeyState = makeState([]);

/** A state from entries in any order; a later duplicate sort key wins, as in a multi_put batch. */
export function stateFromEntries(entries: SortedEntries): HashKeyState {
  const bySortKey = new Map<string, string>();
  for (const [sortKey, value] of entries) bySortKey.set(sortKey, value);
  const sorted = [...bySortKey].sort(([a], [b]) => compareSortKeys(a, b));
  return makeState(sorted.map(([sortKey, value]) => Object.freeze([sortKey, value] as const)));
}

export function compareSortKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of `sortKey` if present, else `-(insertion point) - 1`. */
function search(entries: SortedEntries, sortKey: string): number {
  let low = 0;
  let high = entries.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const c = compareSortKeys(entries[mid]![0], sortKey);
    if (c === 0) return mid;
    if (c < 0) low = mid + 1;
    else high = mid - 1;
  }
  return -low - 1;
}

export function getValue(state: HashKeyState, sortKey: string): string | undefined {
  const index = search(state.entries, sortKey);
  return index >= 0 ? state.entries[index]![1] : undefined;
}

function withValue(state: HashKeyState, sortKey: string, value: string): HashKeyState {
  const index = search(state.entries, sortKey);
  if (index >= 0 && state.entries[index]![1] === value) return state;
  const next = state.entries.slice();
  const entry = Object.freeze([sortKey, value] as const);
  if (index >= 0) next[index] = entry;
  else next.splice(-index - 1, 0, entry);
  return makeState(next);
}

function withoutValue(state: HashKeyState, sortKey: string): HashKeyState {
  const index = search(state.entries, sortKey);
  if (index < 0) return state;
  const next = state.entries.slice();
  next.splice(index, 1);
  return makeState(next);
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** C `strtoll(s, &end, 0)` consuming the whole string: C-locale spaces, a sign, then hex, octal or decimal. */
const STRTOLL_BASE0 = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

/**
 * Upstream's `buf2int64`, which `incr` uses on the stored value: undefined when the value is not a whole
 * int64 (so "", "1 ", "08", "0x" and out-of-range values are not integers).
 */
export function parseStoredInt64(value: string): bigint | undefined {
  const match = STRTOLL_BASE0.exec(value);
  if (match === null) return undefined;
  const digits = match[2]!;
  let magnitude: bigint;
  if (/^0[xX]/.test(digits)) magnitude = BigInt(digits);
  else if (digits.startsWith('0')) magnitude = BigInt(`0o${digits.length > 1 ? digits.slice(1) : '0'}`);
  else magnitude = BigInt(digits);
  const parsed = match[1] === '-' ? -magnitude : magnitude;
  return parsed >= INT64_MIN && parsed <= INT64_MAX ? parsed : undefined;
}

const WRITE: SimResult = Object.freeze({ kind: 'write' });

function incr(state: HashKeyState, sortKey: string, delta: number): StepOutcome {
  if (!Number.isSafeInteger(delta)) throw new Error(`incr delta ${delta} is not a safe integer`);
  const stored = getValue(state, sortKey);
  let oldValue = 0n;
  // Absent and empty both count as 0 upstream; anything else must parse whole.
  if (stored !== undefined && stored !== '') {
    const parsed = parseStoredInt64(stored);
    if (parsed === undefined) return { state, result: { kind: 'error', error: `incr of non-integer value ${JSON.stringify(stored)}` } };
    oldValue = parsed;
  }
  const newValue = oldValue + BigInt(delta);
  if (newValue < INT64_MIN || newValue > INT64_MAX) return { state, result: { kind: 'error', error: 'incr overflows int64' } };
  return { state: withValue(state, sortKey, newValue.toString()), result: { kind: 'incr', newValue: Number(newValue) } };
}

function checkAndSet(state: HashKeyState, op: Extract<SimOp, { kind: 'checkAndSet' }>): StepOutcome {
  const checkValue = getValue(state, op.checkSortKey);
  let passed: boolean;
  switch (op.check) {
    case 'exists':
      passed = checkValue !== undefined;
      break;
    case 'notExists':
      passed = checkValue === undefined;
      break;
    case 'valueEquals':
      // CT_VALUE_BYTES_EQUAL: a missing value fails before the comparison.
      passed = checkValue !== undefined && checkValue === op.operand;
      break;
  }
  const next = passed ? withValue(state, op.setSortKey, op.setValue) : state;
  return { state: next, result: { kind: 'checkAndSet', setDone: passed, checkValue } };
}

/** Applies `op` to `state` as a Pegasus primary would, returning the new state and the reply. */
export function step(state: HashKeyState, op: SimOp): StepOutcome {
  switch (op.kind) {
    case 'set':
      return { state: withValue(state, op.sortKey, op.value), result: WRITE };
    case 'del':
      return { state: withoutValue(state, op.sortKey), result: WRITE };
    case 'multiSet': {
      let next = state;
      for (const [sortKey, value] of op.entries) next = withValue(next, sortKey, value);
      return { state: next, result: WRITE };
    }
    case 'multiDel': {
      let next = state;
      for (const sortKey of op.sortKeys) next = withoutValue(next, sortKey);
      return { state: next, result: WRITE };
    }
    case 'get':
      return { state, result: { kind: 'get', value: getValue(state, op.sortKey) } };
    case 'multiGetAll':
      return { state, result: { kind: 'multiGetAll', entries: state.entries } };
    case 'sortKeyCount':
      return { state, result: { kind: 'sortKeyCount', count: state.entries.length } };
    case 'incr':
      return incr(state, op.sortKey, op.delta);
    case 'checkAndSet':
      return checkAndSet(state, op);
  }
}

/** Whether an `ok` entry's observed reply is the one the model gives at that point. */
export function resultsMatch(expected: ModelResult, observed: SimResult): boolean {
  switch (expected.kind) {
    case 'error':
      return false;
    case 'write':
      return observed.kind === 'write';
    case 'get':
      return observed.kind === 'get' && observed.value === expected.value;
    case 'sortKeyCount':
      return observed.kind === 'sortKeyCount' && observed.count === expected.count;
    case 'incr':
      return observed.kind === 'incr' && observed.newValue === expected.newValue;
    case 'checkAndSet':
      return observed.kind === 'checkAndSet' && observed.setDone === expected.setDone && observed.checkValue === expected.checkValue;
    case 'multiGetAll': {
      if (observed.kind !== 'multiGetAll' || observed.entries.length !== expected.entries.length) return false;
      for (let i = 0; i < expected.entries.length; i++) {
        const e = expected.entries[i]!;
        const o = observed.entries[i]!;
        if (e[0] !== o[0] || e[1] !== o[1]) return false;
      }
      return true;
    }
  }
}

function quote(value: string | undefined): string {
  return value === undefined ? '<absent>' : JSON.stringify(value);
}

export function formatEntries(entries: SortedEntries): string {
  return `{${entries.map(([sortKey, value]) => `${sortKey}=${JSON.stringify(value)}`).join(', ')}}`;
}

export function formatState(state: HashKeyState): string {
  return formatEntries(state.entries);
}

export function formatOp(op: SimOp): string {
  switch (op.kind) {
    case 'set':
      return `set(${op.sortKey}, ${JSON.stringify(op.value)})`;
    case 'del':
      return `del(${op.sortKey})`;
    case 'multiSet':
      return `multiSet(${formatEntries(op.entries)})`;
    case 'multiDel':
      return `multiDel(${op.sortKeys.join(', ')})`;
    case 'get':
      return `get(${op.sortKey})`;
    case 'multiGetAll':
      return 'multiGetAll()';
    case 'sortKeyCount':
      return 'sortKeyCount()';
    case 'incr':
      return `incr(${op.sortKey}, ${op.delta})`;
    case 'checkAndSet':
      return `checkAndSet(${op.checkSortKey} ${op.check}${op.check === 'valueEquals' ? ` ${JSON.stringify(op.operand)}` : ''} ? ${op.setSortKey}=${JSON.stringify(op.setValue)})`;
  }
}

export function formatResult(result: ModelResult): string {
  switch (result.kind) {
    case 'error':
      return `error: ${result.error}`;
    case 'write':
      return 'done';
    case 'get':
      return quote(result.value);
    case 'multiGetAll':
      return formatEntries(result.entries);
    case 'sortKeyCount':
      return `count ${result.count}`;
    case 'incr':
      return `${result.newValue}`;
    case 'checkAndSet':
      return `setDone=${result.setDone} checkValue=${quote(result.checkValue)}`;
  }
}
