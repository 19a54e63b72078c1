/** Every Table operation round-trips through the fake cluster, with requests routed to the right partition. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64 } from '../../src/base/crc64.ts';
import { PEGASUS_EPOCH_UNIX_SECONDS } from '../../src/base/value-schema.ts';
import { CheckType, FilterType, Mutations, PegasusClient, PegasusClientError, PegasusStorageError, type Table } from '../../src/client/index.ts';
import { FakeCluster } from './fake-cluster.ts';

const s = (b: Buffer | undefined): string | undefined => b?.toString();

describe('Table operations', () => {
  let cluster: FakeCluster;
  let client: PegasusClient;
  let table: Table;

  before(async () => {
    cluster = await FakeCluster.start();
    // The client reads the same shifted clock as the storage, so TTLs can be made to pass.
    client = PegasusClient.create({
      metaServers: cluster.metaAddresses,
      clock: { nowMs: () => cluster.clock.nowMs(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    });
    table = await client.openTable('temp');
  });

  after(async () => {
    await client.close();
    await cluster.close();
  });

  test('set, get, del; absent keys read as undefined', async () => {
    await table.set('hk', 'sk', 'value');
    assert.equal(s(await table.get('hk', 'sk')), 'value');
    assert.equal(await table.get('hk', 'missing'), undefined);
    await table.del('hk', 'sk');
    assert.equal(await table.get('hk', 'sk'), undefined);
    await table.del('hk', 'never-there');
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('keys and values as Buffer, Uint8Array and string (UTF-8), binary bytes kept', async () => {
    const hashKey = new Uint8Array([0, 1, 2, 0xff, 0xfe]);
    const sortKey = Buffer.from([0xff, 0x00, 0x80]);
    const value = new Uint8Array([0, 0, 0xc3, 0x28]);
    await table.set(hashKey, sortKey, value);
    assert.deepEqual(await table.get(Buffer.from(hashKey), new Uint8Array(sortKey)), Buffer.from(value));
    await table.set('ключ', 'сорт', 'значение');
    assert.equal(s(await table.get(Buffer.from('ключ'), 'сорт')), 'значение');
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('an empty hash key routes by the sort key', async () => {
    const sortKeys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'sortonly'];
    for (const sk of sortKeys) await table.set('', sk, `v-${sk}`);
    for (const sk of sortKeys) assert.equal(s(await table.get('', sk)), `v-${sk}`);
    // They landed on the partitions of crc64(sort key), not all on crc64("") = partition 0.
    const gets = cluster.requests('RPC_RRDB_RRDB_GET').slice(-sortKeys.length);
    const partitions = new Set(gets.map((r) => r.gpid.partitionIndex));
    assert.ok(partitions.size > 1, `sort-key routing spread over ${partitions.size} partition(s)`);
    assert.equal(gets.at(-1)!.gpid.partitionIndex, 7); // protocol.md §3.2: ("", "sortonly") → 7 of 8
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('each single-key request reaches partition crc64(hash key) mod 8', async () => {
    const before = cluster.requests('RPC_RRDB_RRDB_PUT').length;
    for (let i = 0; i < 40; i++) await table.set(`route-${i}`, 's', 'v');
    const puts = cluster.requests('RPC_RRDB_RRDB_PUT').slice(before);
    assert.equal(puts.length, 40);
    puts.forEach((put, i) => {
      const hash = crc64(Buffer.from(`route-${i}`));
      assert.equal(put.partitionHash, hash);
      assert.equal(put.gpid.partitionIndex, Number(hash % 8n));
      assert.equal(put.gpid.appId, 2);
      // The fake meta puts partition i on replica server i mod 2.
      assert.equal(put.replica, put.gpid.partitionIndex % 2);
    });
    assert.equal(new Set(puts.map((p) => p.gpid.partitionIndex)).size, 8);
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('TTL: sent as now + ttl since 2016-01-01, read back, expires; exist follows', async () => {
    await table.set('ttl', 'k', 'v', { ttlSeconds: 100 });
    await table.set('ttl', 'forever', 'v');
    const ttl = await table.ttl('ttl', 'k');
    assert.ok(ttl !== undefined && ttl >= 99 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await table.ttl('ttl', 'forever'), -1);
    assert.equal(await table.ttl('ttl', 'absent'), undefined);
    assert.equal(await table.exist('ttl', 'k'), true);
    assert.equal(await table.exist('ttl', 'absent'), false);
    // The scanner returns the absolute expire_ts the client computed.
    const scanner = table.getScanner('ttl', 'k', 'k', { returnExpireTs: true, stopInclusive: true });
    const entry = await scanner.next();
    const expected = Math.floor(cluster.clock.nowMs() / 1000) - PEGASUS_EPOCH_UNIX_SECONDS + 100;
    assert.ok(entry?.expireTsSeconds !== undefined && Math.abs(entry.expireTsSeconds - expected) <= 1, `expire_ts ${entry?.expireTsSeconds} vs ${expected}`);
    await scanner.close();
    cluster.clock.offsetMs += 101_000;
    try {
      assert.equal(await table.get('ttl', 'k'), undefined);
      assert.equal(await table.exist('ttl', 'k'), false);
      assert.equal(s(await table.get('ttl', 'forever')), 'v');
    } finally {
      cluster.clock.offsetMs -= 101_000;
    }
    await assert.rejects(table.set('ttl', 'k', 'v', { ttlSeconds: -1 }), (e) => e instanceof PegasusClientError && e.code === 'ERR_INVALID_PARAMETERS');
  });

  test('multiSet, multiGet by sort keys and ranges, reverse, filters, limits, multiDel, sortKeyCount', async () => {
    const kvs: Array<[string, string]> = [];
    for (let i = 0; i < 20; i++) kvs.push([`k${String(i).padStart(2, '0')}`, `v${i}`]);
    await table.multiSet('multi', kvs);
    assert.equal(await table.sortKeyCount('multi'), 20);

    const picked = await table.multiGet('multi', ['k05', 'absent', 'k01']);
    assert.deepEqual(picked.kvs.map((kv) => [s(kv.sortKey), s(kv.value)]), [['k05', 'v5'], ['k01', 'v1']]);
    assert.equal(picked.complete, true);

    const all = await table.multiGet('multi', undefined);
    assert.equal(all.kvs.length, 20);
    assert.equal(all.complete, true);

    const range = await table.multiGet('multi', [], { startSortKey: 'k03', stopSortKey: 'k06' });
    assert.deepEqual(range.kvs.map((kv) => s(kv.sortKey)), ['k03', 'k04', 'k05']);
    const inclusive = await table.multiGet('multi', [], { startSortKey: 'k03', stopSortKey: 'k06', startInclusive: false, stopInclusive: true });
    assert.deepEqual(inclusive.kvs.map((kv) => s(kv.sortKey)), ['k04', 'k05', 'k06']);

    const limited = await table.multiGet('multi', undefined, { maxFetchCount: 5 });
    assert.deepEqual(limited.kvs.map((kv) => s(kv.sortKey)), ['k00', 'k01', 'k02', 'k03', 'k04']);
    assert.equal(limited.complete, false);
    const lastFive = await table.multiGet('multi', undefined, { maxFetchCount: 5, reverse: true });
    assert.deepEqual(lastFive.kvs.map((kv) => s(kv.sortKey)), ['k15', 'k16', 'k17', 'k18', 'k19']);
    assert.equal(lastFive.complete, false);

    const filtered = await table.multiGet('multi', undefined, { sortKeyFilterType: FilterType.FT_MATCH_POSTFIX, sortKeyFilterPattern: '7', noValue: true });
    assert.deepEqual(filtered.kvs.map((kv) => [s(kv.sortKey), kv.value.length]), [['k07', 0], ['k17', 0]]);

    assert.equal(await table.multiDel('multi', ['k00', 'k01', 'nope']), 3);
    assert.equal(await table.sortKeyCount('multi'), 18);
    await table.multiSet('multi', [['t', 'x']], { ttlSeconds: 50 });
    const ttl = await table.ttl('multi', 't');
    assert.ok(ttl !== undefined && ttl > 40);
    await assert.rejects(table.multiSet('multi', []), (e) => e instanceof PegasusClientError && e.code === 'ERR_INVALID_PARAMETERS');
    await assert.rejects(table.multiGet('', undefined), PegasusClientError);
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('batchGet: one BATCH_GET per partition, values in request order', async () => {
    const keys: Array<[string, string]> = [];
    for (let i = 0; i < 24; i++) keys.push([`batch-${i}`, `s${i}`]);
    for (const [hk, sk] of keys.filter((_, i) => i % 3 !== 0)) await table.set(hk, sk, `${hk}/${sk}`);
    const before = cluster.requests('RPC_RRDB_RRDB_BATCH_GET').length;
    const values = await table.batchGet([...keys, ['', 'sortonly']]);
    assert.deepEqual(
      values.map(s),
      [...keys.map(([hk, sk], i) => (i % 3 === 0 ? undefined : `${hk}/${sk}`)), 'v-sortonly'],
    );
    const batches = cluster.requests('RPC_RRDB_RRDB_BATCH_GET').slice(before);
    const partitions = batches.map((b) => b.gpid.partitionIndex);
    assert.equal(new Set(partitions).size, partitions.length, 'one request per partition');
    assert.ok(partitions.length > 1 && partitions.length <= 8);
    assert.deepEqual(await table.batchGet([]), []);
    assert.deepEqual(cluster.routingViolations, []);
  });

  test('incr: bigint and number increments, TTL kept/set/cleared, bad values are storage errors', async () => {
    assert.equal(await table.incr('counter', 'c', 5), 5n);
    assert.equal(await table.incr('counter', 'c', -2n), 3n);
    assert.equal(await table.incr('counter', 'c', 9007199254740993n), 9007199254740996n);
    assert.equal(s(await table.get('counter', 'c')), '9007199254740996');
    await table.incr('counter', 'c', 0, { ttlSeconds: 30 });
    const ttl = await table.ttl('counter', 'c');
    assert.ok(ttl !== undefined && ttl > 20 && ttl <= 30);
    await table.incr('counter', 'c', 1);
    assert.ok(((await table.ttl('counter', 'c')) ?? 0) > 20, 'ttl 0 keeps the TTL');
    await table.incr('counter', 'c', 1, { ttlSeconds: -1 });
    assert.equal(await table.ttl('counter', 'c'), -1);
    await table.set('counter', 'text', 'abc');
    await assert.rejects(table.incr('counter', 'text', 1), (e) => e instanceof PegasusStorageError && e.code === 'kInvalidArgument' && e.status === 4);
    await assert.rejects(table.incr('counter', 'c', 1.5), (e) => e instanceof PegasusClientError && e.code === 'ERR_INVALID_PARAMETERS');
  });

  test('checkAndSet: passes and fails as results, returns the checked value', async () => {
    const first = await table.checkAndSet('cas', 'lock', CheckType.CT_VALUE_NOT_EXIST, '', 'lock', 'owner-1', { returnCheckValue: true });
    assert.deepEqual(first, { setSucceed: true, checkValueReturned: true, checkValueExist: false, checkValue: undefined });
    const second = await table.checkAndSet('cas', 'lock', CheckType.CT_VALUE_NOT_EXIST, '', 'lock', 'owner-2', { returnCheckValue: true });
    assert.equal(second.setSucceed, false);
    assert.equal(second.checkValueExist, true);
    assert.equal(s(second.checkValue), 'owner-1');
    assert.equal(s(await table.get('cas', 'lock')), 'owner-1');
    // A different sort key to set, with a TTL.
    const other = await table.checkAndSet('cas', 'lock', CheckType.CT_VALUE_BYTES_EQUAL, 'owner-1', 'data', 'payload', { ttlSeconds: 60 });
    assert.equal(other.setSucceed, true);
    assert.equal(other.checkValueReturned, false);
    assert.equal(s(await table.get('cas', 'data')), 'payload');
    assert.ok(((await table.ttl('cas', 'data')) ?? 0) > 50);
    await table.set('cas', 'n', '10');
    assert.equal((await table.checkAndSet('cas', 'n', CheckType.CT_VALUE_INT_GREATER, '5', 'n', '11')).setSucceed, true);
    await assert.rejects(table.checkAndSet('cas', 'lock', CheckType.CT_VALUE_INT_LESS, 'x', 'n', '1'), (e) => e instanceof PegasusStorageError && e.code === 'kInvalidArgument');
  });

  test('checkAndMutate: sets and deletes atomically when the check passes', async () => {
    await table.set('cam', 'version', '1');
    await table.set('cam', 'old', 'x');
    const mutations = new Mutations().set('a', 'A').set('b', 'B', 60).del('old');
    const ok = await table.checkAndMutate('cam', 'version', CheckType.CT_VALUE_BYTES_EQUAL, '1', mutations, { returnCheckValue: true });
    assert.equal(ok.mutateSucceed, true);
    assert.equal(s(ok.checkValue), '1');
    assert.equal(s(await table.get('cam', 'a')), 'A');
    assert.ok(((await table.ttl('cam', 'b')) ?? 0) > 50);
    assert.equal(await table.get('cam', 'old'), undefined);
    const failed = await table.checkAndMutate('cam', 'version', CheckType.CT_VALUE_BYTES_EQUAL, '2', [{ operation: 'del', sortKey: 'a' }]);
    assert.deepEqual(failed, { mutateSucceed: false, checkValueReturned: false, checkValueExist: false, checkValue: undefined });
    assert.equal(s(await table.get('cam', 'a')), 'A');
    await assert.rejects(table.checkAndMutate('cam', 'version', CheckType.CT_NO_CHECK, '', new Mutations()), PegasusClientError);
    assert.deepEqual(cluster.routingViolations, []);
  });
});
