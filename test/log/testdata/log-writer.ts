/**
 * Child process of file-log-crash.test.ts: appends mutations with increasing decrees from `startDecree`
 * through FileLog, printing each decree on its own stdout line once its append is acknowledged, until
 * the parent kills it. Stdout to a pipe is synchronous on Linux, so a printed decree was acknowledged
 * before the line left the process.
 *
 * usage: node --import tsx test/log/testdata/log-writer.ts <plog dir> <startDecree>
 */
import { FileLog } from '../../../src/log/file-log.ts';
import { GPID, makeMutation, seededRandom } from '../log-test-util.ts';

const IN_FLIGHT_MAX = 32;
/** A pause between batches keeps the log small enough for the parent to replay it every round. */
const PAUSE_MS = 2;
const LIFETIME_MAX_MS = 20_000; // the parent kills much sooner; this only stops an orphan

const [dirPath, startArg] = process.argv.slice(2);
const startDecree = Number(startArg);
if (dirPath === undefined || !Number.isSafeInteger(startDecree) || startDecree < 1) {
  process.stderr.write('usage: log-writer.ts <plog dir> <startDecree>\n');
  process.exit(2);
}
setTimeout(() => process.exit(3), LIFETIME_MAX_MS).unref();

const log = await FileLog.open(dirPath, { gpid: GPID, nowMs: Date.now, fileSizeBytesMax: 16 * 1024 });
const random = seededRandom(startDecree);
const inFlight = new Set<Promise<void>>();
let decree = startDecree;
for (;;) {
  while (inFlight.size < IN_FLIGHT_MAX) {
    const d = decree++;
    const mutation = makeMutation(d, random, { maxDataBytes: 200, updates: 1 + (d % 3) });
    const acked: Promise<void> = log.append(mutation).then(
      () => {
        process.stdout.write(`${d}\n`);
        inFlight.delete(acked);
      },
      (e: unknown) => {
        process.stderr.write(`append of decree ${d} failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
    inFlight.add(acked);
  }
  await Promise.race(inFlight);
  if (decree % 4 === 0) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
}
