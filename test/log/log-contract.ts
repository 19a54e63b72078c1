/**
 * The behaviour every mutation log implementation must show, run against `FileLog` (real files) by
 * file-log.test.ts and against `MemLog` (simulated disk) by mem-log.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPegasusError } from '../../src/base/error-code.ts';
import { logFileName } from '../../src/log/log-block.ts';
import type { Mutation } from '../../src/log/mutation.ts';
import { badInputContract } from './log-contract-bad-input.ts';
import { gcContract } from './log-contract-gc.ts';
import type { LogHarness, TestDisk } from './log-harness.ts';
import {
  cloneMutation,
  decreesOf,
  makeMutation,
  range,
  rejectsWith,
  replayAll,
  seededRandom,
} from './log-test-util.ts';

export function logContract(harness: LogHarness): void {
  describe(`${harness.kind} contract`, () => {
    writeReplayContract(harness);
    gcContract(harness);
    badInputContract(harness);
  });
}

/** Runs `body` on a fresh disk and cleans up after it. */
export function onDisk(harness: LogHarness, body: (disk: TestDisk) => Promise<void>): () => Promise<void> {
  return async () => {
    const disk = await harness.newDisk();
    try {
      await body(disk);
    } finally {
      await disk.cleanup();
    }
  };
}

/** Appends decrees `from..to` one write each (awaited), returning copies of what was appended. */
export async function appendEach(
  log: { append(m: Mutation): Promise<{ offset: number }> },
  from: number,
  to: number,
  random: () => number,
  shape: Parameters<typeof makeMutation>[2] = {},
): Promise<Mutation[]> {
  const out: Mutation[] = [];
  for (let d = from; d <= to; d++) {
    const m = makeMutation(d, random, shape);
    await log.append(m);
    out.push(cloneMutation(m));
  }
  return out;
}

