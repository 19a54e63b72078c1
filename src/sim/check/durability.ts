/**
 * The durability checker (simulation.md "Checkers"): after the faults heal and the cluster is quiet, the
 * simulator reads every hash key with multiGetAll, and every acknowledged write must still be there
 * unless a later write replaced it.
 *
 * Two checks per hash key, assuming every hash key starts empty:
 * - direct, per sort key, for a readable message: the final value must come from a "last" write of that
 *   sort key (an `ok` or `unknown` write that no `ok` write of the same sort key follows in real time),
 *   and an absent value needs such a delete, or no acknowledged write of the sort key at all;
 * - complete: the final state must be reachable by linearizing the whole part followed by the final read
 *   (an `ok` multiGetAll invoked after every other operation completed), which catches combinations the
 *   per-sort-key rule cannot see (an incr chain, a checkAndSet that set or did not).
 * `unknown` writes may still take effect after the final read, so their values are acceptable, never
 * required.
 */
import { isWrite, type HistoryEntry } from './history.ts';
import { formatEntries, parseStoredInt64, stateFromEntries, type SortedEntries } from './hash-key-model.ts';
import { checkPart, partitionByHashKey, searchPart, constrainingEntries, DEFAULT_MAX_SEARCH_STEPS } from './linearizability.ts';
import type { Inconclusive, LinearizabilityOptions } from './linearizability.ts';

export interface LostWrite {
  readonly hashKey: string;
  readonly sortKey: string;
  /** Values the final read may acceptably hold at this sort key. */
  readonly expected: string[];
  /** Whether the sort key may acceptably be absent. */
  readonly absentAcceptable: boolean;
  /** An `unknown` incr could have left any integer there. */
  readonly anyIntegerAcceptable: boolean;
  readonly found: string | undefined;
  /** The writes that bear on it: the last ones, and any that wrote the value found. */
  readonly entries: HistoryEntry[];
  readonly explanation: string;
}

/** A final state no linearization of the key's history reaches, though each sort key looks explained. */
export interface UnreachableFinalState {
  readonly hashKey: string;
  /** A small failing sub-history; the final read is the entry with client id -1. */
  readonly entries: HistoryEntry[];
  readonly explanation: string;
}

export interface DurabilityReport {
  readonly ok: boolean;
  readonly keysChecked: number;
  readonly lost: LostWrite[];
  readonly unreachable: UnreachableFinalState[];
  readonly inconclusive: Inconclusive[];
  /** Hash keys with acknowledged writes but no final state given: nothing proves them durable. */
  readonly unreadHashKeys: string[];
}

export const FINAL_READ_CLIENT_ID = -1;

type Effect = { readonly kind: 'value'; readonly value: string } | { readonly kind: 'absent' } | { readonly kind: 'anyInteger' };

interface Write {
  readonly entry: HistoryEntry;
  readonly effect: Effect;
  /** An `ok` write certainly took effect; an `unknown` one maybe. */
  readonly definite: boolean;
}

/** What an `ok` or `unknown` entry wrote, per sort key it may have written. */
function writeEffects(entry: HistoryEntry): Array<readonly [string, Effect]> {
  const status = entry.outcome.status;
  if (status === 'fail' || !isWrite(entry.op)) return [];
  const op = entry.op;
  const result = entry.outcome.status === 'ok' ? entry.outcome.result : undefined;
  switch (op.kind) {
    case 'set':
      return [[op.sortKey, { kind: 'value', value: op.value }]];
    case 'del':
      return [[op.sortKey, { kind: 'absent' }]];
    case 'multiSet': {
      // A later duplicate sort key wins within one batch.
      const last = new Map<string, string>();
      for (const [sortKey, value] of op.entries) last.set(sortKey, value);
      return [...last].map(([sortKey, value]) => [sortKey, { kind: 'value', value }] as const);
    }
    case 'multiDel':
      return [...new Set(op.sortKeys)].map((sortKey) => [sortKey, { kind: 'absent' }] as const);
    case 'incr':
      if (result === undefined) return [[op.sortKey, { kind: 'anyInteger' }]];
      return result.kind === 'incr' ? [[op.sortKey, { kind: 'value', value: String(result.newValue) }]] : [];
    case 'checkAndSet':
      if (result === undefined) return [[op.setSortKey, { kind: 'value', value: op.setValue }]];
      return result.kind === 'checkAndSet' && result.setDone ? [[op.setSortKey, { kind: 'value', value: op.setValue }]] : [];
    default:
      return [];
  }
}

function writesBySortKey(entries: readonly HistoryEntry[]): Map<string, Write[]> {
  const bySortKey = new Map<string, Write[]>();
  for (const entry of entries) {
    for (const [sortKey, effect] of writeEffects(entry)) {
      let writes = bySortKey.get(sortKey);
      if (writes === undefined) bySortKey.set(sortKey, (writes = []));
      writes.push({ entry, effect, definite: entry.outcome.status === 'ok' });
    }
  }
  return bySortKey;
}

const MAX_ENTRIES_PER_LOST_WRITE = 20;

