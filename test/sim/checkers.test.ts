/**
 * The simulator's history checkers on hand-made histories (each pass or failure a reader can verify by
 * eye) and on histories generated from the model with seeded overlap, which are linearizable by
 * construction and stop being so when one read result is made impossible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEntry, SimOp, SimOutcome, SimResult } from '../../src/sim/check/history.ts';
import { EMPTY_STATE, resultsMatch, step, stateFromEntries, type HashKeyState } from '../../src/sim/check/hash-key-model.ts';
import { checkLinearizable, constrainingEntries, formatHistory, searchPart, unobservableUnknownWrites } from '../../src/sim/check/linearizability.ts';
import { checkDurability } from '../../src/sim/check/durability.ts';
import { seededRandom } from '../support/seeded-random.ts';

// ---------------------------------------------------------------------------------------------------
// Building histories by hand.

const set = (sortKey: string, value: string): SimOp => ({ kind: 'set', sortKey, value });
const del = (sortKey: string): SimOp => ({ kind: 'del', sortKey });
const multiSet = (...entries: Array<[string, string]>): SimOp => ({ kind: 'multiSet', entries });
const multiDel = (...sortKeys: string[]): SimOp => ({ kind: 'multiDel', sortKeys });
const get = (sortKey: string): SimOp => ({ kind: 'get', sortKey });
const multiGetAll: SimOp = { kind: 'multiGetAll' };
const sortKeyCount: SimOp = { kind: 'sortKeyCount' };
const incr = (sortKey: string, delta: number): SimOp => ({ kind: 'incr', sortKey, delta });
const cas = (checkSortKey: string, check: 'exists' | 'notExists' | 'valueEquals', operand: string, setSortKey: string, setValue: string): SimOp => ({
  kind: 'checkAndSet',
  checkSortKey,
  check,
  operand,
  setSortKey,
  setValue,
});

const done: SimResult = { kind: 'write' };
const value = (v: string | undefined): SimResult => ({ kind: 'get', value: v });
const all = (...entries: Array<[string, string]>): SimResult => ({ kind: 'multiGetAll', entries });
const count = (n: number): SimResult => ({ kind: 'sortKeyCount', count: n });
const sum = (n: number): SimResult => ({ kind: 'incr', newValue: n });
const casResult = (setDone: boolean, checkValue: string | undefined): SimResult => ({ kind: 'checkAndSet', setDone, checkValue });

/** Appends entries with ids in call order; `[invokeMs, completeMs]` is the interval. */
class History {
  readonly entries: HistoryEntry[] = [];

  ok(clientId: number, interval: [number, number], op: SimOp, result: SimResult, hashKey = 'h'): HistoryEntry {
    return this.add(clientId, interval, op, { status: 'ok', result }, hashKey);
  }

  unknown(clientId: number, interval: [number, number], op: SimOp, hashKey = 'h'): HistoryEntry {
    return this.add(clientId, interval, op, { status: 'unknown', error: 'timeout' }, hashKey);
  }

  fail(clientId: number, interval: [number, number], op: SimOp, hashKey = 'h'): HistoryEntry {
    return this.add(clientId, interval, op, { status: 'fail', error: 'ERR_INVALID_STATE' }, hashKey);
  }

  private add(clientId: number, [invokeMs, completeMs]: [number, number], op: SimOp, outcome: SimOutcome, hashKey: string): HistoryEntry {
    const entry: HistoryEntry = { id: this.entries.length + 1, clientId, hashKey, op, invokeMs, completeMs, outcome };
    this.entries.push(entry);
    return entry;
  }
}

function assertLinearizable(history: History): void {
  const report = checkLinearizable(history.entries);
  assert.deepEqual(report.failures, [], report.failures.map((f) => f.explanation).join('\n'));
  assert.deepEqual(report.inconclusive, []);
  assert.equal(report.ok, true);
}

function assertNotLinearizable(history: History, mustInclude: readonly HistoryEntry[]): string {
  const report = checkLinearizable(history.entries);
  assert.equal(report.ok, false);
  assert.deepEqual(report.inconclusive, []);
  assert.equal(report.failures.length, 1);
  const failure = report.failures[0]!;
  for (const entry of mustInclude) assert.ok(failure.entries.includes(entry), `the failing sub-history keeps #${entry.id}:\n${formatHistory(failure.entries)}`);
  // The reported sub-history is itself a counterexample.
  assert.equal(searchPart(constrainingEntries(failure.entries), 100_000).verdict, 'notLinearizable');
  return failure.explanation;
}

