/**
 * Child process of partition-crash.test.ts: opens a RocksStore and a FileLog, recovers, prints
 * `RECOVERED <decree>`, then writes decree after decree (log, apply, acknowledge), printing `ACK <decree>`
 * once each is acknowledged, until the parent kills it with SIGKILL. A small RocksDB write buffer and
 * periodic flushes move the flushed decree often, so crashes land before, during and after flushes.
 *
 * usage: node --import tsx test/crash/testdata/partition-writer.ts <dataDir> <plogDir> <seed>
 */
import { writeLineSync } from '../../support/write-line-sync.ts';
import { FileLog } from '../../../src/log/index.ts';
import { RocksStore } from '../../../src/storage/rocks/rocks-store.ts';
import { CrashPartition, GPID } from '../partition-model.ts';

const [dataDir, plogDir, seedArg] = process.argv.slice(2);
if (dataDir === undefined || plogDir === undefined) {
  process.stderr.write('usage: partition-writer.ts <dataDir> <plogDir> <seed>\n');
  process.exit(2);
}
const seed = Number(seedArg ?? '1');
setTimeout(() => process.exit(3), 20_000).unref(); // the parent kills much sooner; this stops an orphan

const store = await RocksStore.open(dataDir, { rocksdb: { writeBufferSizeBytes: 64 * 1024 } });
const log = await FileLog.open(plogDir, { gpid: GPID, nowMs: Date.now, fileSizeBytesMax: 64 * 1024 });
const partition = new CrashPartition(store, log, Date.now);
const recovered = await partition.recover();
writeLineSync(1, `RECOVERED ${recovered}\n`);

const flushEvery = 20 + (seed % 50);
for (;;) {
  const decree = await partition.writeNext(Date.now() * 1000);
  writeLineSync(1, `ACK ${decree}\n`);
  if (decree % flushEvery === 0) await store.flush();
}
