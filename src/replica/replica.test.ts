import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus, type ErrorCode } from '../base/error-code.ts';
import { generateKey } from '../base/key-schema.ts';
import type { IncrResponse } from '../idl/rrdb.ts';
import { MemLog, MemLogDir } from '../log/index.ts';
import { MemDisk } from '../storage/mem/mem-disk.ts';
import { MemStore } from '../storage/mem/mem-store.ts';
import { PartitionDb } from '../storage/rrdb/partition-db.ts';
import type { WriteRequest, WriteResponse } from '../storage/rrdb/write-service.ts';
import { ConfigType } from '../idl/replication.ts';
import { RPC_ADDRESS_INVALID } from '../idl/thrift/dsn.ts';
import type { AppInfo } from '../idl/meta.ts';
import { toWireAddress } from '../idl/thrift/dsn.ts';
import { Replica } from './replica.ts';
import { REPLICA_TIMING_DEFAULT, type ReplicaEnv } from './replica-env.ts';
import { ReplicaMutation, encodeWrite, type WriteReply } from './replica-mutation.ts';

const SELF = '10.0.0.1:34801';
const APP: AppInfo = {
  status: 1, appType: 'pegasus', appName: 't', appId: 1, partitionCount: 8, envs: new Map(), isStateful: true, maxReplicaCount: 1,
  expireSecond: 0, createSecond: 0, dropSecond: 0, duplicating: false, initPartitionCount: 8, isBulkLoading: false,
};

type EnvOverrides = Partial<Pick<ReplicaEnv, 'stalenessForCommit' | 'queuedWritesMax'>>;

const gpid = { appId: 1, partitionIndex: 3 };
const b = (s: string) => Buffer.from(s);
const key = (sortKey: string) => generateKey(b('hk'), b(sortKey));
const put = (sortKey: string, value: string): WriteRequest => ({ code: 'RPC_RRDB_RRDB_PUT', request: { key: key(sortKey), value: b(value), expireTsSeconds: 0 } });
const incr = (sortKey: string): WriteRequest => ({ code: 'RPC_RRDB_RRDB_INCR', request: { key: key(sortKey), increment: 1n, expireTsSeconds: 0 } });

/** A node's disks outlive its processes: a crash drops the objects, the disks keep what was durable. */
class Node {
  readonly disk = new MemDisk();
  readonly logDir: MemLogDir;
  nowMs = 1_750_000_000_000;
  constructor() {
    this.logDir = new MemLogDir({ nowMs: () => this.nowMs });
  }
  ballotOnDisk = 0;
  async open(options: EnvOverrides = {}, memtableBytesMax = 2048): Promise<Replica> {
    const clock = { nowMs: () => this.nowMs, setTimer: () => ({ cancel: () => undefined }) };
    const store = await MemStore.open(this.disk, '/replica/1.3', { nowMs: clock.nowMs, memtableBytesMax });
    const db = new PartitionDb(store, { gpid, server: '127.0.0.1:34801', clock });
    const log = await MemLog.open(this.logDir, { gpid, nowMs: clock.nowMs });
    const env: ReplicaEnv = {
      gpid,
      selfAddress: SELF,
      clock,
      channel: { call: () => Promise.reject(new Error('no peers in these tests')), close: async () => undefined },
      timing: { ...REPLICA_TIMING_DEFAULT, groupCheckDisabled: true, mutation2pcMinReplicaCount: 1 },
      prepareListCapacity: 110,
      stalenessForCommit: options.stalenessForCommit ?? 20,
      writeSizeBytesMax: 1024 * 1024,
      batchWriteDisabled: false,
      queuedWritesMax: options.queuedWritesMax ?? 10_000,
      appInfo: () => APP,
      persistedBallot: () => this.ballotOnDisk,
      persistedDataBallot: () => 0,
      persistDataBallot: async () => undefined,
      persistBallot: async (ballot) => {
        this.ballotOnDisk = Math.max(this.ballotOnDisk, ballot);
      },
      // A meta that accepts every request as asked.
      updateConfigurationOnMeta: async (request) => ({ err: 'ERR_OK', config: request.config }),
      copyCheckpointFrom: () => Promise.reject(new Error('no peers in these tests')),
      installLearnedCheckpoint: () => Promise.reject(new Error('no peers in these tests')),
      tryAcquireLearnAppSlot: () => true,
      releaseLearnAppSlot: () => undefined,
    };
    return Replica.open(db, log, env);
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** What the meta does to make a replica primary: propose CT_ASSIGN_PRIMARY at `ballot - 1`. */
async function becomePrimary(replica: Replica, ballot: number): Promise<void> {
  const config = {
    pid: gpid, ballot: ballot - 1, maxReplicaCount: 1, primary: { ...RPC_ADDRESS_INVALID }, secondaries: [], lastDrops: [],
    lastCommittedDecree: 0, partitionFlags: 0,
  };
  replica.onConfigProposal({ info: APP, config, type: ConfigType.CT_ASSIGN_PRIMARY, node: toWireAddress(SELF), hostNode: { ...RPC_ADDRESS_INVALID } });
  await settle();
}

interface Outcome {
  response?: WriteResponse;
  error?: ErrorCode;
}

function write(replica: Replica, request: WriteRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let answered = false;
    const reply: WriteReply = {
      ok: (response) => {
        assert.ok(!answered, 'one answer per write');
        answered = true;
        resolve({ response });
      },
      error: (error) => {
        assert.ok(!answered, 'one answer per write');
        answered = true;
        resolve({ error });
      },
    };
    replica.onClientWrite(request, reply);
  });
}

