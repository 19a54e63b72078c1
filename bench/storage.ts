/**
 * Storage micro-benchmark (development only; never part of the tests). In one run, with the same data and
 * the same access mode on every side, it measures:
 *   - 1,000,000 puts of 16-byte keys and 100-byte values in batches of 100, one batch awaited at a time;
 *   - 200,000 random point gets, awaited, 64 in flight;
 *   - a 100,000-key range scan in batches of 1,000;
 * through (a) @nxtedition/rocksdb, the best npm binding, (b) our addon used directly, and (c) RocksStore
 * with a decree per batch (the real write path: WAL off, decree in the same batch). Every side awaits each
 * batch before the next; each uses its default RocksDB options (ours: upstream's shipped ones). Each side runs 5 times,
 * rotating the order; the medians, the ratios and a JSON record are printed, and the record is saved under
 * bench/results/.
 *
 *   npm run bench:storage [-- --reps 5 --puts 1000000 --gets 200000 --scan 100000]
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RocksLevel } from '@nxtedition/rocksdb';
import { CF_DEFAULT, WriteBatchBuilder, openDb, rocksdbVersion } from '../src/storage/rocks/addon.ts';
import { RocksStore } from '../src/storage/rocks/rocks-store.ts';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    puts: { type: 'string', default: '1000000' },
    gets: { type: 'string', default: '200000' },
    scan: { type: 'string', default: '100000' },
    out: { type: 'string', default: 'bench/results/storage.json' },
    sides: { type: 'string', default: 'nxtedition,addon,rocksstore' },
  },
});
const REPS = Number(args.reps);
const PUTS = Number(args.puts);
const GETS = Number(args.gets);
const SCAN = Math.min(Number(args.scan), PUTS);
const BATCH = 100;
const IN_FLIGHT = 64;
const SCAN_BATCH = 1000;
const KEY_BYTES = 16;
const VALUE_BYTES = 100;

/** splitmix32: a fixed, seeded key order, so every side writes and reads the very same keys. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const random = splitmix32(42);
const keys: Buffer[] = [];
for (let i = 0; i < PUTS; i++) {
  const key = Buffer.allocUnsafe(KEY_BYTES);
  key.writeUInt32BE(random(), 0);
  key.writeUInt32BE(random(), 4);
  key.writeUInt32BE(Math.floor(i / 0x100000000), 8);
  key.writeUInt32BE(i >>> 0, 12);
  keys.push(key);
}
const value = Buffer.alloc(VALUE_BYTES);
for (let i = 0; i < VALUE_BYTES; i++) value[i] = random() & 0xff;
const getOrder: Buffer[] = [];
for (let i = 0; i < GETS; i++) getOrder.push(keys[random() % PUTS]!);

interface Side {
  name: string;
  open(dir: string): Promise<void>;
  putBatch(batchIndex: number, batchKeys: Buffer[]): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Reads `count` keys in order from the smallest; returns how many it saw. */
  scan(count: number): Promise<number>;
  close(): Promise<void>;
}

/** Our iterators (the addon's and RocksStore's) share one batched read interface. */
async function scanBatches(
  it: { seekToStart(): void; read(n: number, bytes: number): Promise<{ keys: Buffer[]; done: boolean }>; close(): void },
  count: number,
): Promise<number> {
  it.seekToStart();
  let seen = 0;
  while (seen < count) {
    const batch = await it.read(Math.min(SCAN_BATCH, count - seen), 1 << 22);
    seen += batch.keys.length;
    if (batch.done) break;
  }
  it.close();
  return seen;
}

