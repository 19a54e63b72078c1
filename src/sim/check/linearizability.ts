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
import type { HistoryEntry } from './history.ts';
import { constrainingEntries, searchPart } from './linearizability-search.ts';
import { shrinkFailing } from './linearizability-shrink.ts';
import { explainFailure, sortByInvoke } from './linearizability-explain.ts';

export { constrainingEntries, searchPart, unobservableUnknownWrites, type DeepestPrefix, type SearchVerdict } from './linearizability-search.ts';
export { PENDING_AT_CUT, shrinkFailing } from './linearizability-shrink.ts';
export { explainFailure, formatHistory } from './linearizability-explain.ts';


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