async function get(replica: Replica, sortKey: string): Promise<string | undefined> {
  const response = await replica.onClientRead((db) => db.get(key(sortKey)));
  return response.error === StorageStatus.kOk ? response.value.toString() : undefined;
}

test('a primary logs, commits, applies and answers writes; reads see them', async () => {
  const replica = await new Node().open();
  await becomePrimary(replica, 1);
  const outcome = await write(replica, put('a', '1'));
  assert.equal(outcome.response?.error, StorageStatus.kOk);
  assert.equal((outcome.response as { decree: number }).decree, 1);
  assert.equal(await get(replica, 'a'), '1');
  assert.equal(replica.lastCommittedDecree(), 1);
  await replica.close();
});

test('writes that arrive together are batched into fewer mutations, answered in order', async () => {
  const replica = await new Node().open({ stalenessForCommit: 2 });
  await becomePrimary(replica, 1);
  const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => write(replica, put(`k${i}`, `v${i}`))));
  assert.ok(outcomes.every((o) => o.response?.error === StorageStatus.kOk));
  const decrees = new Set(outcomes.map((o) => (o.response as { decree: number }).decree));
  assert.ok(decrees.size < 50 && decrees.size >= 3, `50 puts went into ${decrees.size} mutations`);
  assert.equal(replica.lastCommittedDecree(), decrees.size);
  assert.equal(await get(replica, 'k49'), 'v49');
  await replica.close();
});

test('refusals: not primary, oversized, unstorable key, full queue', async () => {
  const replica = await new Node().open({ queuedWritesMax: 2, stalenessForCommit: 1 });
  assert.equal((await write(replica, put('a', '1'))).error, 'ERR_INVALID_STATE');
  await assert.rejects(replica.onClientRead((db) => db.get(key('a'))), /not primary/);
  await becomePrimary(replica, 1);
  assert.equal((await write(replica, put('big', 'x'.repeat(1024 * 1024 + 1)))).error, 'ERR_INVALID_DATA');
  assert.equal((await write(replica, { code: 'RPC_RRDB_RRDB_REMOVE', request: Buffer.from([9]) })).error, 'ERR_INVALID_DATA');
  const pending = [write(replica, incr('c')), write(replica, incr('c')), write(replica, incr('c'))];
  assert.equal((await write(replica, incr('c'))).error, 'ERR_BUSY');
  const results = await Promise.all(pending);
  assert.deepEqual(results.map((r) => (r.response as IncrResponse).newValue), [1n, 2n, 3n]);
  await replica.close();
});

