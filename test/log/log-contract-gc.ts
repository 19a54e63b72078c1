/** Garbage collection (pegasus-internals.md §3.4) against any log implementation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLogFileName } from '../../src/log/log-block.ts';
import type { LogFileView } from '../../src/log/log-file-info.ts';
import type { MutationLog } from '../../src/log/mutation-log.ts';
import { appendEach, onDisk } from './log-contract.ts';
import type { LogHarness, TestDisk } from './log-harness.ts';
import { decreesOf, range, replayAll, seededRandom } from './log-test-util.ts';

const HOUR_MS = 3_600_000;
const NO_RESERVE = { reserveMaxBytes: 0, reserveMaxTimeMs: 0 };

/** A log of decrees 1..120 spread over many small files. */
async function manyFiles(disk: TestDisk): Promise<MutationLog> {
  const { log } = await disk.open({ fileSizeBytesMax: 4096 });
  await appendEach(log, 1, 120, seededRandom(31), { dataBytes: 150, updates: 1 });
  assert.ok(log.files().length >= 8, 'the test needs many files');
  return log;
}

/** The highest decree a file may hold, as GC reasons: the next file's prevMaxDecree. */
function maxDecreeOf(files: readonly LogFileView[], i: number, logMaxDecree: number): number {
  return files[i + 1]?.prevMaxDecree ?? logMaxDecree;
}

/** Files on disk are exactly the log's files, with contiguous indexes (GC never leaves a hole). */
async function assertNoHoles(disk: TestDisk, log: MutationLog): Promise<void> {
  const names = await disk.names();
  assert.deepEqual(names, log.files().map((f) => f.name));
  const indexes = names.map((n) => parseLogFileName(n)!.index);
  indexes.forEach((index, i) => assert.equal(index, indexes[0]! + i));
  assert.equal(log.startOffset(), log.files()[0]!.startOffset);
}

export function gcContract(harness: LogHarness): void {
  test('GC by durable decree removes exactly the oldest files whose decrees are all durable',
    onDisk(harness, async (disk) => {
      const log = await manyFiles(disk);
      const before = log.files();
      const durableDecree = 70;
      const expectedRemoved = before.filter((_, i) => maxDecreeOf(before, i, 120) <= durableDecree).length;
      assert.ok(expectedRemoved > 0 && expectedRemoved < before.length - 1);
      const result = await log.garbageCollect({ durableDecree, validStartOffset: 0, ...NO_RESERVE });
      assert.equal(result.removedFiles, expectedRemoved);
      assert.equal(result.removedBytes, before.slice(0, expectedRemoved).reduce((n, f) => n + f.sizeBytes, 0));
      await assertNoHoles(disk, log);
      // Every decree above the durable one is still there, in order.
      const replayed = decreesOf(await replayAll(log, durableDecree + 1));
      assert.deepEqual(replayed, range(durableDecree + 1, 120));
      assert.ok(log.files()[0]!.prevMaxDecree <= durableDecree);
      await log.close();
    }));

  test('GC by validStartOffset removes files that end at or before it', onDisk(harness, async (disk) => {
    const log = await manyFiles(disk);
    const before = log.files();
    const validStartOffset = before[3]!.endOffset;
    const result = await log.garbageCollect({ durableDecree: 0, validStartOffset, ...NO_RESERVE });
    assert.equal(result.removedFiles, 4);
    assert.equal(log.files()[0]!.name, before[4]!.name);
    await assertNoHoles(disk, log);
    await log.close();
  }));

  test('GC reserve by size keeps the newest files that fit, even when durable', onDisk(harness, async (disk) => {
    const log = await manyFiles(disk);
    const before = log.files();
    const n = before.length;
    const reserveMaxBytes = before[n - 1]!.sizeBytes + before[n - 2]!.sizeBytes + before[n - 3]!.sizeBytes;
    const result = await log.garbageCollect({
      durableDecree: 120, validStartOffset: 0, reserveMaxBytes, reserveMaxTimeMs: 10 * HOUR_MS,
    });
    assert.equal(result.removedFiles, n - 3);
    assert.deepEqual(log.files().map((f) => f.name), before.slice(n - 3).map((f) => f.name));
    await assertNoHoles(disk, log);
    await log.close();
  }));

  test('GC reserve by time keeps recently written files, even when durable', onDisk(harness, async (disk) => {
    const { log } = await disk.open({ fileSizeBytesMax: 4096 });
    const random = seededRandom(32);
    for (let hour = 0; hour < 10; hour++) {
      await appendEach(log, hour * 12 + 1, hour * 12 + 12, random, { dataBytes: 150, updates: 1 });
      disk.clock.advance(HOUR_MS);
    }
    const before = log.files();
    const reserveMaxTimeMs = 3 * HOUR_MS + 1;
    const now = disk.clock.nowMs();
    const firstKept = before.findIndex((f) => f.mtimeMs + reserveMaxTimeMs >= now);
    assert.ok(firstKept > 0 && firstKept < before.length - 1, 'the test needs old and recent files');
    const result = await log.garbageCollect({
      durableDecree: 120, validStartOffset: 0, reserveMaxBytes: 1 << 30, reserveMaxTimeMs,
    });
    assert.equal(result.removedFiles, firstKept);
    assert.ok(log.files().every((f) => f.mtimeMs + reserveMaxTimeMs >= now));
    await assertNoHoles(disk, log);
    await log.close();
  }));

  test('GC never deletes the current file, nor a file holding a non-durable decree', onDisk(harness, async (disk) => {
    const log = await manyFiles(disk);
    const all = await log.garbageCollect({ durableDecree: 1_000_000, validStartOffset: 1 << 30, ...NO_RESERVE });
    assert.ok(all.removedFiles > 0);
    assert.equal(log.files().length, 1, 'only the current file is left');
    const again = await log.garbageCollect({ durableDecree: 1_000_000, validStartOffset: 1 << 30, ...NO_RESERVE });
    assert.deepEqual(again, { removedFiles: 0, removedBytes: 0 });
    await assertNoHoles(disk, log);
    await log.close();

    // After a restart the newest file is kept too, though nothing is being written to it.
    const { log: reopened } = await disk.open();
    await reopened.garbageCollect({ durableDecree: 1_000_000, validStartOffset: 1 << 30, ...NO_RESERVE });
    assert.equal(reopened.files().length, 1);
    await reopened.close();
  }));

  test('GC with nothing durable removes nothing', onDisk(harness, async (disk) => {
    const log = await manyFiles(disk);
    const result = await log.garbageCollect({ durableDecree: 0, validStartOffset: 0, ...NO_RESERVE });
    assert.deepEqual(result, { removedFiles: 0, removedBytes: 0 });
    assert.deepEqual(decreesOf(await replayAll(log)), range(1, 120));
    await log.close();
  }));

  test('after GC a reopened log starts at the oldest kept file and keeps appending', onDisk(harness, async (disk) => {
    const log = await manyFiles(disk);
    await log.garbageCollect({ durableDecree: 60, validStartOffset: 0, ...NO_RESERVE });
    const startOffset = log.startOffset();
    const lastIndex = log.files().at(-1)!.index;
    await log.close();
    const { log: reopened } = await disk.open({ fileSizeBytesMax: 4096 });
    assert.equal(reopened.startOffset(), startOffset);
    await appendEach(reopened, 121, 125, seededRandom(33), { dataBytes: 150, updates: 1 });
    assert.equal(reopened.files().at(-1)!.index, lastIndex + 1);
    assert.deepEqual(decreesOf(await replayAll(reopened, 61)), range(61, 125));
    await assertNoHoles(disk, reopened);
    await reopened.close();
  }));
}