// ---------------------------------------------------------------------------------------------------
// The model.

function run(ops: SimOp[], from: HashKeyState = EMPTY_STATE): { state: HashKeyState; results: SimResult[] } {
  let state = from;
  const results: SimResult[] = [];
  for (const op of ops) {
    const outcome = step(state, op);
    assert.notEqual(outcome.result.kind, 'error', `step ${JSON.stringify(op)}`);
    results.push(outcome.result as SimResult);
    state = outcome.state;
  }
  return { state, results };
}

test('model: set, del, multiSet, multiDel and the reads see a sorted map', () => {
  const { state, results } = run([
    set('b', '2'),
    multiSet(['c', '3'], ['a', '1'], ['c', '33']),
    get('c'),
    del('b'),
    get('b'),
    set('e', ''),
    multiGetAll,
    sortKeyCount,
    multiDel('a', 'zz', 'e'),
    multiGetAll,
  ]);
  assert.deepEqual(results, [
    done,
    done,
    value('33'),
    done,
    value(undefined),
    done,
    all(['a', '1'], ['c', '33'], ['e', '']),
    count(3),
    done,
    all(['c', '33']),
  ]);
  assert.deepEqual(state.entries, [['c', '33']]);
  assert.equal(state.key, stateFromEntries([['c', '33']]).key);
});

test('model: a step that changes nothing returns the same state object', () => {
  const state = stateFromEntries([['a', '1']]);
  assert.equal(step(state, set('a', '1')).state, state);
  assert.equal(step(state, del('b')).state, state);
  assert.equal(step(state, get('a')).state, state);
  assert.equal(step(state, cas('a', 'notExists', '', 'b', 'x')).state, state);
});

test('model: incr counts absent and empty as 0, parses like strtoll base 0, and refuses the rest', () => {
  assert.deepEqual(run([incr('n', 5), incr('n', -7)]).results, [sum(5), sum(-2)]);
  assert.deepEqual(step(stateFromEntries([['n', '']]), incr('n', 3)).result, sum(3));
  assert.deepEqual(step(stateFromEntries([['n', ' 0x10']]), incr('n', 1)).result, sum(17));
  assert.deepEqual(step(stateFromEntries([['n', '010']]), incr('n', 1)).result, sum(9));
  const stored = step(stateFromEntries([['n', '41']]), incr('n', 1));
  assert.equal(stored.state.entries[0]![1], '42');
  for (const bad of ['x', '1 ', '08', '0x', '+', '9223372036854775808']) {
    const state = stateFromEntries([['n', bad]]);
    const outcome = step(state, incr('n', 1));
    assert.equal(outcome.result.kind, 'error', bad);
    assert.equal(outcome.state, state, `a refused incr of ${bad} changes nothing`);
  }
  assert.equal(step(stateFromEntries([['n', '9223372036854775807']]), incr('n', 1)).result.kind, 'error');
});

test('model: checkAndSet returns the checked value before the op and sets only when the check holds', () => {
  const { state, results } = run([
    cas('a', 'exists', '', 'b', 'x'),
    cas('a', 'notExists', '', 'a', '1'),
    cas('a', 'notExists', '', 'a', '2'),
    cas('a', 'valueEquals', '1', 'a', '3'),
    cas('a', 'valueEquals', '1', 'b', '4'),
    cas('a', 'exists', '', 'b', '5'),
    cas('zz', 'valueEquals', '', 'c', '6'),
  ]);
  assert.deepEqual(results, [
    casResult(false, undefined),
    casResult(true, undefined),
    casResult(false, '1'),
    casResult(true, '1'),
    casResult(false, '3'),
    casResult(true, '3'),
    casResult(false, undefined),
  ]);
  assert.deepEqual(state.entries, [['a', '3'], ['b', '5']]);
});

test('model: resultsMatch compares every field, and no observed result matches a refused op', () => {
  assert.ok(resultsMatch(all(['a', '1']), all(['a', '1'])));
  assert.ok(!resultsMatch(all(['a', '1']), all(['a', '2'])));
  assert.ok(!resultsMatch(all(['a', '1']), all()));
  assert.ok(!resultsMatch(value(undefined), value('')));
  assert.ok(!resultsMatch(casResult(true, 'x'), casResult(true, undefined)));
  assert.ok(!resultsMatch(casResult(true, 'x'), casResult(false, 'x')));
  assert.ok(!resultsMatch(done, value(undefined)));
  assert.ok(!resultsMatch({ kind: 'error', error: 'refused' }, sum(1)));
});

