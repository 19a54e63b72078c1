/**
 * Child process of file-meta-store-crash.test.ts: applies random mutations through FileMetaStore, a few in
 * flight at once, until the parent kills it. It prints `I <op json>` before issuing an op and
 * `R <id> ok` / `R <id> <error code>` once it settles, and `C <count>` when its store has compacted. Writes to fd 1 are synchronous, so a printed `ok`
 * was acknowledged before the line left the process.
 *
 * usage: node --import tsx test/metastore/testdata/meta-writer.ts <store dir> <seed> <first op id>
 */
import { writeLineSync } from '../../support/write-line-sync.ts';
import { isPegasusError } from '../../../src/base/error-code.ts';
import { FileMetaStore } from '../../../src/metastore/file-meta-store.ts';
import { seededRandom } from '../../support/seeded-random.ts';
import { applyOp, randomOp } from './crash-ops.ts';

const IN_FLIGHT_MAX = 4;
const LIFETIME_MAX_MS = 20_000; // the parent kills much sooner; this only stops an orphan
/** Small, so compactions (and crashes during them) happen within a round. */
const COMPACT_MIN_BYTES = 32 * 1024;
const EXPECTED = new Set(['ERR_OBJECT_NOT_FOUND', 'ERR_NODE_ALREADY_EXIST', 'ERR_INVALID_PARAMETERS', 'ERR_INCONSISTENT_STATE']);

const [dirPath, seedArg, firstIdArg] = process.argv.slice(2);
const seed = Number(seedArg);
let nextId = Number(firstIdArg);
if (dirPath === undefined || !Number.isSafeInteger(seed) || !Number.isSafeInteger(nextId)) {
  process.stderr.write('usage: meta-writer.ts <store dir> <seed> <first op id>\n');
  process.exit(2);
}
setTimeout(() => process.exit(3), LIFETIME_MAX_MS).unref();

const store = await FileMetaStore.open(dirPath, { compactMinBytes: COMPACT_MIN_BYTES });
const random = seededRandom(seed);
const inFlight = new Set<Promise<void>>();
let compactionsPrinted = 0;
for (;;) {
  while (inFlight.size < IN_FLIGHT_MAX) {
    const op = randomOp(random, nextId++);
    writeLineSync(1, `I ${JSON.stringify(op)}\n`);
    const settled: Promise<void> = applyOp(store, op).then(
      () => {
        writeLineSync(1, `R ${op.id} ok\n`);
        const { compactions } = store.stats();
        if (compactions > compactionsPrinted) writeLineSync(1, `C ${(compactionsPrinted = compactions)}\n`);
      },
      (e: unknown) => {
        if (!isPegasusError(e) || !EXPECTED.has(e.code)) {
          process.stderr.write(`op ${op.id} failed unexpectedly: ${String(e)}\n`);
          process.exit(1);
        }
        writeLineSync(1, `R ${op.id} ${e.code}\n`);
      },
    ).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  }
  await Promise.race(inFlight);
}
