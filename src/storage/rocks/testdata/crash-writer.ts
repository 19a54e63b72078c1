// Child process of addon.test.ts ("RocksDB's WAL is really off"): writes keys, flushes some, writes
// more, then dies by SIGKILL without closing the DB. Only the flushed keys may survive.
// Usage: node --import tsx crash-writer.ts <db path>
import { openDb, WriteBatchBuilder } from '../addon.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer.ts <db path>');

const db = await openDb(path, { createIfMissing: true });

function batch(prefix: string, decree: number): Buffer {
  const b = new WriteBatchBuilder();
  for (let i = 0; i < 100; i++) b.put(0, Buffer.from(`${prefix}${i}`), Buffer.from(`value-${prefix}${i}`));
  b.put(1, Buffer.from('decree'), Buffer.from(String(decree)));
  return b.toBuffer();
}

db.writeSync(batch('flushed-sync-', 1));
await db.write(batch('flushed-async-', 2));
await db.flush();
db.writeSync(batch('lost-sync-', 3));
await db.write(batch('lost-async-', 4));
process.stdout.write('written\n');
process.kill(process.pid, 'SIGKILL');