// ---------------------------------------------------------------------------------------------------
// Linearizable histories pass.

test('concurrent overlapping writes and reads may take effect in either order', () => {
  const h = new History();
  h.ok(1, [0, 10], set('a', '1'), done);
  h.ok(2, [2, 12], set('a', '2'), done);
  h.ok(3, [3, 5], get('a'), value('2'));
  h.ok(3, [6, 8], get('a'), value('1'));
  h.ok(4, [1, 2], get('a'), value(undefined));
  h.ok(3, [13, 14], get('a'), value('1'));
  h.ok(4, [12, 20], multiGetAll, all(['a', '1']));
  assertLinearizable(h);
});

test('an operation completing at t is concurrent with one invoked at t', () => {
  const h = new History();
  h.ok(1, [0, 5], set('a', '1'), done);
  h.ok(2, [5, 6], get('a'), value(undefined));
  assertLinearizable(h);
});

test('an unknown write may take effect long after the client gave up', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done);
  h.unknown(2, [2, 5], set('a', '2'));
  h.ok(1, [6, 7], get('a'), value('1'));
  h.ok(1, [20, 21], get('a'), value('2'));
  h.ok(1, [22, 23], get('a'), value('2'));
  assertLinearizable(h);
});

test('an unknown write may never take effect, and failed writes and unknown reads are left out', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done);
  h.unknown(2, [2, 5], set('a', '2'));
  h.fail(3, [2, 3], set('a', '3'));
  h.unknown(3, [4, 9], get('a'));
  h.fail(3, [10, 11], get('a'));
  h.ok(1, [6, 7], get('a'), value('1'));
  h.ok(1, [30, 31], multiGetAll, all(['a', '1']));
  const report = checkLinearizable(h.entries);
  assert.equal(report.ok, true);
  assert.equal(report.entriesChecked, 4, 'the ok set, the unknown set and the two ok reads');
});

test('incr and checkAndSet sequences as read-modify-write steps', () => {
  const h = new History();
  h.ok(1, [0, 2], incr('n', 1), sum(1));
  h.ok(2, [1, 3], incr('n', 5), sum(6));
  h.ok(3, [1, 4], get('n'), value('1'));
  h.ok(1, [5, 6], incr('n', -2), sum(4));
  h.unknown(2, [5, 8], incr('n', 10));
  h.ok(3, [9, 10], get('n'), value('14'));
  h.ok(1, [10, 12], cas('lock', 'notExists', '', 'lock', 'c1'), casResult(true, undefined));
  h.ok(2, [11, 13], cas('lock', 'notExists', '', 'lock', 'c2'), casResult(false, 'c1'));
  h.ok(2, [14, 15], cas('lock', 'valueEquals', 'c1', 'owner', 'c1'), casResult(true, 'c1'));
  h.ok(3, [14, 16], cas('owner', 'exists', '', 'owner', 'c3'), casResult(true, 'c1'));
  h.ok(1, [17, 18], get('owner'), value('c3'));
  assertLinearizable(h);
});

test('multiSet, multiDel, multiGetAll and sortKeyCount are atomic over sort keys', () => {
  const h = new History();
  h.ok(1, [0, 1], multiSet(['a', '1'], ['b', '1'], ['c', '1']), done);
  h.ok(1, [2, 10], multiSet(['a', '2'], ['b', '2']), done);
  h.ok(2, [3, 11], multiDel('c', 'b'), done);
  h.ok(3, [4, 5], multiGetAll, all(['a', '2'], ['b', '2'], ['c', '1']));
  h.ok(3, [6, 7], sortKeyCount, count(1));
  h.ok(3, [12, 13], multiGetAll, all(['a', '2']));
  assertLinearizable(h);
});

test('hash keys are checked independently', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done, 'k1');
  h.ok(1, [2, 3], set('a', '2'), done, 'k2');
  h.ok(2, [4, 5], get('a'), value('1'), 'k1');
  h.ok(2, [6, 7], get('a'), value('2'), 'k2');
  h.ok(2, [8, 9], get('a'), value(undefined), 'k3');
  const report = checkLinearizable(h.entries);
  assert.equal(report.ok, true);
  assert.equal(report.keysChecked, 3);
});

