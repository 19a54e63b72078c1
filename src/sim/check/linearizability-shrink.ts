/**
 * Shrinking a failing part of a history to a small sub-history that still fails for the same reason (see
 * linearizability.ts): the earliest failing cut-off in time first, then whole sort keys, then single entries,
 * never removing a write a remaining read could have seen.
 */
import { sortByInvoke } from './linearizability-explain.ts';
import { isWrite, type HistoryEntry, type SimResult } from './history.ts';
import { searchPart } from './linearizability-search.ts';

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
