/**
 * The linearizability checker (simulation.md "Checkers"). Every operation touches one hash key, so the
 * history splits by hash key (P-compositionality: a history is linearizable iff each part is) and each
 * part is searched against the hash-key model with the Wing–Gong algorithm as Porcupine runs it: walk a
 * list of call/return events, linearize any pending call whose model result matches, backtrack at the
 * first return of an operation not yet linearized, and memoise every (linearized set, model state) pair
 * reached so no pair is explored twice.
 *
 * Outcomes: `ok` operations take effect once, between invocation and completion, with their observed
 * result. `fail` operations did not take effect and are left out. `unknown` writes are optional: they may
 * take effect at any time after invocation (their completion counts as +infinity) or never, so the search
 * succeeds once every `ok` operation is linearized. `unknown` reads constrain nothing and are left out.
 *
 * Real-time order: A precedes B iff `A.completeMs < B.invokeMs`, so at equal times calls sort before
 * returns (an operation completing at t and one invoked at t are concurrent).
 *
 * Cost: without `unknown` writes a part of n entries takes a few tens of steps per entry; each `unknown`
 * write that some read can observe multiplies the orders to try, so those no read can observe are set
 * aside first (`unobservableUnknownWrites`), and a part over its step budget is reported inconclusive.
 */
import { isWrite, type HistoryEntry, type SimResult } from './history.ts';
import {
  EMPTY_STATE,
  formatOp,
  formatResult,
  formatState,
  resultsMatch,
  step,
  type HashKeyState,
  type ModelResult,
} from './hash-key-model.ts';

export interface LinearizabilityOptions {
  /** A part with more constraining entries than this is reported inconclusive, not searched. */
  readonly maxEntriesPerKey?: number;
  /** Search steps allowed per part before it is reported inconclusive. */
  readonly maxSearchSteps?: number;
  /** Search steps allowed, per failing part, for shrinking it to a small failing sub-history. */
  readonly maxShrinkSteps?: number;
}

export interface LinearizabilityFailure {
  readonly hashKey: string;
  /**
   * A small sub-history that is itself not linearizable, sorted by invocation. An `ok` write still
   * running at the time the sub-history was cut appears as `unknown` with error `PENDING_AT_CUT`.
   */
  readonly entries: HistoryEntry[];
  readonly explanation: string;
}

export interface Inconclusive {
  readonly hashKey: string;
  readonly reason: string;
}

export interface LinearizabilityReport {
  /** True only when every part was shown linearizable (inconclusive parts make it false). */
  readonly ok: boolean;
  readonly keysChecked: number;
  /** Entries that constrain the search: `ok` entries and `unknown` writes. */
  readonly entriesChecked: number;
  /** Search steps spent deciding the parts, shrinking excluded. */
  readonly searchSteps: number;
  readonly failures: LinearizabilityFailure[];
  readonly inconclusive: Inconclusive[];
}

export const DEFAULT_MAX_ENTRIES_PER_KEY = 2000;
export const DEFAULT_MAX_SEARCH_STEPS = 1_000_000;
export const DEFAULT_MAX_SHRINK_STEPS = 1_000_000;

/** Parts in order of each hash key's first entry, entries in history order. */
export function partitionByHashKey(history: readonly HistoryEntry[]): Map<string, HistoryEntry[]> {
  const parts = new Map<string, HistoryEntry[]>();
  for (const entry of history) {
    let part = parts.get(entry.hashKey);
    if (part === undefined) parts.set(entry.hashKey, (part = []));
    part.push(entry);
  }
  return parts;
}

/** The entries that constrain a linearization: `ok` ones and `unknown` writes. */
export function constrainingEntries(entries: readonly HistoryEntry[]): HistoryEntry[] {
  return entries.filter((e) => e.outcome.status === 'ok' || (e.outcome.status === 'unknown' && isWrite(e.op)));
}

// ---------------------------------------------------------------------------------------------------
// The search.

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

/** The error of an `ok` write a failing sub-history reports as `unknown` (see `prefixAt`). */
export const PENDING_AT_CUT = 'still running at the cut-off, outcome ignored';

/**
 * The part as it stood at time `cutMs`: entries invoked by then, with those still running treated as
 * pending (an `ok` write becomes `unknown`, an `ok` read drops out). Linearizability is prefix-closed, so
 * the whole part fails if this does. The pending writes stay pending in what is reported: with their
 * real outcomes they could fail for another reason, needing entries invoked after the cut to explain.
 */

function prefixAt(entries: readonly HistoryEntry[], cutMs: number): HistoryEntry[] {
  const prefix: HistoryEntry[] = [];
  for (const entry of entries) {
    if (entry.invokeMs > cutMs) continue;
    if (entry.outcome.status !== 'ok' || entry.completeMs <= cutMs) prefix.push(entry);
    else if (isWrite(entry.op)) prefix.push({ ...entry, outcome: { status: 'unknown', error: PENDING_AT_CUT } });
  }
  return prefix;
}