test('unknown writes no read can observe are set aside, and observed ones are kept', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done);
  const unseen = h.unknown(2, [2, 3], set('a', 'never-read'));
  const overwritten = h.unknown(2, [4, 5], multiSet(['b', 'x'], ['c', 'y']));
  const seenLater = h.unknown(3, [4, 5], set('d', 'read-later'));
  h.ok(1, [6, 7], set('b', '2'), done);
  h.ok(1, [8, 9], get('a'), value('1'));
  h.ok(1, [10, 11], get('d'), value('read-later'));
  h.ok(1, [12, 13], get('c'), value(undefined));
  const removal = h.unknown(3, [14, 15], del('c'));
  const skipped = unobservableUnknownWrites(constrainingEntries(h.entries));
  assert.ok(skipped.has(unseen));
  assert.ok(skipped.has(overwritten), 'no read saw b=x or c=y');
  assert.ok(!skipped.has(seenLater));
  assert.ok(!skipped.has(removal), 'a read saw c absent, which the delete may explain');
  assertLinearizable(h);
});

test('an unknown write whose only trace is a count, an incr or an unknown checkAndSet is still needed', () => {
  const counted = new History();
  counted.ok(1, [0, 1], set('a', '1'), done);
  counted.unknown(2, [2, 3], set('b', 'unread'));
  counted.ok(1, [10, 11], sortKeyCount, count(2));
  assertLinearizable(counted);

  const incremented = new History();
  incremented.unknown(1, [0, 1], set('n', '5'));
  incremented.unknown(2, [2, 3], incr('n', 1));
  incremented.ok(3, [10, 11], get('n'), value('6'));
  assertLinearizable(incremented);

  const checked = new History();
  checked.unknown(1, [0, 1], set('a', 'unread'));
  checked.unknown(2, [2, 3], cas('a', 'exists', '', 'b', 'y'));
  checked.ok(3, [10, 11], get('b'), value('y'));
  assertLinearizable(checked);
});

// ---------------------------------------------------------------------------------------------------
// Broken histories fail.

test('a stale read after an acknowledged write completed fails', () => {
  const h = new History();
  const first = h.ok(1, [0, 1], set('a', '1'), done);
  const second = h.ok(1, [2, 3], set('a', '2'), done);
  const stale = h.ok(2, [4, 5], get('a'), value('1'));
  const explanation = assertNotLinearizable(h, [first, second, stale]);
  assert.match(explanation, /#3 get\(a\) observed "1": the model gives "2"/);
});

test('a read of a value never written fails', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done);
  const bogus = h.ok(2, [0, 5], get('a'), value('9'));
  const explanation = assertNotLinearizable(h, [bogus]);
  assert.match(explanation, /observed "9"/);
});

test('an unknown write cannot explain a read that completed before the write was invoked', () => {
  const h = new History();
  const early = h.ok(1, [0, 1], get('a'), value('2'));
  h.unknown(2, [5, 6], set('a', '2'));
  assertNotLinearizable(h, [early]);
});

test('an incr applied twice fails', () => {
  const h = new History();
  const first = h.ok(1, [0, 1], incr('n', 1), sum(1));
  const second = h.ok(2, [2, 3], incr('n', 1), sum(1));
  const explanation = assertNotLinearizable(h, [first, second]);
  assert.match(explanation, /incr\(n, 1\) observed 1: the model gives 2/);
});

test('an acknowledged incr cannot have applied to a non-integer value', () => {
  const h = new History();
  h.ok(1, [0, 1], set('n', 'x'), done);
  const impossible = h.ok(1, [2, 3], incr('n', 1), sum(1));
  const explanation = assertNotLinearizable(h, [impossible]);
  assert.match(explanation, /error: incr of non-integer value "x"/);
});

test('a checkAndSet whose setDone contradicts the state fails', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', 'x'), done);
  const wrong = h.ok(2, [2, 3], cas('a', 'notExists', '', 'a', 'y'), casResult(true, 'x'));
  assertNotLinearizable(h, [wrong]);
});

test('a checkAndSet that reports not setting, but whose value is later read, fails', () => {
  const h = new History();
  h.ok(1, [0, 1], cas('a', 'notExists', '', 'a', 'y'), casResult(false, undefined));
  h.ok(2, [2, 3], get('a'), value('y'));
  assertNotLinearizable(h, []);
});