function checkSortKey(hashKey: string, sortKey: string, writes: readonly Write[], found: string | undefined): LostWrite | undefined {
  const definite = writes.filter((w) => w.definite);
  // An `ok` write followed in real time by another `ok` write of the sort key cannot be the last to apply.
  const last = writes.filter((w) => !w.definite || !definite.some((later) => w.entry.completeMs < later.entry.invokeMs));
  const expected = [...new Set(last.flatMap((w) => (w.effect.kind === 'value' ? [w.effect.value] : [])))].sort();
  const absentAcceptable = definite.length === 0 || last.some((w) => w.effect.kind === 'absent');
  const anyIntegerAcceptable = last.some((w) => w.effect.kind === 'anyInteger');
  const acceptable =
    found === undefined ? absentAcceptable : expected.includes(found) || (anyIntegerAcceptable && parseStoredInt64(found) !== undefined);
  if (acceptable) return undefined;
  const wroteFound = writes.filter((w) => w.effect.kind === 'value' && w.effect.value === found).slice(-3);
  const shown = [...new Set([...last, ...wroteFound].map((w) => w.entry))]
    .sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id)
    .slice(-MAX_ENTRIES_PER_LOST_WRITE);
  const options = [...expected.map((v) => JSON.stringify(v)), ...(absentAcceptable ? ['<absent>'] : []), ...(anyIntegerAcceptable ? ['any integer'] : [])];
  const foundText = found === undefined ? '<absent>' : JSON.stringify(found);
  const why =
    writes.length === 0
      ? 'nothing ever wrote this sort key'
      : `the last writes of this sort key (${last.map((w) => `#${w.entry.id}`).join(', ')}) allow only ${options.join(' or ')}`;
  return {
    hashKey,
    sortKey,
    expected,
    absentAcceptable,
    anyIntegerAcceptable,
    found,
    entries: shown,
    explanation: `final read of ${hashKey}/${sortKey} found ${foundText}, but ${why}`,
  };
}

/**
 * Checks the final state of every hash key against the history. `finalState` must hold an entry, empty
 * if the key is empty, for every hash key the history wrote; hash keys it lacks are reported unread.
 */
export function checkDurability(
  history: readonly HistoryEntry[],
  finalState: ReadonlyMap<string, SortedEntries>,
  options: LinearizabilityOptions = {},
): DurabilityReport {
  const lost: LostWrite[] = [];
  const unreachable: UnreachableFinalState[] = [];
  const inconclusive: Inconclusive[] = [];
  const unreadHashKeys: string[] = [];
  const parts = partitionByHashKey(history);
  const finalReadId = history.reduce((max, e) => Math.max(max, e.id), 0) + 1;
  let keysChecked = 0;

  for (const [hashKey, entries] of parts) {
    if (!finalState.has(hashKey) && entries.some((e) => e.outcome.status === 'ok' && isWrite(e.op))) unreadHashKeys.push(hashKey);
  }
  for (const [hashKey, rawFinal] of finalState) {
    keysChecked++;
    const final = stateFromEntries(rawFinal).entries;
    const entries = parts.get(hashKey) ?? [];
    const writes = writesBySortKey(entries);
    const finalBySortKey = new Map(final);
    const sortKeys = [...new Set([...writes.keys(), ...finalBySortKey.keys()])].sort();
    const lostHere = sortKeys.flatMap((sortKey) => checkSortKey(hashKey, sortKey, writes.get(sortKey) ?? [], finalBySortKey.get(sortKey)) ?? []);
    lost.push(...lostHere);
    if (lostHere.length > 0) continue;

    const quietMs = entries.reduce((max, e) => Math.max(max, e.invokeMs, Number.isFinite(e.completeMs) ? e.completeMs : e.invokeMs), 0) + 1;
    const finalRead: HistoryEntry = {
      id: finalReadId,
      clientId: FINAL_READ_CLIENT_ID,
      hashKey,
      op: { kind: 'multiGetAll' },
      invokeMs: quietMs,
      completeMs: quietMs,
      outcome: { status: 'ok', result: { kind: 'multiGetAll', entries: final } },
    };
    const result = checkPart([...entries, finalRead], options, new Set([finalReadId]));
    if (result.verdict === 'inconclusive') {
      inconclusive.push({ hashKey, reason: result.reason });
    } else if (result.verdict === 'notLinearizable') {
      const withoutFinal = searchPart(constrainingEntries(entries), options.maxSearchSteps ?? DEFAULT_MAX_SEARCH_STEPS);
      const preface =
        withoutFinal.verdict === 'notLinearizable'
          ? `The history of ${hashKey} is not linearizable even without the final read (the linearizability checker reports it).`
          : `The final state of ${hashKey}, ${formatEntries(final)}, is not reachable by any linearization of its history.`;
      unreachable.push({ hashKey, entries: result.entries, explanation: `${preface}\n${result.explanation}` });
    }
  }
  return {
    ok: lost.length === 0 && unreachable.length === 0 && inconclusive.length === 0 && unreadHashKeys.length === 0,
    keysChecked,
    lost,
    unreachable,
    inconclusive,
    unreadHashKeys,
  };
}