/** What `ok` reads of a sub-history saw. */
interface Observations {
  /** `${sortKey}\0${value}` pairs read. */
  readonly values: Set<string>;
  /** Sort keys read as absent. */
  readonly absent: Set<string>;
  /** Sort keys read at all. */
  readonly read: Set<string>;
  /** A multiGetAll or sortKeyCount remains, which sees every sort key's presence. */
  readonly sawAll: boolean;
  /** A sortKeyCount remains, which counts every write that makes a sort key present. */
  readonly counted: boolean;
}

function observations(entries: readonly HistoryEntry[]): Observations {
  const values = new Set<string>();
  const absent = new Set<string>();
  const read = new Set<string>();
  let sawAll = false;
  let counted = false;
  const saw = (sortKey: string, value: string | undefined) => {
    read.add(sortKey);
    if (value === undefined) absent.add(sortKey);
    else values.add(`${sortKey}\u0000${value}`);
  };
  for (const entry of entries) {
    if (entry.outcome.status !== 'ok') continue;
    const op = entry.op;
    const result: SimResult = entry.outcome.result;
    if (op.kind === 'get' && result.kind === 'get') saw(op.sortKey, result.value);
    else if (op.kind === 'checkAndSet' && result.kind === 'checkAndSet') saw(op.checkSortKey, result.checkValue);
    else if (op.kind === 'incr' && result.kind === 'incr') {
      const before = result.newValue - op.delta;
      saw(op.sortKey, String(before));
      if (before === 0) saw(op.sortKey, undefined);
    } else if (op.kind === 'multiGetAll' && result.kind === 'multiGetAll') {
      sawAll = true;
      for (const [sortKey, value] of result.entries) saw(sortKey, value);
    } else if (op.kind === 'sortKeyCount') {
      sawAll = true;
      counted = true;
    }
  }
  return { values, absent, read, sawAll, counted };
}

/**
 * Whether removing `entry` could leave a remaining read's observation unexplained: then the smaller
 * history would fail for a different reason ("a value never written") than the one being shrunk.
 */
function explainsObservation(entry: HistoryEntry, seen: Observations): boolean {
  const op = entry.op;
  const wrote = (sortKey: string, value: string) => seen.counted || seen.values.has(`${sortKey}\u0000${value}`);
  const removed = (sortKey: string) => seen.absent.has(sortKey) || seen.sawAll;
  switch (op.kind) {
    case 'set':
      return wrote(op.sortKey, op.value);
    case 'multiSet':
      return op.entries.some(([sortKey, value]) => wrote(sortKey, value));
    case 'checkAndSet':
      return wrote(op.setSortKey, op.setValue);
    case 'incr':
      // Every later incr's sum builds on this one, so a remaining reader of the sort key may depend on it.
      return seen.read.has(op.sortKey) || seen.sawAll;
    case 'del':
      return removed(op.sortKey);
    case 'multiDel':
      return op.sortKeys.some(removed);
    default:
      return false;
  }
}

interface ShrinkBudget {
  stepsLeft: number;
  readonly maxSearchSteps: number;
}

function failsWithin(entries: readonly HistoryEntry[], budget: ShrinkBudget): boolean {
  if (budget.stepsLeft <= 0) return false;
  const verdict = searchPart(entries, Math.min(budget.maxSearchSteps, budget.stepsLeft));
  budget.stepsLeft -= verdict.steps;
  return verdict.verdict === 'notLinearizable';
}

/**
 * A small sub-history of a failing part that still fails: first the shortest failing prefix in time,
 * then greedy removal of all the entries of one sort key at a time, then of single entries, latest first. Entries in `pinned` are kept. Writes that could
 * explain what a remaining read saw are kept too, so the failure stays the one found rather than
 * turning into "a value never written".
 */
export function shrinkFailing(
  entries: readonly HistoryEntry[],
  pinnedIds: ReadonlySet<number>,
  maxShrinkSteps: number,
  maxSearchSteps: number,
): HistoryEntry[] {
  const budget: ShrinkBudget = { stepsLeft: maxShrinkSteps, maxSearchSteps };
  let current = [...entries];
  const pinnedCompleteMs = Math.max(-Infinity, ...entries.filter((e) => pinnedIds.has(e.id)).map((e) => e.completeMs));
  const cuts = [...new Set(entries.filter((e) => e.outcome.status === 'ok').map((e) => e.completeMs))]
    .filter((t) => t >= pinnedCompleteMs)
    .sort((a, b) => a - b);
  let low = 0;
  let high = cuts.length - 1;
  let best: HistoryEntry[] | undefined;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const prefix = prefixAt(entries, cuts[mid]!);
    if (failsWithin(prefix, budget)) {
      best = prefix;
      high = mid - 1;
    } else {
      low = mid + 1;
    }
  }
  if (best !== undefined) current = best;

  for (let round = 0; round < 3 && budget.stepsLeft > 0; round++) {
    const before = current.length;
    current = removeSortKeys(current, pinnedIds, budget);
    current = removeSingles(current, pinnedIds, budget);
    if (current.length === before) break;
  }
  return sortByInvoke(current);
}