test('a read-your-write violation across clients fails', () => {
  const h = new History();
  const write = h.ok(1, [0, 1], set('a', '1'), done);
  const read = h.ok(2, [2, 3], get('a'), value(undefined));
  assertNotLinearizable(h, [write, read]);
});

test('non-monotonic reads fail: once the new value is seen, the old one cannot come back', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', 'old'), done);
  h.ok(1, [2, 20], set('a', 'new'), done);
  const readNew = h.ok(2, [3, 4], get('a'), value('new'));
  const readOld = h.ok(2, [5, 6], get('a'), value('old'));
  assertNotLinearizable(h, [readNew, readOld]);
});

test('a multiGetAll that sees half of a multiSet fails', () => {
  const h = new History();
  h.ok(1, [0, 10], multiSet(['a', '1'], ['b', '1']), done);
  const torn = h.ok(2, [2, 3], multiGetAll, all(['a', '1']));
  assertNotLinearizable(h, [torn]);
});

test('the failing sub-history is shrunk to the few entries that conflict', () => {
  const h = new History();
  let t = 0;
  for (let i = 0; i < 30; i++) {
    h.ok(1 + (i % 3), [t, t + 3], set(`k${i % 4}`, `v${i}`), done);
    h.ok(4, [t + 1, t + 2], get(`k${(i + 1) % 4}`), value(i >= 3 ? `v${i - 3}` : undefined));
    t += 5;
  }
  const write = h.ok(1, [t, t + 1], set('z', 'new'), done);
  const stale = h.ok(2, [t + 2, t + 3], get('z'), value(undefined));
  for (let i = 0; i < 10; i++) h.ok(3, [t + 4 + i, t + 5 + i], get('k0'), value('v28'));
  const report = checkLinearizable(h.entries);
  assert.equal(report.ok, false);
  const failure = report.failures[0]!;
  assert.deepEqual(failure.entries, [write, stale], formatHistory(failure.entries));
  assert.equal(formatHistory(failure.entries), `#${write.id} client 1 [150..151ms] set(z, "new") → ok done\n#${stale.id} client 2 [152..153ms] get(z) → ok <absent>`);
});

test('a search over its step budget is inconclusive, not a pass or a failure', () => {
  const h = new History();
  for (let i = 0; i < 20; i++) h.ok(i % 5, [i, i + 10], set('a', `${i}`), done);
  h.ok(9, [40, 41], get('a'), value('19'));
  const tight = checkLinearizable(h.entries, { maxSearchSteps: 5 });
  assert.equal(tight.ok, false);
  assert.deepEqual(tight.failures, []);
  assert.equal(tight.inconclusive.length, 1);
  assert.match(tight.inconclusive[0]!.reason, /exceeded 5 steps/);
  const tooLong = checkLinearizable(h.entries, { maxEntriesPerKey: 10 });
  assert.equal(tooLong.ok, false);
  assert.match(tooLong.inconclusive[0]!.reason, /21 entries exceed the bound of 10/);
  assert.equal(checkLinearizable(h.entries).ok, true);
});

// ---------------------------------------------------------------------------------------------------
// Durability.

const finalOf = (...pairs: Array<[string, Array<[string, string]>]>) => new Map(pairs);

test('durability: the final state holds the last acknowledged writes', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done);
  h.ok(1, [2, 3], set('a', '2'), done);
  h.ok(2, [0, 5], set('b', 'x'), done);
  h.ok(3, [1, 6], set('b', 'y'), done);
  h.ok(1, [4, 5], set('c', '1'), done);
  h.ok(1, [6, 7], del('c'), done);
  h.unknown(2, [8, 9], set('d', 'maybe'));
  h.unknown(2, [8, 9], set('e', 'maybe'));
  h.ok(3, [10, 11], incr('n', 2), sum(2));
  h.fail(3, [12, 13], set('f', 'never'));
  const report = checkDurability(h.entries, finalOf(['h', [['a', '2'], ['b', 'x'], ['d', 'maybe'], ['n', '2']]]));
  assert.deepEqual(report.lost, []);
  assert.deepEqual(report.unreachable, []);
  assert.equal(report.ok, true);
  assert.equal(report.keysChecked, 1);
});

