/**
 * Child process of local-lock.test.ts: takes the LocalLock of `<dir>` as `<ownerId>`, prints `held`, and
 * keeps it until killed.
 *
 * usage: node --import tsx test/metastore/testdata/lock-holder.ts <dir> <ownerId>
 */
import { writeLineSync } from '../../support/write-line-sync.ts';
import { LocalLock } from '../../../src/metastore/local-lock.ts';

const [dirPath, ownerId] = process.argv.slice(2);
if (dirPath === undefined || ownerId === undefined) {
  process.stderr.write('usage: lock-holder.ts <dir> <ownerId>\n');
  process.exit(2);
}
await new LocalLock(dirPath).lock({ ownerId, onLost: () => process.exit(4) });
writeLineSync(1, 'held\n');
setTimeout(() => process.exit(3), 20_000); // the parent kills much sooner; this only stops an orphan