/** Drops all the entries touching only one sort key at once: an incr chain only goes away whole. */
function removeSortKeys(entries: HistoryEntry[], pinnedIds: ReadonlySet<number>, budget: ShrinkBudget): HistoryEntry[] {
  let current = entries;
  const bySortKey = new Map<string, HistoryEntry[]>();
  for (const entry of current) {
    const sortKey = onlySortKey(entry.op);
    if (sortKey === undefined || pinnedIds.has(entry.id)) continue;
    let group = bySortKey.get(sortKey);
    if (group === undefined) bySortKey.set(sortKey, (group = []));
    group.push(entry);
  }
  for (const sortKey of [...bySortKey.keys()].sort()) {
    if (budget.stepsLeft <= 0) break;
    const group = new Set(bySortKey.get(sortKey));
    const rest = current.filter((e) => !group.has(e));
    const seen = observations(rest);
    if ([...group].some((e) => isWrite(e.op) && explainsObservation(e, seen))) continue;
    if (failsWithin(rest, budget)) current = rest;
  }
  return current;
}

/** Drops single entries, latest first. */
function removeSingles(entries: HistoryEntry[], pinnedIds: ReadonlySet<number>, budget: ShrinkBudget): HistoryEntry[] {
  let current = entries;
  const byInvokeDescending = [...current].sort((a, b) => b.invokeMs - a.invokeMs || b.id - a.id);
  for (const candidate of byInvokeDescending) {
    if (budget.stepsLeft <= 0) break;
    if (pinnedIds.has(candidate.id)) continue;
    const rest = current.filter((e) => e !== candidate);
    if (isWrite(candidate.op) && explainsObservation(candidate, observations(rest))) continue;
    if (failsWithin(rest, budget)) current = rest;
  }
  return current;
}

/** The one sort key an operation touches, if it touches exactly one. */
function onlySortKey(op: HistoryEntry['op']): string | undefined {
  switch (op.kind) {
    case 'set':
    case 'del':
    case 'get':
    case 'incr':
      return op.sortKey;
    case 'checkAndSet':
      return op.checkSortKey === op.setSortKey ? op.checkSortKey : undefined;
    case 'multiSet': {
      const sortKeys = new Set(op.entries.map(([sortKey]) => sortKey));
      return sortKeys.size === 1 ? [...sortKeys][0] : undefined;
    }
    case 'multiDel':
      return new Set(op.sortKeys).size === 1 ? op.sortKeys[0] : undefined;
    default:
      return undefined;
  }
}

function sortByInvoke(entries: readonly HistoryEntry[]): HistoryEntry[] {
  return [...entries].sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
}

function formatObserved(entry: HistoryEntry): string {
  const outcome = entry.outcome;
  if (outcome.status === 'ok') return `ok ${formatResult(outcome.result)}`;
  return `${outcome.status} (${outcome.error})`;
}

/** One line per entry, sorted by invocation: id, client, interval, operation, outcome. */
export function formatHistory(entries: readonly HistoryEntry[]): string {
  return sortByInvoke(entries)
    .map((e) => {
      const until = e.outcome.status === 'unknown' ? `${e.completeMs}ms gave up` : `${e.completeMs}ms`;
      return `#${e.id} client ${e.clientId} [${e.invokeMs}..${until}] ${formatOp(e.op)} → ${formatObserved(e)}`;
    })
    .join('\n');
}

/** For two multiGetAll results, the sort keys they disagree on; a long listing hides them otherwise. */
function differences(expected: ModelResult, observed: SimResult): string {
  if (expected.kind !== 'multiGetAll' || observed.kind !== 'multiGetAll') return '';
  const model = new Map(expected.entries);
  const seen = new Map(observed.entries);
  const quote = (v: string | undefined) => (v === undefined ? '<absent>' : JSON.stringify(v));
  const diffs = [...new Set([...model.keys(), ...seen.keys()])]
    .filter((sortKey) => model.get(sortKey) !== seen.get(sortKey))
    .sort()
    .map((sortKey) => `${sortKey}: observed ${quote(seen.get(sortKey))}, model ${quote(model.get(sortKey))}`);
  return ` (differs at ${diffs.join('; ')})`;
}