test('durability: a lost acknowledged write is reported with what was expected', () => {
  const h = new History();
  const write = h.ok(1, [0, 1], set('a', '1'), done);
  h.ok(1, [2, 3], set('b', '1'), done);
  const report = checkDurability(h.entries, finalOf(['h', [['b', '1']]]));
  assert.equal(report.ok, false);
  assert.equal(report.lost.length, 1);
  const lost = report.lost[0]!;
  assert.equal(lost.sortKey, 'a');
  assert.deepEqual(lost.expected, ['1']);
  assert.equal(lost.absentAcceptable, false);
  assert.equal(lost.found, undefined);
  assert.deepEqual(lost.entries, [write]);
});

test('durability: an older value coming back, or a value never written, is lost data', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done);
  h.ok(1, [2, 3], set('a', '2'), done);
  h.ok(1, [4, 5], del('b'), done);
  const report = checkDurability(h.entries, finalOf(['h', [['a', '1'], ['b', 'ghost']]]));
  assert.deepEqual(
    report.lost.map((l) => [l.sortKey, l.found, l.expected]),
    [
      ['a', '1', ['2']],
      ['b', 'ghost', []],
    ],
  );
  assert.match(report.lost[0]!.explanation, /found "1", but the last writes of this sort key \(#2\) allow only "2"/);
});

test('durability: a final state no linearization reaches is caught even when each sort key looks fine', () => {
  const h = new History();
  h.ok(1, [0, 5], multiSet(['a', '1'], ['b', '1']), done);
  h.ok(2, [0, 5], multiSet(['a', '2'], ['b', '2']), done);
  const report = checkDurability(h.entries, finalOf(['h', [['a', '1'], ['b', '2']]]));
  assert.deepEqual(report.lost, []);
  assert.equal(report.ok, false);
  assert.equal(report.unreachable.length, 1);
  assert.match(report.unreachable[0]!.explanation, /is not reachable by any linearization/);
  assert.equal(report.unreachable[0]!.entries.at(-1)!.clientId, -1);
  assert.equal(checkDurability(h.entries, finalOf(['h', [['a', '2'], ['b', '2']]])).ok, true);
});

test('durability: an unknown incr passes the per-sort-key check with any integer, the search pins it down', () => {
  const h = new History();
  h.ok(1, [0, 1], incr('n', 2), sum(2));
  h.unknown(2, [2, 3], incr('n', 5));
  assert.equal(checkDurability(h.entries, finalOf(['h', [['n', '7']]])).ok, true);
  assert.equal(checkDurability(h.entries, finalOf(['h', [['n', '2']]])).ok, true);
  const wrong = checkDurability(h.entries, finalOf(['h', [['n', '9']]]));
  assert.deepEqual(wrong.lost, []);
  assert.equal(wrong.unreachable.length, 1);
  const notInteger = checkDurability(h.entries, finalOf(['h', [['n', 'x']]]));
  assert.equal(notInteger.lost.length, 1);
  assert.equal(notInteger.lost[0]!.anyIntegerAcceptable, true);
});

test('durability: a hash key with acknowledged writes but no final read is not proven durable', () => {
  const h = new History();
  h.ok(1, [0, 1], set('a', '1'), done, 'k1');
  h.ok(1, [0, 1], set('a', '1'), done, 'k2');
  const report = checkDurability(h.entries, finalOf(['k1', [['a', '1']]]));
  assert.equal(report.ok, false);
  assert.deepEqual(report.unreadHashKeys, ['k2']);
});

// ---------------------------------------------------------------------------------------------------
// Generated histories.

interface GenerateOptions {
  readonly seed: number;
  readonly clients: number;
  readonly operations: number;
  /** Sequential: every operation completes before the next is invoked, so the order is forced. */
  readonly sequential: boolean;
  readonly unknownRate: number;
  readonly failRate: number;
}

const SORT_KEYS = ['a', 'b', 'c', 'd'];
const COUNTERS = ['n', 'm'];

function randomOp(random: () => number, serial: number): SimOp {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const fresh = () => `v${serial}`;
  const roll = random() * 100;
  if (roll < 22) return set(pick(SORT_KEYS), fresh());
  if (roll < 28) return del(pick([...SORT_KEYS, ...COUNTERS]));
  if (roll < 35) return multiSet([pick(SORT_KEYS), fresh()], [pick(SORT_KEYS), `${fresh()}b`]);
  if (roll < 39) return multiDel(pick(SORT_KEYS), pick([...SORT_KEYS, ...COUNTERS]));
  if (roll < 57) return get(pick([...SORT_KEYS, ...COUNTERS]));
  if (roll < 64) return multiGetAll;
  if (roll < 69) return sortKeyCount;
  if (roll < 86) return incr(pick(COUNTERS), 1 + Math.floor(random() * 5));
  const check = pick(['exists', 'notExists', 'valueEquals'] as const);
  return cas(pick(SORT_KEYS), check, `v${Math.floor(random() * serial)}`, pick(SORT_KEYS), fresh());
}