function nxtedition(): Side {
  let db: RocksLevel;
  return {
    name: '@nxtedition/rocksdb',
    async open(dir) {
      db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
    },
    async putBatch(_i, batchKeys) {
      await db.batch(batchKeys.map((key) => ({ type: 'put' as const, key, value })));
    },
    async get(key) {
      return (await db.get(key)) as Buffer | undefined;
    },
    async scan(count) {
      const it = db.iterator({ limit: count });
      let seen = 0;
      for (;;) {
        const rows = await it.nextv(SCAN_BATCH);
        if (rows.length === 0) break;
        seen += rows.length;
      }
      await it.close();
      return seen;
    },
    async close() {
      await db.close();
    },
  };
}

function addon(): Side {
  let db: Awaited<ReturnType<typeof openDb>>;
  return {
    name: 'addon (direct)',
    async open(dir) {
      db = await openDb(dir, { createIfMissing: true });
    },
    async putBatch(_i, batchKeys) {
      const batch = new WriteBatchBuilder();
      for (const key of batchKeys) batch.put(CF_DEFAULT, key, value);
      // The same native call RocksStore makes when RocksDB is not stalling (its `auto` write mode).
      db.writeSync(batch.toBuffer());
    },
    async get(key) {
      return (await db.multiGet(CF_DEFAULT, [key]))[0];
    },
    scan(count) {
      return scanBatches(db.iterator({ cf: CF_DEFAULT }), count);
    },
    async close() {
      await db.close();
    },
  };
}

function rocksStore(): Side {
  let store: RocksStore;
  return {
    name: 'RocksStore',
    async open(dir) {
      store = await RocksStore.open(dir);
    },
    async putBatch(i, batchKeys) {
      const batch = store.newBatch();
      for (const key of batchKeys) batch.put(key, value);
      await store.write(i + 1, batch);
    },
    get(key) {
      return store.get(key);
    },
    scan(count) {
      return scanBatches(store.iterator({ reverse: false }), count);
    },
    async close() {
      await store.close();
    },
  };
}

interface Sample {
  putsPerSec: number;
  getsPerSec: number;
  scanKeysPerSec: number;
}

