/**
 * The search of the linearizability checker (see linearizability.ts): Porcupine's walk over call/return
 * events with lift/unlift and a cache of (linearized set, model state), after setting aside the `unknown`
 * writes no read can observe.
 */
import { isWrite, type HistoryEntry } from './history.ts';
import { EMPTY_STATE, resultsMatch, step, type HashKeyState } from './hash-key-model.ts';

/** The entries that constrain a linearization: `ok` ones and `unknown` writes. */
export function constrainingEntries(entries: readonly HistoryEntry[]): HistoryEntry[] {
  return entries.filter((e) => e.outcome.status === 'ok' || (e.outcome.status === 'unknown' && isWrite(e.op)));
}

export type SearchVerdict =
  | { readonly verdict: 'linearizable'; readonly steps: number }
  | { readonly verdict: 'notLinearizable'; readonly steps: number; readonly deepest: DeepestPrefix }
  | { readonly verdict: 'inconclusive'; readonly steps: number; readonly reason: string };

/** The longest linearization of `ok` entries the search reached, for explaining a failure. */
export interface DeepestPrefix {
  /** Entries linearized in order, `unknown` writes included. */
  readonly order: readonly HistoryEntry[];
  readonly state: HashKeyState;
}

interface EventNode {
  /** Index into the searched entries; -1 for the list head. */
  readonly index: number;
  /** For an `ok` call, its return; null for a return and for an `unknown` write, which never returns. */
  match: EventNode | null;
  readonly isCall: boolean;
  prev: EventNode | null;
  next: EventNode | null;
}

/**
 * Calls and returns in event order, at equal times calls first. An `unknown` write has only its call: it
 * stays a candidate at every level after its invocation, and nothing waits for it.
 */
function buildEventList(entries: readonly HistoryEntry[]): EventNode {
  const events: Array<{ timeMs: number; node: EventNode }> = [];
  entries.forEach((entry, index) => {
    const call: EventNode = { index, match: null, isCall: true, prev: null, next: null };
    events.push({ timeMs: entry.invokeMs, node: call });
    if (entry.outcome.status !== 'ok') return;
    if (!(entry.completeMs >= entry.invokeMs)) throw new Error(`history entry #${entry.id} completes before it is invoked`);
    const ret: EventNode = { index, match: null, isCall: false, prev: null, next: null };
    call.match = ret;
    events.push({ timeMs: entry.completeMs, node: ret });
  });
  events.sort((a, b) => a.timeMs - b.timeMs || Number(b.node.isCall) - Number(a.node.isCall) || a.node.index - b.node.index);
  const head: EventNode = { index: -1, match: null, isCall: false, prev: null, next: null };
  let last = head;
  for (const { node } of events) {
    node.prev = last;
    last.next = node;
    last = node;
  }
  return head;
}

/** Removes a call and its return; lifts and unlifts nest, so `unlift` can splice them back as they were. */
function lift(call: EventNode): void {
  call.prev!.next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  const ret = call.match;
  if (ret !== null) {
    ret.prev!.next = ret.next;
    if (ret.next !== null) ret.next.prev = ret.prev;
  }
}

function unlift(call: EventNode): void {
  const ret = call.match;
  if (ret !== null) {
    ret.prev!.next = ret;
    if (ret.next !== null) ret.next.prev = ret;
  }
  call.prev!.next = call;
  if (call.next !== null) call.next.prev = call;
}

