/**
 * Real process crashes: a child process appends through FileLog and prints every acknowledged decree;
 * the parent kills it with SIGKILL at a random moment, reopens the log and replays it. Every printed
 * decree must be there, the decrees must run 1..k with no gap and no duplicate, and the next child must
 * continue from k+1 in a new file. (A process crash keeps what reached the OS, so with forceFlush off
 * every acknowledged decree survives.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileLog } from '../../src/log/file-log.ts';
import type { LogFileView } from '../../src/log/log-file-info.ts';
import { runChildUntilKilled } from '../support/kill-child.ts';
import { GPID, randomInt, range, seededRandom } from './log-test-util.ts';

const ROUNDS = 24;
const FIRST_ACK_TIMEOUT_MS = 10_000;
const WRITER = join(import.meta.dirname, 'testdata', 'log-writer.ts');

interface ChildRun {
  /** Decrees the child printed, i.e. acknowledged before it died. */
  acked: number[];
  stderr: string;
}

/** Runs one writer child and kills it `killDelayMs` after its first acknowledged decree. */
async function runChild(dir: string, startDecree: number, killDelayMs: number): Promise<ChildRun> {
  const { lines, stderr } = await runChildUntilKilled({
    script: WRITER,
    args: [dir, String(startDecree)],
    isWorking: (stdout) => stdout.includes('\n'),
    killDelayMs,
    workingTimeoutMs: FIRST_ACK_TIMEOUT_MS,
  });
  return { acked: lines.map(Number), stderr };
}

test(`FileLog survives ${ROUNDS} SIGKILLs at random moments with every acknowledged decree`, async () => {
  const root = await mkdtemp(join(tmpdir(), 'pegasus-plog-crash-'));
  const dir = join(root, 'plog');
  const random = seededRandom(2024);
  try {
    let lastDecree = 0;
    let previousFiles: LogFileView[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const run = await runChild(dir, lastDecree + 1, randomInt(random, 0, 120));
      assert.ok(run.acked.length > 0, `round ${round}: the child acknowledged nothing`);
      assert.deepEqual(run.acked, range(lastDecree + 1, lastDecree + run.acked.length),
        `round ${round}: acknowledgements out of order`);

      const log = await FileLog.open(dir, { gpid: GPID, nowMs: Date.now });
      const replayed: number[] = [];
      const result = await log.replay(0, (m) => replayed.push(m.header.decree));
      const k = replayed.length;
      assert.deepEqual(replayed, range(1, k), `round ${round}: decrees must run 1..k`);
      assert.ok(k >= run.acked.at(-1)!, `round ${round}: acknowledged ${run.acked.at(-1)} but replay ends at ${k}`);
      assert.equal(result.maxDecree, k);
      assert.equal(log.maxDecree(), k);

      // The child continued in a new file right after the previous round's end.
      const files = log.files();
      if (round > 0) {
        const previousLast = previousFiles.at(-1)!;
        const firstNew = files.find((f) => f.index === previousLast.index + 1);
        assert.ok(firstNew !== undefined, `round ${round}: no new file after ${previousLast.name}`);
        assert.equal(firstNew.startOffset, previousLast.endOffset);
      }
      await log.close();
      previousFiles = files;
      lastDecree = k;
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
