/** Hash and unordered scanners: batches, contexts, lost contexts, early close, counting. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterType, PegasusClient, PegasusStorageError, type PegasusScanner, type ScanEntry, type Table } from '../../src/client/index.ts';
import { FakeCluster } from './fake-cluster.ts';

async function drain(scanner: PegasusScanner, max = 10_000): Promise<ScanEntry[]> {
  const out: ScanEntry[] = [];
  for await (const entry of scanner) {
    out.push(entry);
    assert.ok(out.length <= max, 'scanner did not end');
  }
  return out;
}

const HASH_KEYS = 30;
const SORT_KEYS = 10;

describe('scanners', () => {
  let cluster: FakeCluster;
  let client: PegasusClient;
  let table: Table;

  before(async () => {
    cluster = await FakeCluster.start();
    client = PegasusClient.create({ metaServers: cluster.metaAddresses });
    table = await client.openTable('temp');
    await Promise.all(
      Array.from({ length: HASH_KEYS }, (_, h) =>
        table.multiSet(`h${h}`, Array.from({ length: SORT_KEYS }, (_, i): [string, string] => [`s${String(i).padStart(3, '0')}`, `v${h}.${i}`])),
      ),
    );
    const big: Array<[string, string]> = [];
    for (let i = 0; i < 250; i++) big.push([`k${String(i).padStart(4, '0')}`, `value-${i}`]);
    await table.multiSet('big', big);
  });

  after(async () => {
    await client.close();
    await cluster.close();
  });

  test('a hash scanner follows the context id across many batches', async () => {
    const before = cluster.requests('RPC_RRDB_RRDB_SCAN').length;
    const scanner = table.getScanner('big', undefined, undefined, { batchSize: 7 });
    const entries = await drain(scanner);
    assert.equal(entries.length, 250);
    assert.deepEqual(entries.map((e) => e.sortKey.toString()), Array.from({ length: 250 }, (_, i) => `k${String(i).padStart(4, '0')}`));
    assert.ok(entries.every((e) => e.hashKey.toString() === 'big' && e.value.toString().startsWith('value-')));
    assert.ok(cluster.requests('RPC_RRDB_RRDB_SCAN').length - before >= 35, 'one SCAN per further batch');
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('hash scanner ranges, inclusiveness, filters, noValue', async () => {
    const range = await drain(table.getScanner('big', 'k0010', 'k0015', { batchSize: 2 }));
    assert.deepEqual(range.map((e) => e.sortKey.toString()), ['k0010', 'k0011', 'k0012', 'k0013', 'k0014']);
    const inclusive = await drain(table.getScanner('big', 'k0010', 'k0012', { startInclusive: false, stopInclusive: true }));
    assert.deepEqual(inclusive.map((e) => e.sortKey.toString()), ['k0011', 'k0012']);
    const filtered = await drain(table.getScanner('big', '', '', { sortKeyFilterType: FilterType.FT_MATCH_POSTFIX, sortKeyFilterPattern: '99', noValue: true }));
    assert.deepEqual(filtered.map((e) => [e.sortKey.toString(), e.value.length]), [['k0099', 0], ['k0199', 0]]);
    assert.deepEqual(await drain(table.getScanner('big', 'k0020', 'k0010')), [], 'start after stop: empty');
    assert.deepEqual(await drain(table.getScanner('absent-hash-key', '', '')), []);
  });

  test('unordered scanners cover every partition exactly once, split as upstream does', async () => {
    const scanners = await table.getUnorderedScanners(3, { batchSize: 9 });
    assert.equal(scanners.length, 3);
    const seen = new Map<string, string>();
    for (const scanner of scanners) {
      for (const entry of await drain(scanner)) {
        const id = `${entry.hashKey.toString()}/${entry.sortKey.toString()}`;
        assert.ok(!seen.has(id), `${id} returned twice`);
        seen.set(id, entry.value.toString());
      }
    }
    assert.equal(seen.size, HASH_KEYS * SORT_KEYS + 250);
    assert.equal(seen.get('h7/s003'), 'v7.3');
    const fullScans = cluster.requests('RPC_RRDB_RRDB_GET_SCANNER').slice(-8);
    assert.deepEqual(fullScans.map((r) => r.gpid.partitionIndex).sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal((await table.getUnorderedScanners(100)).length, 8, 'at most one scanner per partition');
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('unordered scanners with a hash key filter and count()', async () => {
    const scanners = await table.getUnorderedScanners(2, { hashKeyFilterType: FilterType.FT_MATCH_PREFIX, hashKeyFilterPattern: 'h1', batchSize: 5 });
    let total = 0;
    for (const scanner of scanners) total += await scanner.count();
    // h1, h10..h19: 11 hash keys.
    assert.equal(total, 11 * SORT_KEYS);
    assert.equal(await table.getScanner('big', '', '').count(), 250);
  });

  test('a lost scan context (kNotFound) restarts from the last key, without repeats or gaps', async () => {
    const scanner = table.getScanner('big', '', '', { batchSize: 10 });
    const entries: ScanEntry[] = [];
    for (let i = 0; i < 25; i++) entries.push((await scanner.next())!);
    const owner = cluster.replicas[cluster.requests('RPC_RRDB_RRDB_GET_SCANNER').at(-1)!.replica]!;
    const getScannersBefore = cluster.requests('RPC_RRDB_RRDB_GET_SCANNER').length;
    owner.loseNextScanContext = true;
    entries.push(...(await drain(scanner)));
    assert.equal(owner.loseNextScanContext, false, 'the context was dropped');
    assert.equal(cluster.requests('RPC_RRDB_RRDB_GET_SCANNER').length, getScannersBefore + 1, 'one restart');
    assert.deepEqual(entries.map((e) => e.sortKey.toString()), Array.from({ length: 250 }, (_, i) => `k${String(i).padStart(4, '0')}`));
  });

  test('a count-only scan cannot resume a lost context: a typed error', async () => {
    const scanner = table.getScanner('big', '', '', { batchSize: 10 });
    const scansBefore = cluster.requests('RPC_RRDB_RRDB_SCAN').length;
    // Whichever server owns 'big', its first SCAN finds the context gone.
    for (const replica of cluster.replicas) replica.loseNextScanContext = true;
    try {
      await assert.rejects(scanner.count(), (e) => e instanceof PegasusStorageError && e.code === 'kNotFound');
      assert.equal(cluster.requests('RPC_RRDB_RRDB_SCAN').length, scansBefore + 1);
    } finally {
      for (const replica of cluster.replicas) replica.loseNextScanContext = false;
    }
  });

  test('leaving early sends CLEAR_SCANNER for the open context', async () => {
    const scanner = table.getScanner('big', '', '', { batchSize: 10 });
    let n = 0;
    for await (const entry of scanner) {
      assert.ok(entry.sortKey.length > 0);
      if (++n === 15) break;
    }
    // CLEAR_SCANNER is oneway: wait (bounded) for it to arrive.
    const cleared = (): number[] => cluster.replicas.flatMap((r) => r.clearedScanners);
    for (let i = 0; i < 50 && cleared().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(cleared().length, 1);
    assert.ok(cleared()[0]! >= 0);
    // A scanner that ran to its end has no context left to clear.
    await drain(table.getScanner('h1', '', ''));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(cleared().length, 1);
  });
});