/** A fixed 32-bit mix per entry index, so the linearized set's hash updates in O(1) per step. */
function indexHash(index: number): number {
  let h = Math.imul(index + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The (linearized set, state) pairs reached, as Porcupine's cache: hashed, then compared exactly. */
class VisitedSet {
  private readonly buckets = new Map<number, Array<{ readonly bits: Uint32Array; readonly stateId: number }>>();

  /** Adds the pair; false if it was already there. */
  add(hash: number, bits: Uint32Array, stateId: number): boolean {
    const key = (hash ^ Math.imul(stateId + 1, 0x27d4eb2f)) >>> 0;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, (bucket = []));
    for (const seen of bucket) if (seen.stateId === stateId && sameBits(seen.bits, bits)) return false;
    bucket.push({ bits: bits.slice(), stateId });
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Frame {
  readonly call: EventNode;
  readonly state: HashKeyState;
  readonly stateId: number;
}

/**
 * Decides whether `entries` (one hash key's constraining entries: `ok` ones and `unknown` writes) is
 * linearizable from the empty hash key. One step is one visit of an event node.
 *
 * `unknown` writes no read can tell apart from never applied are left out first (see
 * `unobservableUnknownWrites`): each optional write otherwise doubles the ways to order its surroundings.
 */
export function searchPart(entries: readonly HistoryEntry[], maxSearchSteps: number): SearchVerdict {
  const skipped = unobservableUnknownWrites(entries);
  const searched = skipped.size === 0 ? entries : entries.filter((e) => !skipped.has(e));
  return searchAll(searched, maxSearchSteps);
}

function searchAll(entries: readonly HistoryEntry[], maxSearchSteps: number): SearchVerdict {
  const head = buildEventList(entries);
  const bits = new Uint32Array((entries.length + 31) >>> 5);
  const visited = new VisitedSet();
  const stateIds = new Map<string, number>();
  const idOf = (s: HashKeyState): number => {
    let id = stateIds.get(s.key);
    if (id === undefined) stateIds.set(s.key, (id = stateIds.size));
    return id;
  };
  const stack: Frame[] = [];
  let okRemaining = entries.reduce((n, e) => n + (e.outcome.status === 'ok' ? 1 : 0), 0);
  let state = EMPTY_STATE;
  let stateId = idOf(state);
  let hash = 0;
  let steps = 0;
  let deepestOk = -1;
  let deepest: DeepestPrefix = { order: [], state };
  let okLinearized = 0;

  let node = head.next;
  while (okRemaining > 0) {
    if (++steps > maxSearchSteps) {
      return { verdict: 'inconclusive', steps, reason: `search exceeded ${maxSearchSteps} steps over ${entries.length} entries` };
    }
    if (okLinearized > deepestOk) {
      deepestOk = okLinearized;
      deepest = { order: stack.map((f) => entries[f.call.index]!), state };
    }
    // An `ok` entry not yet linearized still has its return in the list, and the walk stops there.
    if (node === null) throw new Error('linearizability search ran off the event list');
    if (!node.isCall) {
      const frame = stack.pop();
      if (frame === undefined) return { verdict: 'notLinearizable', steps, deepest };
      const undone = frame.call.index;
      bits[undone >>> 5]! &= ~(1 << (undone & 31));
      hash = (hash ^ indexHash(undone)) >>> 0;
      if (frame.call.match !== null) {
        okRemaining++;
        okLinearized--;
      }
      state = frame.state;
      stateId = frame.stateId;
      unlift(frame.call);
      node = frame.call.next;
      continue;
    }
    const index = node.index;
    const entry = entries[index]!;
    const outcome = step(state, entry.op);
    const isOk = entry.outcome.status === 'ok';
    // An optional write that would change nothing here is no better taken now than left for later.
    const candidate = entry.outcome.status === 'ok' ? resultsMatch(outcome.result, entry.outcome.result) : outcome.state.key !== state.key;
    if (candidate) {
      const nextStateId = idOf(outcome.state);
      const nextHash = (hash ^ indexHash(index)) >>> 0;
      bits[index >>> 5]! |= 1 << (index & 31);
      if (visited.add(nextHash, bits, nextStateId)) {
        stack.push({ call: node, state, stateId });
        state = outcome.state;
        stateId = nextStateId;
        hash = nextHash;
        lift(node);
        if (isOk) {
          okRemaining--;
          okLinearized++;
        }
        node = head.next;
        continue;
      }
      bits[index >>> 5]! &= ~(1 << (index & 31));
    }
    node = node.next;
  }
  return { verdict: 'linearizable', steps };
}

// ---------------------------------------------------------------------------------------------------
// Optional writes no operation can observe.

/** The sort keys an op may write, with the value it may leave (undefined = removes). */
function mayWrite(op: HistoryEntry['op']): Array<readonly [string, string | undefined]> {
  switch (op.kind) {
    case 'set':
      return [[op.sortKey, op.value]];
    case 'del':
      return [[op.sortKey, undefined]];
    case 'multiSet':
      return op.entries.map(([sortKey, value]) => [sortKey, value] as const);
    case 'multiDel':
      return op.sortKeys.map((sortKey) => [sortKey, undefined] as const);
    case 'checkAndSet':
      return [[op.setSortKey, op.setValue]];
    default:
      return [];
  }
}

/**
 * `unknown` writes (set, del, multiSet, multiDel, checkAndSet) that can be taken as never applied
 * without losing a linearization. Suppose one applied at some point; up to the next write of each sort
 * key it wrote, that sort key held what it left. If no `ok` read in the whole part observed that
 * (sort key, value or absence) pair, no `ok` sortKeyCount could count the difference, and no incr or
 * kept `unknown` checkAndSet read that sort key (they would carry the difference on, unseen), then nothing in
 * that window depends on it, and after the window the state is the same as without it. So dropping it
 * keeps every linearization valid, and the same holds for each further drop, since the conditions only
 * look at `ok` reads and at entries that are kept. (A dropped checkAndSet may have read a dropped write:
 * with both gone, nothing observed either.)
 */
export function unobservableUnknownWrites(entries: readonly HistoryEntry[]): Set<HistoryEntry> {
  const skipped = new Set<HistoryEntry>();
  const unknownWrites = entries.filter((e) => e.outcome.status === 'unknown' && mayWrite(e.op).length > 0);
  if (unknownWrites.length === 0) return skipped;

  const universe = new Set<string>();
  for (const e of entries) {
    for (const [sortKey] of mayWrite(e.op)) universe.add(sortKey);
    if (e.op.kind === 'get' || e.op.kind === 'incr') universe.add(e.op.sortKey);
    if (e.op.kind === 'checkAndSet') universe.add(e.op.checkSortKey);
  }
  const seenValues = new Set<string>();
  const seenAbsent = new Set<string>();
  // Sort keys an incr reads: it would carry a difference on into a value no read can trace back.
  const incremented = new Set<string>();
  const seen = (sortKey: string, value: string | undefined) => {
    if (value === undefined) seenAbsent.add(sortKey);
    else seenValues.add(`${sortKey}\u0000${value}`);
  };
  let lastCountCompleteMs = -Infinity;
  for (const e of entries) {
    const op = e.op;
    if (op.kind === 'incr') incremented.add(op.sortKey);
    if (e.outcome.status !== 'ok') continue;
    const result = e.outcome.result;
    if (op.kind === 'get' && result.kind === 'get') seen(op.sortKey, result.value);
    else if (op.kind === 'checkAndSet' && result.kind === 'checkAndSet') seen(op.checkSortKey, result.checkValue);
    else if (op.kind === 'multiGetAll' && result.kind === 'multiGetAll') {
      const present = new Set<string>();
      for (const [sortKey, value] of result.entries) {
        seen(sortKey, value);
        present.add(sortKey);
      }
      for (const sortKey of universe) if (!present.has(sortKey)) seenAbsent.add(sortKey);
    } else if (op.kind === 'sortKeyCount') lastCountCompleteMs = Math.max(lastCountCompleteMs, e.completeMs);
  }
  const observable = (u: HistoryEntry, checked: ReadonlySet<string>): boolean => {
    // A count completing after the write was invoked may see the presence it changed.
    const counted = lastCountCompleteMs >= u.invokeMs;
    return mayWrite(u.op).some(
      ([sortKey, value]) =>
        counted ||
        incremented.has(sortKey) ||
        checked.has(sortKey) ||
        (value === undefined ? seenAbsent.has(sortKey) : seenValues.has(`${sortKey}\u0000${value}`)),
    );
  };
  // An optional checkAndSet that is kept reads its check sort key, and its outcome may hinge on a write
  // there; so writes to that sort key are kept too, which may keep more checkAndSets: iterate to a fixpoint.
  const checked = new Set<string>();
  let kept = new Set<HistoryEntry>();
  for (;;) {
    const next = new Set(unknownWrites.filter((u) => observable(u, checked)));
    for (const u of next) if (u.op.kind === 'checkAndSet') checked.add(u.op.checkSortKey);
    if (next.size === kept.size) break;
    kept = next;
  }
  for (const u of unknownWrites) if (!kept.has(u)) skipped.add(u);
  return skipped;
}

// ---------------------------------------------------------------------------------------------------
// Shrinking a failing part and explaining it.