/** Says where the deepest linearization got stuck: what each operation that could come next would see. */
export function explainFailure(entries: readonly HistoryEntry[], deepest: DeepestPrefix): string {
  const linearized = new Set(deepest.order);
  const pendingOk = entries.filter((e) => e.outcome.status === 'ok' && !linearized.has(e));
  const pendingUnknown = entries.filter((e) => e.outcome.status !== 'ok' && !linearized.has(e));
  const earliestCompleteMs = Math.min(...pendingOk.map((e) => e.completeMs));
  const nextCandidates = pendingOk.filter((e) => e.invokeMs <= earliestCompleteMs);
  const lines = [
    `No linearization of these ${entries.length} operations exists.`,
    `Deepest linearization found (${deepest.order.length} operations):`,
    ...deepest.order.map((e) => `  #${e.id} ${formatOp(e.op)}${e.outcome.status === 'ok' ? '' : ' (unknown outcome, taken to apply)'}`),
    `  state then: ${formatState(deepest.state)}`,
    'No acknowledged operation can take effect next:',
  ];
  for (const e of sortByInvoke(nextCandidates)) {
    if (e.outcome.status !== 'ok') continue;
    const expected = step(deepest.state, e.op).result;
    const verdict = resultsMatch(expected, e.outcome.result)
      ? 'matches here, but no order of the remaining operations works after it'
      : `the model gives ${formatResult(expected)}${differences(expected, e.outcome.result)}`;
    lines.push(`  #${e.id} ${formatOp(e.op)} observed ${formatResult(e.outcome.result)}: ${verdict}`);
  }
  if (pendingUnknown.length > 0) lines.push(`(${pendingUnknown.length} writes of unknown outcome were also free to take effect or not.)`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Checking a history.

export type PartCheck =
  | { readonly verdict: 'linearizable'; readonly steps: number }
  | { readonly verdict: 'notLinearizable'; readonly steps: number; readonly entries: HistoryEntry[]; readonly explanation: string }
  | { readonly verdict: 'inconclusive'; readonly steps: number; readonly reason: string };

/**
 * Checks one hash key's entries (any outcomes; `fail` entries and `unknown` reads are dropped here), and
 * shrinks a failure. `pinnedIds` are kept by the shrinking (the durability checker pins its final read).
 */
export function checkPart(
  entries: readonly HistoryEntry[],
  options: LinearizabilityOptions = {},
  pinnedIds: ReadonlySet<number> = new Set(),
): PartCheck {
  const maxEntries = options.maxEntriesPerKey ?? DEFAULT_MAX_ENTRIES_PER_KEY;
  const maxSearchSteps = options.maxSearchSteps ?? DEFAULT_MAX_SEARCH_STEPS;
  const searched = constrainingEntries(entries);
  if (searched.length > maxEntries) {
    return { verdict: 'inconclusive', steps: 0, reason: `${searched.length} entries exceed the bound of ${maxEntries} per hash key` };
  }
  const verdict = searchPart(searched, maxSearchSteps);
  if (verdict.verdict !== 'notLinearizable') return verdict;
  // Dropping entries can drop the constraints that pruned the search, so one attempt may cost far more
  // than the whole part did; such an attempt is given up (the entry stays) rather than paid for.
  const attemptSteps = Math.min(maxSearchSteps, Math.max(10_000, 2 * verdict.steps));
  const small = shrinkFailing(searched, pinnedIds, options.maxShrinkSteps ?? DEFAULT_MAX_SHRINK_STEPS, attemptSteps);
  // The shrunk history fails by construction; searching it again only recovers its deepest prefix.
  const again = searchPart(small, maxSearchSteps);
  const explanation = again.verdict === 'notLinearizable' ? explainFailure(small, again.deepest) : explainFailure(searched, verdict.deepest);
  return { verdict: 'notLinearizable', steps: verdict.steps, entries: again.verdict === 'notLinearizable' ? small : sortByInvoke(searched), explanation };
}

export function checkLinearizable(history: readonly HistoryEntry[], options: LinearizabilityOptions = {}): LinearizabilityReport {
  const failures: LinearizabilityFailure[] = [];
  const inconclusive: Inconclusive[] = [];
  let entriesChecked = 0;
  let searchSteps = 0;
  const parts = partitionByHashKey(history);
  for (const [hashKey, entries] of parts) {
    entriesChecked += constrainingEntries(entries).length;
    const result = checkPart(entries, options);
    searchSteps += result.steps;
    if (result.verdict === 'notLinearizable') failures.push({ hashKey, entries: result.entries, explanation: result.explanation });
    else if (result.verdict === 'inconclusive') inconclusive.push({ hashKey, reason: result.reason });
  }
  return {
    ok: failures.length === 0 && inconclusive.length === 0,
    keysChecked: parts.size,
    entriesChecked,
    searchSteps,
    failures,
    inconclusive,
  };
}