function writeReplayContract(harness: LogHarness): void {
  test('round trip: many mutations with several binary updates replay identically', onDisk(harness, async (disk) => {
    const random = seededRandom(11);
    const { log } = await disk.open({ fileSizeBytesMax: 64 * 1024 });
    const appended = range(1, 400).map((d) => makeMutation(d, random, { maxDataBytes: d % 50 === 0 ? 9000 : 300 }));
    const results = await Promise.all(appended.map((m) => log.append(m)));
    results.forEach((r, i) => assert.equal(r.offset, appended[i]!.header.logOffset));
    for (let i = 1; i < results.length; i++) assert.ok(results[i]!.offset > results[i - 1]!.offset);
    const endOffset = log.endOffset();
    await log.close();

    const { log: reopened } = await disk.open();
    const replayed: Mutation[] = [];
    const result = await reopened.replay(0, (m) => replayed.push(m));
    assert.deepEqual(replayed, appended);
    assert.equal(result.count, 400);
    assert.equal(result.maxDecree, 400);
    assert.equal(result.lastCommittedDecree, 399);
    assert.equal(result.endOffset, endOffset);
    assert.equal(result.tornTailBytes, 0);
    assert.equal(reopened.maxDecree(), 400);
    assert.equal(reopened.maxCommittedDecree(), 399);
    await reopened.close();
  }));

  test('replay from a decree skips older decrees and whole older files', onDisk(harness, async (disk) => {
    const random = seededRandom(12);
    const { log } = await disk.open({ fileSizeBytesMax: 4096 });
    await Promise.all(range(1, 300).map((d) => log.append(makeMutation(d, random, { dataBytes: 40, updates: 1 }))));
    assert.ok(log.files().length > 5, 'the test needs several files');
    const result = await log.replay(250, () => {});
    assert.equal(result.count, 51);
    assert.ok(result.skippedCount < 250, 'files holding only older decrees are not even read');
    assert.deepEqual(decreesOf(await replayAll(log, 250)), range(250, 300));
    await log.close();
  }));

  test('re-proposals of a decree under a higher ballot are all replayed, in log order', onDisk(harness, async (disk) => {
    const random = seededRandom(13);
    const { log } = await disk.open();
    await appendEach(log, 1, 10, random, { ballot: 1 });
    await appendEach(log, 8, 12, random, { ballot: 2, lastCommittedDecree: 7 });
    const replayed = await replayAll(log, 9);
    assert.deepEqual(replayed.map((m) => [m.header.decree, m.header.ballot]),
      [[9, 1], [10, 1], [9, 2], [10, 2], [11, 2], [12, 2]]);
    assert.equal(log.maxDecree(), 12);
    await log.close();
  }));

  test('group commit: 1000 unawaited appends resolve in order with far fewer writes', onDisk(harness, async (disk) => {
    const random = seededRandom(14);
    const { log, counting } = await disk.open();
    const order: number[] = [];
    const pending = range(1, 1000).map((d) =>
      log.append(makeMutation(d, random, { maxDataBytes: 100 })).then((r) => {
        order.push(d);
        return r;
      }));
    const results = await Promise.all(pending);
    assert.deepEqual(order, range(1, 1000));
    for (let i = 1; i < results.length; i++) assert.ok(results[i]!.offset > results[i - 1]!.offset);
    assert.ok(counting.appendCalls <= 3, `${counting.appendCalls} writes for 1000 appends`);
    assert.deepEqual(decreesOf(await replayAll(log)), range(1, 1000));
    await log.close();
  }));

  test('files roll at fileSizeBytesMax with log.<index>.<start_offset> names and continuous offsets',
    onDisk(harness, async (disk) => {
      const random = seededRandom(15);
      const { log } = await disk.open({ fileSizeBytesMax: 4096 });
      await appendEach(log, 1, 60, random, { dataBytes: 200, updates: 2 });
      const files = log.files();
      assert.ok(files.length >= 5);
      let expectedStart = 0;
      files.forEach((f, i) => {
        assert.equal(f.index, i + 1);
        assert.equal(f.startOffset, expectedStart);
        assert.equal(f.name, logFileName(f.index, f.startOffset));
        assert.ok(f.sizeBytes <= 4096, `${f.name} has ${f.sizeBytes} bytes`);
        expectedStart = f.endOffset;
      });
      assert.equal(expectedStart, log.endOffset());
      assert.deepEqual(await disk.names(), files.map((f) => f.name));
      // Each header records the max decree written before its file.
      const decreeAtOffset = (await replayAll(log)).map((m) => [m.header.logOffset, m.header.decree] as const);
      for (const f of files) {
        const before = decreeAtOffset.filter(([offset]) => offset < f.startOffset).map(([, d]) => d);
        assert.equal(f.prevMaxDecree, Math.max(0, ...before));
      }
      await log.close();
    }));

  test('a reopened log continues in a new file with offsets continuing', onDisk(harness, async (disk) => {
    const random = seededRandom(16);
    const first = await disk.open();
    const a = await appendEach(first.log, 1, 10, random);
    const end = first.log.endOffset();
    await first.log.close();

    const second = await disk.open();
    assert.equal(second.log.endOffset(), end);
    assert.equal(second.log.maxDecree(), 10);
    const b = await appendEach(second.log, 11, 20, random);
    const files = second.log.files();
    assert.equal(files.length, 2);
    assert.equal(files[1]!.name, logFileName(2, end));
    assert.ok(b[0]!.header.logOffset > end);
    await second.log.close();

    const third = await disk.open();
    assert.deepEqual(await replayAll(third.log), [...a, ...b]);
    await third.log.close();
  }));

  test('a mutation larger than a block gets its own block; one larger than a file its own file',
    onDisk(harness, async (disk) => {
      const random = seededRandom(17);
      const { log } = await disk.open({ fileSizeBytesMax: 4096, blockBodyBytesMax: 1024 });
      const appended = [
        ...await appendEach(log, 1, 3, random, { dataBytes: 100, updates: 1 }),
        ...await appendEach(log, 4, 4, random, { dataBytes: 3000, updates: 1 }),
        ...await appendEach(log, 5, 5, random, { dataBytes: 9000, updates: 1 }),
        ...await appendEach(log, 6, 8, random, { dataBytes: 100, updates: 1 }),
      ];
      assert.deepEqual(await replayAll(log), appended);
      const big = log.files().find((f) => f.startOffset < appended[4]!.header.logOffset &&
        f.endOffset > appended[4]!.header.logOffset);
      assert.ok(big !== undefined && big.sizeBytes > 9000);
      await log.close();
    }));

  test('mutations over mutationBytesMax are refused with ERR_INVALID_DATA; the log stays usable',
    onDisk(harness, async (disk) => {
      const random = seededRandom(18);
      const { log } = await disk.open({ mutationBytesMax: 4096 });
      await rejectsWith(log.append(makeMutation(1, random, { dataBytes: 5000, updates: 1 })), 'ERR_INVALID_DATA');
      await rejectsWith(log.append({ ...makeMutation(1, random), header: { ...makeMutation(1, random).header,
        gpid: { appId: 99, partitionIndex: 0 } } }), 'ERR_INVALID_PARAMETERS');
      const ok = await appendEach(log, 1, 2, random, { dataBytes: 100 });
      assert.deepEqual(await replayAll(log), ok);
      await log.close();
    }));

  test('pendingBytesMax: appends beyond the queue bound are rejected with ERR_BUSY, the log stays healthy',
    onDisk(harness, async (disk) => {
      const random = seededRandom(19);
      const { log } = await disk.open({ pendingBytesMax: 8 * 1024 });
      const outcomes = range(1, 40).map((d) => {
        const m = makeMutation(d, random, { dataBytes: 1000, updates: 1 });
        return log.append(m).then(() => ({ m: cloneMutation(m), ok: true }),
          (e: unknown) => ({ m, ok: false, busy: isPegasusError(e, 'ERR_BUSY') }));
      });
      const settled = await Promise.all(outcomes);
      const accepted = settled.filter((s) => s.ok);
      const refused = settled.filter((s) => !s.ok);
      // The first append is written at once; about 8 KiB more can queue behind it.
      assert.ok(accepted.length >= 7 && accepted.length <= 9, `${accepted.length} accepted`);
      assert.ok(refused.length > 0 && refused.every((s) => 'busy' in s && s.busy));
      assert.equal(log.failureError(), undefined);
      const later = await appendEach(log, 41, 42, random, { dataBytes: 1000, updates: 1 });
      assert.deepEqual(await replayAll(log), [...accepted.map((s) => s.m), ...later]);
      await log.close();
    }));

  test('a write error rejects that write and every later append; the log stays failed',
    onDisk(harness, async (disk) => {
      const random = seededRandom(20);
      const { log, counting } = await disk.open();
      const acknowledged = await appendEach(log, 1, 5, random);
      await log.append(makeMutation(6, random)); // so the next append is written alone, then 8.. queue
      counting.failNextAppend();
      const failing = range(7, 12).map((d) => log.append(makeMutation(d, random)));
      for (const p of failing) await rejectsWith(p, 'ERR_FILE_OPERATION_FAILED');
      await rejectsWith(log.append(makeMutation(13, random)), 'ERR_FILE_OPERATION_FAILED');
      await rejectsWith(log.flush(), 'ERR_FILE_OPERATION_FAILED');
      assert.equal(log.failureError()?.code, 'ERR_FILE_OPERATION_FAILED');
      await log.close();

      const reopened = await disk.open();
      assert.deepEqual(decreesOf(await replayAll(reopened.log)), range(1, 6));
      assert.deepEqual((await replayAll(reopened.log)).slice(0, 5), acknowledged);
      await reopened.log.close();
    }));

  test('a sync error with forceFlush fails the log like a write error', onDisk(harness, async (disk) => {
    const random = seededRandom(21);
    const { log, counting } = await disk.open({ forceFlush: true });
    await appendEach(log, 1, 3, random);
    counting.failNextSync();
    await rejectsWith(log.append(makeMutation(4, random)), 'ERR_FILE_OPERATION_FAILED');
    await rejectsWith(log.append(makeMutation(5, random)), 'ERR_FILE_OPERATION_FAILED');
    await log.close();
  }));

  test('flush syncs what was written; close refuses later appends', onDisk(harness, async (disk) => {
    const random = seededRandom(22);
    const { log, counting } = await disk.open();
    await appendEach(log, 1, 3, random);
    assert.equal(counting.syncCalls, 0, 'no fsync without forceFlush');
    await log.flush();
    assert.equal(counting.syncCalls, 1);
    await log.flush();
    assert.equal(counting.syncCalls, 1, 'nothing new to sync');
    await log.close();
    await rejectsWith(log.append(makeMutation(4, random)), 'ERR_INVALID_STATE');
  }));
}
