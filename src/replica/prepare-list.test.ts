import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPegasusError } from '../base/error-code.ts';
import { PrepareList, type PreparedMutation } from './prepare-list.ts';

class FakeMutation implements PreparedMutation {
  logged = true;
  ready = true;
  constructor(
    readonly decree: number,
    readonly ballot = 1,
    readonly lastCommittedDecree = 0,
  ) {}
  isLogged(): boolean {
    return this.logged;
  }
  isReadyForCommit(): boolean {
    return this.ready && this.logged;
  }
}

function list(initDecree = 0, capacity = 10) {
  const committed: number[] = [];
  const prepareList = new PrepareList<FakeMutation>(initDecree, capacity, (m) => committed.push(m.decree));
  return { prepareList, committed };
}

test('the primary commits all ready mutations in order, stopping at the first that is not ready', () => {
  const { prepareList, committed } = list();
  const mutations = [1, 2, 3, 4].map((d) => new FakeMutation(d));
  mutations[2]!.ready = false;
  for (const m of mutations) prepareList.prepare(m, 'PS_PRIMARY');
  assert.equal(prepareList.commit(1, 'COMMIT_ALL_READY'), 2);
  assert.deepEqual(committed, [1, 2]);
  assert.equal(prepareList.lastCommittedDecree(), 2);
  mutations[2]!.ready = true;
  assert.equal(prepareList.commit(3, 'COMMIT_ALL_READY'), 2);
  assert.deepEqual(committed, [1, 2, 3, 4]);
  assert.equal(prepareList.commit(3, 'COMMIT_ALL_READY'), 0, 'a stale commit request does nothing');
});

test('COMMIT_ALL_READY never commits past a decrease of ballot', () => {
  const { prepareList, committed } = list();
  prepareList.prepare(new FakeMutation(1, 3), 'PS_PRIMARY');
  prepareList.prepare(new FakeMutation(2, 2), 'PS_PRIMARY');
  prepareList.commit(1, 'COMMIT_ALL_READY');
  assert.deepEqual(committed, [1]);
});

test('a secondary hard-commits up to the commit point piggy-backed on the next prepare', () => {
  const { prepareList, committed } = list();
  prepareList.prepare(new FakeMutation(1, 1, 0), 'PS_SECONDARY');
  prepareList.prepare(new FakeMutation(2, 1, 0), 'PS_SECONDARY');
  prepareList.prepare(new FakeMutation(3, 1, 2), 'PS_SECONDARY');
  assert.deepEqual(committed, [1, 2]);
  assert.equal(prepareList.maxDecree(), 3);
});

test('a hard commit over a missing or unlogged decree is a broken invariant', () => {
  const { prepareList } = list();
  const m1 = new FakeMutation(1);
  m1.logged = false;
  prepareList.prepare(m1, 'PS_SECONDARY');
  assert.throws(() => prepareList.commit(1, 'COMMIT_TO_DECREE_HARD'), /missing or not logged/);
  assert.throws(() => prepareList.commit(5, 'COMMIT_TO_DECREE_HARD'), /missing or not logged/);
});

test('a soft commit stops at the first gap', () => {
  const { prepareList, committed } = list();
  prepareList.prepare(new FakeMutation(1), 'PS_PRIMARY');
  prepareList.prepare(new FakeMutation(3), 'PS_PRIMARY');
  assert.equal(prepareList.commit(3, 'COMMIT_TO_DECREE_SOFT'), 1);
  assert.deepEqual(committed, [1]);
  assert.equal(prepareList.get(2), undefined);
});

test('log replay (INACTIVE) jumps the window when the log commit point is past it', () => {
  const { prepareList, committed } = list(0, 10);
  prepareList.prepare(new FakeMutation(30, 2, 29), 'PS_INACTIVE');
  assert.equal(prepareList.lastCommittedDecree(), 29);
  assert.deepEqual(committed, [], 'a reset commits nothing: those decrees are in the store already');
  prepareList.prepare(new FakeMutation(31, 2, 30), 'PS_INACTIVE');
  assert.deepEqual(committed, [30]);
});

test('the window pops committed mutations to make room and refuses to drop uncommitted ones', () => {
  const { prepareList } = list(0, 4);
  for (let d = 1; d <= 4; d++) prepareList.prepare(new FakeMutation(d), 'PS_PRIMARY');
  prepareList.commit(1, 'COMMIT_ALL_READY');
  assert.equal(prepareList.lastCommittedDecree(), 4);
  for (let d = 5; d <= 8; d++) prepareList.prepare(new FakeMutation(d), 'PS_PRIMARY');
  assert.equal(prepareList.minDecree(), 5);
  assert.equal(prepareList.get(4), undefined);
  assert.equal(prepareList.get(8)?.decree, 8);
  assert.throws(() => prepareList.prepare(new FakeMutation(9), 'PS_PRIMARY'), (e) => isPegasusError(e, 'ERR_CAPACITY_EXCEEDED'));
  assert.equal(prepareList.count(), 4);
});

test('re-preparing a decree under a newer ballot replaces it; an older ballot is refused', () => {
  const { prepareList } = list();
  prepareList.prepare(new FakeMutation(1, 1), 'PS_PRIMARY');
  prepareList.prepare(new FakeMutation(1, 2), 'PS_PRIMARY');
  assert.equal(prepareList.get(1)?.ballot, 2);
  assert.throws(() => prepareList.prepare(new FakeMutation(1, 1), 'PS_PRIMARY'), /older ballot/);
  assert.throws(() => new PrepareList<FakeMutation>(5, 4, () => {}).prepare(new FakeMutation(5), 'PS_PRIMARY'), /at or below the commit point/);
});

test('reset and truncate move the commit point', () => {
  const { prepareList } = list();
  for (let d = 1; d <= 3; d++) prepareList.prepare(new FakeMutation(d), 'PS_PRIMARY');
  prepareList.truncate(2);
  assert.equal(prepareList.minDecree(), 3);
  assert.equal(prepareList.lastCommittedDecree(), 2);
  assert.equal(prepareList.get(3)?.decree, 3);
  prepareList.reset(10);
  assert.equal(prepareList.count(), 0);
  assert.equal(prepareList.maxDecree(), 10);
  assert.equal(prepareList.lastCommittedDecree(), 10);
});

test('wrapping around the ring many times keeps every decree in its place', () => {
  const { prepareList, committed } = list(0, 7);
  for (let d = 1; d <= 100; d++) {
    prepareList.prepare(new FakeMutation(d), 'PS_PRIMARY');
    if (d % 3 === 0) prepareList.commit(prepareList.lastCommittedDecree() + 1, 'COMMIT_ALL_READY');
  }
  prepareList.commit(prepareList.lastCommittedDecree() + 1, 'COMMIT_ALL_READY');
  assert.deepEqual(committed, Array.from({ length: 100 }, (_, i) => i + 1));
});
