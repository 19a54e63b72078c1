/**
 * Crashes on the simulated disk: what a process crash and a machine crash leave of the log, over many
 * seeded random schedules. The invariant: after any crash the log replays decrees 1..k with no gap and
 * no error, k covers everything that was durable (acknowledged with forceFlush, flushed without it, or
 * merely acknowledged when only the process died), and appending continues cleanly from k+1.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemLogDir } from '../../src/log/mem-log-dir.ts';
import { MemLog } from '../../src/log/mem-log.ts';
import type { MutationLog, MutationLogOptions } from '../../src/log/mutation-log.ts';
import { appendEach } from './log-contract.ts';
import {
  decreesOf,
  FakeClock,
  GPID,
  makeMutation,
  randomInt,
  range,
  rejectsWith,
  replayAll,
  seededRandom,
} from './log-test-util.ts';

function newDisk(): { dir: MemLogDir; open: (o?: Partial<MutationLogOptions>) => Promise<MutationLog> } {
  const clock = new FakeClock();
  const dir = new MemLogDir({ nowMs: clock.nowMs });
  return { dir, open: (o = {}) => MemLog.open(dir, { gpid: GPID, nowMs: clock.nowMs, ...o }) };
}

const SEEDS = 300;

type CrashKind = 'process' | 'machine' | 'machine-torn';

interface RoundOutcome {
  /** Highest decree issued (acknowledged or not). */
  issuedMax: number;
  /** Every decree up to this must survive the crash. */
  mustSurvive: number;
}

/**
 * One life of a log: random appends, flushes and pauses from `firstDecree` on, then a crash at a random
 * moment while writes may still be in flight.
 */
async function liveAndCrash(
  dir: MemLogDir,
  log: MutationLog,
  firstDecree: number,
  random: () => number,
  forceFlush: boolean,
  kind: CrashKind,
): Promise<RoundOutcome> {
  let crashed = false;
  let ackedMax = firstDecree - 1;
  let flushedMax = firstDecree - 1;
  const settled: Array<Promise<unknown>> = [];
  const steps = randomInt(random, 1, 120);
  let decree = firstDecree;
  for (let step = 0; step < steps; step++) {
    const d = decree++;
    const big = random() < 0.05;
    const m = makeMutation(d, random, { maxDataBytes: big ? 5000 : 200, updates: randomInt(random, 0, 2) });
    settled.push(log.append(m).then(() => {
      if (!crashed) ackedMax = Math.max(ackedMax, d);
    }, () => {}));
    if (random() < 0.1) {
      settled.push(log.flush().then(() => {
        if (!crashed) flushedMax = Math.max(flushedMax, d);
      }, () => {}));
    }
    for (let y = randomInt(random, 0, 6); y > 0; y--) await Promise.resolve();
  }
  for (let y = randomInt(random, 0, 30); y > 0; y--) await Promise.resolve();
  crashed = true;
  if (kind === 'process') dir.crashProcess();
  else dir.crashMachine(kind === 'machine-torn' ? { random } : {});
  await Promise.all(settled);
  const durable = kind === 'process' || forceFlush ? ackedMax : flushedMax;
  return { issuedMax: decree - 1, mustSurvive: durable };
}

export function memCrashTests(): void {
  describe('MemLog crashes', () => {
    test('a machine crash loses the unsynced tail; replay ends at the last synced mutation', async () => {
      const { dir, open } = newDisk();
      const log = await open(); // one file: no roll syncs a file behind the test's back
      const random = seededRandom(51);
      const synced = await appendEach(log, 1, 40, random);
      await log.flush();
      await appendEach(log, 41, 60, random);
      dir.crashMachine();
      await rejectsWith(log.append(makeMutation(61, random)), 'ERR_FILE_OPERATION_FAILED');
      const reopened = await open();
      assert.deepEqual(await replayAll(reopened), synced);
      await reopened.close();
    });

    test('with forceFlush nothing acknowledged is lost to a machine crash', async () => {
      const { dir, open } = newDisk();
      const log = await open({ forceFlush: true, fileSizeBytesMax: 4096 });
      const random = seededRandom(52);
      const acknowledged = await appendEach(log, 1, 60, random);
      dir.crashMachine({ random });
      const reopened = await open();
      assert.deepEqual(await replayAll(reopened), acknowledged);
      await reopened.close();
    });

    test('a process crash loses nothing written', async () => {
      const { dir, open } = newDisk();
      const log = await open({ fileSizeBytesMax: 4096 });
      const random = seededRandom(53);
      const acknowledged = await appendEach(log, 1, 60, random);
      dir.crashProcess();
      await rejectsWith(log.append(makeMutation(61, random)), 'ERR_FILE_OPERATION_FAILED');
      const reopened = await open();
      assert.deepEqual(await replayAll(reopened), acknowledged);
      await reopened.close();
    });

    test('a full disk fails the log; the partial write is a torn tail at reopen', async () => {
      const { dir, open } = newDisk();
      const log = await open();
      const random = seededRandom(54);
      const acknowledged = await appendEach(log, 1, 10, random);
      dir.diskFullAfter(100);
      await rejectsWith(log.append(makeMutation(11, random, { dataBytes: 500, updates: 1 })), 'ERR_DISK_INSUFFICIENT');
      await rejectsWith(log.append(makeMutation(12, random)), 'ERR_DISK_INSUFFICIENT');
      dir.clearFaults();
      dir.crashProcess();
      const reopened = await open();
      const replayed: unknown[] = [];
      const result = await reopened.replay(0, (m) => replayed.push(m));
      assert.deepEqual(replayed, acknowledged);
      assert.equal(result.tornTailBytes, 100);
      await reopened.close();
    });

    test(`${SEEDS} seeded schedules of appends, flushes and crashes keep every durable decree`, async () => {
      const kinds: CrashKind[] = ['process', 'machine', 'machine-torn'];
      let tornTails = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const random = seededRandom(seed);
        const { dir, open } = newDisk();
        const options = {
          forceFlush: random() < 0.5,
          fileSizeBytesMax: 4096 * randomInt(random, 1, 4),
          blockBodyBytesMax: 1024 * randomInt(random, 1, 4),
        };
        let next = 1;
        for (let life = 0; life < 3; life++) {
          const log = await open(options);
          const kind = kinds[randomInt(random, 0, 2)]!;
          const outcome = await liveAndCrash(dir, log, next, random, options.forceFlush, kind);
          const reopened = await open(options);
          const replayed: number[] = [];
          const result = await reopened.replay(0, (m) => replayed.push(m.header.decree));
          const k = replayed.length;
          const where = `seed ${seed} life ${life} (${kind}, forceFlush ${options.forceFlush})`;
          assert.deepEqual(replayed, range(1, k), `${where}: decrees must be 1..k`);
          assert.ok(k >= outcome.mustSurvive, `${where}: kept ${k}, must keep ${outcome.mustSurvive}`);
          assert.ok(k <= outcome.issuedMax, where);
          assert.equal(reopened.maxDecree(), k, where);
          if (result.tornTailBytes > 0) tornTails++;
          await reopened.close();
          next = k + 1;
        }
        const final = await open(options);
        assert.deepEqual(decreesOf(await replayAll(final)), range(1, next - 1));
        await final.close();
      }
      assert.ok(tornTails > SEEDS / 10, `only ${tornTails} crashes tore a block: the schedule is too tame`);
    });
  });
}
