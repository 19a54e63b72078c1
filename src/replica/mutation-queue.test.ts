import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPegasusError } from '../base/error-code.ts';
import { MutationQueue, type QueuedWrite } from './mutation-queue.ts';

interface W extends QueuedWrite {
  id: string;
}
const put = (id: string, bytes = 10): W => ({ id, batchable: true, bytes });
const incr = (id: string): W => ({ id, batchable: false, bytes: 10 });
const ids = (writes: W[] | undefined) => writes?.map((w) => w.id);

function queue(overrides: Partial<ConstructorParameters<typeof MutationQueue>[0]> = {}) {
  return new MutationQueue<W>({ inFlightMax: 2, batchBytesMax: 100, batchWriteDisabled: false, queuedWritesMax: 50, ...overrides });
}

test('with a free slot and nothing waiting, a write starts at once as its own mutation', () => {
  const q = queue();
  assert.deepEqual(ids(q.add(put('a'))), ['a']);
  assert.deepEqual(ids(q.add(put('b'))), ['b']);
  assert.equal(q.inFlightCount, 2);
});

test('under load single puts batch until the byte bound; other writes travel alone', () => {
  const q = queue();
  q.add(put('a'));
  q.add(put('b'));
  assert.equal(q.add(put('c', 40)), undefined);
  assert.equal(q.add(put('d', 40)), undefined);
  assert.equal(q.add(put('e', 40)), undefined, 'c+d+e reach 120 bytes: the batch is sealed');
  assert.equal(q.add(put('f')), undefined);
  assert.equal(q.add(incr('g')), undefined);
  assert.equal(q.add(put('h')), undefined);
  assert.equal(q.queuedCount, 6);
  assert.deepEqual(ids(q.complete()), ['c', 'd', 'e']);
  assert.deepEqual(ids(q.complete()), ['f']);
  assert.deepEqual(ids(q.complete()), ['g']);
  assert.deepEqual(ids(q.complete()), ['h']);
  assert.equal(q.complete(), undefined);
  assert.equal(q.queuedCount, 0);
});

test('batch_write_disabled gives every write its own mutation', () => {
  const q = queue({ batchWriteDisabled: true, inFlightMax: 1 });
  q.add(put('a'));
  q.add(put('b'));
  q.add(put('c'));
  assert.deepEqual(ids(q.complete()), ['b']);
  assert.deepEqual(ids(q.complete()), ['c']);
});

test('a full queue refuses with ERR_BUSY and drain hands back every waiting write', () => {
  const q = queue({ inFlightMax: 1, queuedWritesMax: 3 });
  q.add(put('a'));
  q.add(put('b'));
  q.add(incr('c'));
  q.add(put('d'));
  assert.throws(() => q.add(put('e')), (e) => isPegasusError(e, 'ERR_BUSY'));
  assert.deepEqual(ids(q.drain()), ['b', 'c', 'd']);
  assert.equal(q.queuedCount, 0);
  assert.throws(() => queue().complete(), /never started/);
});