test('a restart replays the log: applied exactly once, decrees continue', async () => {
  const node = new Node();
  // A memtable that never fills: the store keeps nothing durable, so the whole history is replayed.
  let replica = await node.open({}, 1 << 30);
  await becomePrimary(replica, 1);
  for (let i = 0; i < 30; i++) await write(replica, i % 2 ? incr('n') : put(`p${i}`, `${i}`));
  // A process crash: nothing is closed, unflushed memtable writes are gone, the log's written bytes stay.
  node.logDir.crashProcess();
  replica = await node.open({}, 1 << 30);
  assert.equal(replica.status, 'PS_INACTIVE');
  // Decree 30's commit was only known in memory (the next prepare would have carried it): it is prepared
  // again, under the new ballot, when this replica becomes primary.
  assert.equal(replica.maxPreparedDecree(), 30);
  assert.equal(replica.lastCommittedDecree(), 29);
  await becomePrimary(replica, 2);
  const next = await write(replica, incr('n'));
  assert.equal((next.response as IncrResponse).decree, 31);
  assert.equal((next.response as IncrResponse).newValue, 16n, '15 increments before the crash, each applied once');
  assert.equal(await get(replica, 'p28'), '28');
  await replica.close();
});

test('a new primary re-prepares the uncommitted tail under its ballot before serving reads', async () => {
  const node = new Node();
  const replica0 = await node.open();
  await replica0.close();
  // An earlier primary logged decrees 1..3 but only knew 1 committed when it died.
  const log = await MemLog.open(node.logDir, { gpid, nowMs: () => node.nowMs });
  const writes = [put('x', '1'), put('x', '2'), incr('y')];
  for (let d = 1; d <= 3; d++) {
    const w = writes[d - 1]!;
    await log.append(new ReplicaMutation({ header: { gpid, ballot: 4, decree: d, logOffset: 0, lastCommittedDecree: Math.min(d - 1, 1), timestampUs: d }, updates: [encodeWrite(w)] }, [w], [], false).data);
  }
  await log.close();
  const replica = await node.open();
  assert.equal(replica.ballot, 4, 'the log raised the ballot');
  assert.equal(replica.lastCommittedDecree(), 1);
  assert.equal(replica.maxPreparedDecree(), 3);
  await becomePrimary(replica, 3);
  assert.equal(replica.status, 'PS_INACTIVE', 'a proposal older than the ballot the log raised is ignored');
  await becomePrimary(replica, 5);
  await write(replica, put('z', 'after'));
  assert.equal(await get(replica, 'x'), '2');
  assert.equal(await get(replica, 'y'), '1');
  assert.equal(replica.lastCommittedDecree(), 4);
  await replica.close();
});

test('a plog write failure puts the replica in ERROR; a prepared write gets no answer, later ones are refused', async () => {
  const node = new Node();
  const replica = await node.open();
  await becomePrimary(replica, 1);
  await write(replica, put('a', '1'));
  node.logDir.failNextAppend();
  let answered = false;
  void write(replica, put('b', '2')).then(() => {
    answered = true;
  });
  await settle();
  // It had a decree when the log failed: the group may still commit it, so the client is not told "no".
  assert.equal(answered, false);
  assert.equal(replica.status, 'PS_ERROR');
  assert.equal((await write(replica, put('c', '3'))).error, 'ERR_INVALID_STATE');
  await becomePrimary(replica, 2);
  assert.equal(replica.status, 'PS_ERROR', 'ERROR is terminal');
  await replica.close();
});

test('an inactive replica refuses reads and writes until it is primary again', async () => {
  const replica = await new Node().open();
  await becomePrimary(replica, 1);
  await write(replica, put('a', '1'));
  replica.becomeInactive();
  assert.equal((await write(replica, put('a', '2'))).error, 'ERR_INVALID_STATE');
  await assert.rejects(replica.onClientRead((db) => db.get(key('a'))), /not primary/);
  await becomePrimary(replica, 2);
  assert.equal((await write(replica, put('a', '3'))).response?.error, StorageStatus.kOk);
  assert.equal(await get(replica, 'a'), '3');
  await replica.close();
});
