/** What a developer reads of a failing part: the history, one line per entry, and why it fails. */
import type { HistoryEntry, SimResult } from './history.ts';
import { formatOp, formatResult, formatState, resultsMatch, step, type ModelResult } from './hash-key-model.ts';
import type { DeepestPrefix } from './linearizability-search.ts';

export function sortByInvoke(entries: readonly HistoryEntry[]): HistoryEntry[] {
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