interface Planned {
  readonly clientId: number;
  readonly op: SimOp;
  readonly invokeMs: number;
  readonly completeMs: number;
  /** When it takes effect; undefined if it never does. */
  readonly effectMs: number | undefined;
  readonly status: 'ok' | 'unknown' | 'fail';
}

/**
 * A history linearizable by construction: every operation that takes effect does so at a point inside
 * its interval (an unknown write possibly after it), and results come from applying them in that order.
 */
function generateHistory(options: GenerateOptions): { entries: HistoryEntry[]; finalState: HashKeyState } {
  const random = seededRandom(options.seed);
  const clientFreeMs = Array.from({ length: options.clients }, () => Math.floor(random() * 5));
  let globalMs = 0;
  const planned: Planned[] = [];
  for (let serial = 0; serial < options.operations; serial++) {
    const op = randomOp(random, serial);
    let clientId: number;
    let invokeMs: number;
    if (options.sequential) {
      clientId = Math.floor(random() * options.clients);
      invokeMs = globalMs + 1;
    } else {
      clientId = clientFreeMs.indexOf(Math.min(...clientFreeMs));
      invokeMs = clientFreeMs[clientId]! + Math.floor(random() * 3);
    }
    const completeMs = invokeMs + 1 + Math.floor(random() * 20);
    clientFreeMs[clientId] = completeMs + 1;
    globalMs = completeMs;
    const roll = random();
    let status: Planned['status'] = 'ok';
    if (roll < options.failRate) status = 'fail';
    else if (roll < options.failRate + options.unknownRate) status = 'unknown';
    const within = invokeMs + random() * (completeMs - invokeMs);
    let effectMs: number | undefined = status === 'ok' ? within : undefined;
    // Half the unknown writes take effect, some of them after the client gave up.
    if (status === 'unknown' && random() < 0.5) effectMs = invokeMs + random() * (completeMs - invokeMs + 40);
    planned.push({ clientId, op, invokeMs, completeMs, effectMs, status });
  }
  const results = new Map<Planned, SimResult | 'refused'>();
  let state = EMPTY_STATE;
  for (const p of planned.filter((p) => p.effectMs !== undefined).sort((a, b) => a.effectMs! - b.effectMs!)) {
    const outcome = step(state, p.op);
    state = outcome.state;
    results.set(p, outcome.result.kind === 'error' ? 'refused' : outcome.result);
  }
  const entries = planned
    .sort((a, b) => a.invokeMs - b.invokeMs)
    .map((p, index): HistoryEntry => {
      const result = results.get(p);
      // A refused incr changed nothing, so the workload records it as a failure.
      const outcome: SimOutcome =
        p.status === 'ok' && result !== 'refused'
          ? { status: 'ok', result: result! }
          : p.status === 'unknown'
            ? { status: 'unknown', error: 'timeout' }
            : { status: 'fail', error: 'refused' };
      return { id: index + 1, clientId: p.clientId, hashKey: 'h', op: p.op, invokeMs: p.invokeMs, completeMs: p.completeMs, outcome };
    });
  return { entries, finalState: state };
}

function withResult(entries: readonly HistoryEntry[], target: HistoryEntry, result: SimResult): HistoryEntry[] {
  return entries.map((e) => (e === target ? { ...e, outcome: { status: 'ok', result } } : e));
}

/** A result no linearization can produce: values, counts and sums the workload never makes. */
function impossibleResult(result: SimResult): SimResult | undefined {
  switch (result.kind) {
    case 'get':
      return value('never-written');
    case 'multiGetAll':
      return all(...result.entries.map(([k, v]): [string, string] => [k, v]), ['zz', 'never-written']);
    case 'sortKeyCount':
      return count(result.count + 100);
    case 'incr':
      return sum(result.newValue + 1_000_000);
    case 'checkAndSet':
      return casResult(result.setDone, 'never-written');
    case 'write':
      return undefined;
  }
}