async function runOnce(side: Side): Promise<Sample> {
  const dir = await mkdtemp(join(tmpdir(), 'pegasus-bench-'));
  try {
    await side.open(join(dir, 'db'));
    let start = process.hrtime.bigint();
    for (let b = 0; b * BATCH < PUTS; b++) await side.putBatch(b, keys.slice(b * BATCH, (b + 1) * BATCH));
    const putSeconds = Number(process.hrtime.bigint() - start) / 1e9;

    start = process.hrtime.bigint();
    let next = 0;
    let missing = 0;
    const worker = async () => {
      while (next < GETS) {
        const key = getOrder[next++]!;
        if ((await side.get(key)) === undefined) missing++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const getSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (missing > 0) throw new Error(`${side.name}: ${missing} gets missed keys that were written`);

    start = process.hrtime.bigint();
    const seen = await side.scan(SCAN);
    const scanSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (seen !== SCAN) throw new Error(`${side.name}: the scan saw ${seen} keys, expected ${SCAN}`);
    await side.close();
    return { putsPerSec: PUTS / putSeconds, getsPerSec: GETS / getSeconds, scanKeysPerSec: SCAN / scanSeconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const SIDES: Record<string, () => Side> = { nxtedition, addon, rocksstore: rocksStore };
const sides = args.sides!.split(',').map((name) => {
  const make = SIDES[name];
  if (!make) throw new Error(`unknown side ${name}; known: ${Object.keys(SIDES).join(', ')}`);
  return make();
});
const samples = new Map<string, Sample[]>(sides.map((s) => [s.name, []]));
console.log(
  `storage bench: ${PUTS} puts (${KEY_BYTES} B keys, ${VALUE_BYTES} B values, batches of ${BATCH}), ` +
    `${GETS} gets (${IN_FLIGHT} in flight), ${SCAN}-key scan; ${REPS} repetitions; RocksDB ${rocksdbVersion()} (ours)`,
);
for (let rep = 0; rep < REPS; rep++) {
  // Rotate the order so no side always runs first (cold caches) or last (warm page cache).
  for (let k = 0; k < sides.length; k++) {
    const side = sides[(rep + k) % sides.length]!;
    const sample = await runOnce(side);
    samples.get(side.name)!.push(sample);
    console.log(
      `  rep ${rep + 1} ${side.name.padEnd(20)} puts ${Math.round(sample.putsPerSec).toString().padStart(8)}/s  ` +
        `gets ${Math.round(sample.getsPerSec).toString().padStart(7)}/s  scan ${Math.round(sample.scanKeysPerSec).toString().padStart(8)} keys/s`,
    );
  }
}

const medians = Object.fromEntries(
  sides.map((s) => {
    const list = samples.get(s.name)!;
    return [
      s.name,
      {
        putsPerSec: Math.round(median(list.map((x) => x.putsPerSec))),
        getsPerSec: Math.round(median(list.map((x) => x.getsPerSec))),
        scanKeysPerSec: Math.round(median(list.map((x) => x.scanKeysPerSec))),
      },
    ];
  }),
) as Record<string, Sample>;
console.log('\nmedians');
console.log(`  ${'side'.padEnd(22)} ${'puts/s'.padStart(10)} ${'gets/s'.padStart(10)} ${'scan keys/s'.padStart(12)}`);
for (const s of sides) {
  const m = medians[s.name]!;
  console.log(`  ${s.name.padEnd(22)} ${String(m.putsPerSec).padStart(10)} ${String(m.getsPerSec).padStart(10)} ${String(m.scanKeysPerSec).padStart(12)}`);
}

const ref = medians['@nxtedition/rocksdb'];
const direct = medians['addon (direct)'];
const ours = medians['RocksStore'];
const ratios: Record<string, number> = {};
const target = (x: number, min: number) => `${x.toFixed(2)}x ${x >= min ? '(meets' : '(BELOW'} >= ${min.toFixed(1)}x)`;
console.log('\nratios');
if (ours && ref) {
  ratios.rocksStorePutsVsNxtedition = ours.putsPerSec / ref.putsPerSec;
  ratios.rocksStoreGetsVsNxtedition = ours.getsPerSec / ref.getsPerSec;
  ratios.rocksStoreScanVsNxtedition = ours.scanKeysPerSec / ref.scanKeysPerSec;
  console.log(`  RocksStore puts vs @nxtedition/rocksdb: ${target(ratios.rocksStorePutsVsNxtedition, 1.0)}`);
  console.log(`  RocksStore gets vs @nxtedition/rocksdb: ${target(ratios.rocksStoreGetsVsNxtedition, 1.0)}`);
  console.log(`  RocksStore scan vs @nxtedition/rocksdb: ${ratios.rocksStoreScanVsNxtedition.toFixed(2)}x`);
}
if (ours && direct) {
  ratios.rocksStorePutsVsAddon = ours.putsPerSec / direct.putsPerSec;
  console.log(`  RocksStore puts vs addon direct:        ${target(ratios.rocksStorePutsVsAddon, 0.8)}`);
}
if (direct && ref) {
  ratios.addonPutsVsNxtedition = direct.putsPerSec / ref.putsPerSec;
  ratios.addonGetsVsNxtedition = direct.getsPerSec / ref.getsPerSec;
}

const record = {
  bench: 'storage',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  parameters: { puts: PUTS, batch: BATCH, keyBytes: KEY_BYTES, valueBytes: VALUE_BYTES, gets: GETS, inFlight: IN_FLIGHT, scanKeys: SCAN, scanBatch: SCAN_BATCH, reps: REPS },
  versions: { ourRocksdb: rocksdbVersion() },
  medians,
  ratios,
  samples: Object.fromEntries(samples),
};
console.log('\n' + JSON.stringify(record));
await mkdir('bench/results', { recursive: true });
await writeFile(args.out!, JSON.stringify(record, null, 2) + '\n');