test('generated concurrent histories with unknown and failed operations pass both checkers', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const { entries, finalState } = generateHistory({ seed, clients: 4, operations: 80, sequential: false, unknownRate: 0.08, failRate: 0.04 });
    const report = checkLinearizable(entries);
    assert.equal(report.ok, true, `seed ${seed}:\n${report.failures.map((f) => f.explanation).join('\n')}${report.inconclusive.map((i) => i.reason).join('\n')}`);
    const durability = checkDurability(entries, new Map([['h', finalState.entries]]));
    assert.equal(durability.ok, true, `seed ${seed}: ${JSON.stringify(durability.lost)}`);
  }
});

test('generated concurrent histories fail once one read result is made impossible', () => {
  let mutated = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const { entries } = generateHistory({ seed, clients: 4, operations: 60, sequential: false, unknownRate: 0.08, failRate: 0.04 });
    const random = seededRandom(seed * 7919);
    const reads = entries.filter((e) => e.outcome.status === 'ok' && e.outcome.result.kind !== 'write');
    const target = reads[Math.floor(random() * reads.length)]!;
    const impossible = impossibleResult((target.outcome as { result: SimResult }).result)!;
    const report = checkLinearizable(withResult(entries, target, impossible));
    assert.equal(report.ok, false, `seed ${seed}: #${target.id}`);
    assert.equal(report.failures.length, 1, `seed ${seed}: ${JSON.stringify(report.inconclusive)}`);
    assert.ok(report.failures[0]!.entries.some((e) => e.id === target.id), `seed ${seed}: the mutated entry is in the sub-history`);
    mutated++;
  }
  assert.equal(mutated, 30);
});

/** A different result of the same kind, or undefined when the kind has nothing to change. */
function differentResult(result: SimResult, random: () => number): SimResult | undefined {
  switch (result.kind) {
    case 'get':
      return value(result.value === undefined ? `v${Math.floor(random() * 50)}` : random() < 0.5 ? undefined : `${result.value}x`);
    case 'multiGetAll':
      return result.entries.length > 0 ? all(...result.entries.slice(1).map(([k, v]): [string, string] => [k, v])) : all(['a', 'v0']);
    case 'sortKeyCount':
      return count(result.count === 0 ? 1 : result.count - 1);
    case 'incr':
      return sum(result.newValue + (random() < 0.5 ? 1 : -1));
    case 'checkAndSet':
      return casResult(!result.setDone, result.checkValue);
    case 'write':
      return undefined;
  }
}

test('generated sequential histories fail on any change to one result', () => {
  let checked = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const { entries } = generateHistory({ seed, clients: 3, operations: 40, sequential: true, unknownRate: 0, failRate: 0 });
    assert.equal(checkLinearizable(entries).ok, true, `seed ${seed}`);
    const random = seededRandom(seed * 104729);
    const reads = entries.filter((e) => e.outcome.status === 'ok' && e.outcome.result.kind !== 'write');
    const target = reads[Math.floor(random() * reads.length)]!;
    const original = (target.outcome as { result: SimResult }).result;
    const changed = differentResult(original, random)!;
    assert.ok(!resultsMatch(original, changed));
    const report = checkLinearizable(withResult(entries, target, changed));
    assert.equal(report.ok, false, `seed ${seed}: #${target.id} ${JSON.stringify(original)} → ${JSON.stringify(changed)}`);
    assert.equal(report.failures.length, 1);
    checked++;
  }
  assert.equal(checked, 60);
});

test('a 300-entry, 6-client history of one hash key is decided in a bounded number of search steps', () => {
  // The bounds are about 2x what these seeds take: an exponential blow-up would pass them by orders of
  // magnitude. Writes of unknown outcome cost more, since each may apply at any later point or never.
  for (const [unknownRate, stepsPerEntry] of [
    [0, 60],
    [0.05, 450],
  ] as const) {
    for (const seed of [11, 12, 13]) {
      const { entries } = generateHistory({ seed, clients: 6, operations: 300, sequential: false, unknownRate, failRate: 0.02 });
      const searched = constrainingEntries(entries);
      assert.ok(searched.length >= 280);
      const verdict = searchPart(searched, 1_000_000);
      assert.equal(verdict.verdict, 'linearizable', `seed ${seed}`);
      assert.ok(verdict.steps <= stepsPerEntry * searched.length, `seed ${seed}: ${verdict.steps} steps for ${searched.length} entries`);
    }
  }
});
