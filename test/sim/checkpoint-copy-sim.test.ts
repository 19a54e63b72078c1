/**
 * LT_APP's checkpoint copy on the simulator's storage (src/sim/sim-storage.ts): a MemStore checkpoint is
 * served as one `image` file over the simulated network, staged on the learner's machine, installed as a
 * new incarnation of the data directory with an empty plog; a dead process's view is fenced before it can
 * stage or commit anything, staged chunks survive a process crash, and the installed state survives
 * process and machine crashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPegasusError, type ErrorCode } from '../../src/base/error-code.ts';
import { gpidEquals, type Gpid } from '../../src/base/gpid.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import type { Mutation } from '../../src/log/mutation.ts';
import type { MutationLog } from '../../src/log/mutation-log.ts';
import { copyCheckpoint, fetchCheckpointManifest } from '../../src/replica/checkpoint-copy.ts';
import { registerNfsService } from '../../src/replica/stub/nfs-service.ts';
import type { OpenedReplicaFiles } from '../../src/replica/stub/stub-env.ts';
import { SimWorld, type SimNode } from '../../src/sim/sim-world.ts';
import { MEM_CHECKPOINT_IMAGE_FILE } from '../../src/storage/checkpoint-files.ts';
import type { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';

const LEARNEE = '10.0.0.1:34801';
const LEARNER = '10.0.0.2:34801';
const G: Gpid = { appId: 3, partitionIndex: 1 };
const KEY_COUNT = 120;
const OLD_DECREES = 3;
const STEP_MS = 60_000;
const STEP_EVENTS_MAX = 1_000_000;

const b = (text: string): Buffer => Buffer.from(text);
const keyOf = (i: number): Buffer => generateKey(b(`hash${i}`), b('sort'));
const oldKeyOf = (i: number): Buffer => generateKey(b(`old${i}`), b('sort'));
const valueOf = (i: number): Buffer => b(`value ${i} `.repeat(6));

function put(key: Buffer, value: Buffer) {
  return { code: 'RPC_RRDB_RRDB_PUT' as const, request: { key, value, expireTsSeconds: 0 } };
}

function mutation(decree: number): Mutation {
  return {
    header: { gpid: { ...G }, ballot: 1, decree, logOffset: 0, lastCommittedDecree: decree - 1, timestampUs: 1_750_000_000_000_000 + decree },
    updates: [{ code: 'RPC_RRDB_RRDB_PUT', serializationType: 0, data: b(`update ${decree}`) }],
  };
}

async function replayedDecrees(log: MutationLog): Promise<number[]> {
  const decrees: number[] = [];
  await log.replay(0, (m) => decrees.push(m.header.decree));
  return decrees;
}

async function readValue(db: PartitionDb, key: Buffer): Promise<Buffer | undefined> {
  const response = await db.get(key);
  return response.error === 0 ? response.value : undefined;
}

async function closeAll(files: OpenedReplicaFiles): Promise<void> {
  await files.log.close();
  await files.db.close();
}

/** Runs `fn` as a loop event and lets the world run until it settles (network round trips included). */
async function step<T>(world: SimWorld, fn: () => Promise<T>): Promise<T> {
  let out: { value: T } | { error: unknown } | undefined;
  world.loop.scheduleAfter(0, 'test step', async () => {
    try {
      out = { value: await fn() };
    } catch (e) {
      out = { error: e };
    }
  });
  await world.runFor(STEP_MS, STEP_EVENTS_MAX);
  assert.ok(out !== undefined, 'the step did not finish');
  if ('error' in out) throw out.error;
  return out.value;
}

function isCode(code: ErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isPegasusError(e, code), `expected ${code}, got ${String(e)}`);
    return true;
  };
}

function world(seed: number): { world: SimWorld; learnee: SimNode; learner: SimNode } {
  const w = new SimWorld({ seed, network: { faults: { delayMinMs: 1, delayMaxMs: 3 } } });
  // A small write buffer: the learnee's memtable flushes on its own, as RocksDB's does.
  const learnee = w.addNode(LEARNEE, { storage: { memtableBytesMax: 8 * 1024 } });
  const learner = w.addNode(LEARNER);
  return { world: w, learnee, learner };
}

async function fillLearnee(w: SimWorld, learnee: SimNode): Promise<{ files: OpenedReplicaFiles; decree: number }> {
  const storage = learnee.storage;
  registerNfsService(learnee.handlers, (gpid) => (gpidEquals(gpid, G) ? storage : undefined));
  return step(w, async () => {
    const files = await storage.openReplica(G);
    for (let i = 1; i <= KEY_COUNT; i++) await files.db.apply(i, i, [put(keyOf(i), valueOf(i))]);
    const decree = await files.db.syncCheckpoint();
    await files.db.apply(KEY_COUNT + 1, 0, [put(generateKey(b('late'), b('')), b('x'))]);
    return { files, decree };
  });
}

async function fillLearner(w: SimWorld, learner: SimNode): Promise<void> {
  const storage = learner.storage;
  await step(w, async () => {
    const files = await storage.openReplica(G);
    for (let d = 1; d <= OLD_DECREES; d++) {
      await files.log.append(mutation(d));
      await files.db.apply(d, d, [put(oldKeyOf(d), b('old'))]);
    }
    await closeAll(files);
  });
}

async function copyTo(w: SimWorld, learnee: SimNode, learner: SimNode, decree: number): Promise<number> {
  const channel = learner.channel;
  const storage = learner.storage;
  return step(w, async () => {
    const files = await fetchCheckpointManifest({ channel, learnee: learnee.address, gpid: G, decree, timeoutMs: 1000 });
    assert.deepEqual(files.map((f) => f.name), [MEM_CHECKPOINT_IMAGE_FILE]);
    return copyCheckpoint({ channel, learnee: learnee.address, gpid: G, decree, files, storage, chunkBytes: 512, concurrency: 2, timeoutMs: 1000 });
  });
}

async function stateOf(files: OpenedReplicaFiles): Promise<{ applied: number; flushed: number; learned: boolean; old: boolean; plog: number[] }> {
  let learned = true;
  for (let i = 1; i <= KEY_COUNT; i++) if (!(await readValue(files.db, keyOf(i)))?.equals(valueOf(i))) learned = false;
  let old = true;
  for (let d = 1; d <= OLD_DECREES; d++) if (!(await readValue(files.db, oldKeyOf(d)))?.equals(b('old'))) old = false;
  return { applied: files.db.lastAppliedDecree(), flushed: files.db.lastFlushedDecree(), learned, old, plog: await replayedDecrees(files.log) };
}

test('sim storage: the manifest is one image file, served by name only; bad names and ranges refused', async () => {
  const { world: w, learnee } = world(101);
  const { files, decree } = await fillLearnee(w, learnee);
  const storage = learnee.storage;
  await step(w, async () => {
    const manifest = await storage.checkpointManifest(G, decree);
    assert.equal(manifest.length, 1);
    const image = manifest[0]!;
    assert.equal(image.name, MEM_CHECKPOINT_IMAGE_FILE);
    const whole = await storage.readCheckpointFile(G, decree, image.name, 0, image.sizeBytes);
    assert.equal(whole.length, image.sizeBytes);
    assert.deepEqual(await storage.readCheckpointFile(G, decree, image.name, 10, 20), whole.subarray(10, 30));
    assert.deepEqual((await storage.checkpointManifest(G, decree))[0], image, 'equal images give equal bytes');
    for (const name of ['../image', '/image', 'rdb', '..', 'IMAGE']) {
      await assert.rejects(storage.readCheckpointFile(G, decree, name, 0, 1), isCode('ERR_INVALID_PARAMETERS'), name);
    }
    await assert.rejects(storage.readCheckpointFile(G, decree, image.name, image.sizeBytes + 1, 1), isCode('ERR_INVALID_PARAMETERS'));
    await assert.rejects(storage.checkpointManifest(G, decree + 1), isCode('ERR_OBJECT_NOT_FOUND'));
    await assert.rejects(storage.checkpointManifest({ appId: 9, partitionIndex: 9 }, decree), isCode('ERR_OBJECT_NOT_FOUND'));
    await closeAll(files);
  });
});

test('sim storage: copy over the simulated network, install, crash; a dead process view is fenced', async () => {
  const { world: w, learnee, learner } = world(102);
  const { files: learneeFiles, decree } = await fillLearnee(w, learnee);
  assert.equal(decree, KEY_COUNT);
  await fillLearner(w, learner);
  const copied = await copyTo(w, learnee, learner, decree);
  assert.ok(copied > 512, 'several chunks');

  // The process dies between stage and install: its view can neither stage nor install any more.
  const deadView = learner.storage;
  const dataDirBefore = learner.disk.dataDirOf(G);
  w.crashProcess(learner);
  await assert.rejects(deadView.installLearnedCheckpoint(G, decree), isCode('ERR_FILE_OPERATION_FAILED'));
  await assert.rejects(deadView.stageLearnedFile(G, MEM_CHECKPOINT_IMAGE_FILE, 0, b('junk')), isCode('ERR_FILE_OPERATION_FAILED'));
  await assert.rejects(deadView.discardStagedFiles(G), isCode('ERR_FILE_OPERATION_FAILED'));
  assert.equal(learner.disk.dataDirOf(G), dataDirBefore, 'nothing committed');

  // The next process finds the old replica whole; the staged chunks survived the crash, as files would.
  w.restart(learner);
  const storage = learner.storage;
  const before = await step(w, async () => {
    const files = await storage.openReplica(G);
    const state = await stateOf(files);
    await closeAll(files);
    return state;
  });
  assert.deepEqual(before, { applied: OLD_DECREES, flushed: OLD_DECREES, learned: false, old: true, plog: [1, 2, 3] });

  const logDirBefore = learner.disk.logDirOf(G);
  const installed = await step(w, async () => {
    const files = await storage.installLearnedCheckpoint(G, decree);
    return { state: await stateOf(files), durable: await files.db.loadCheckpoints(), files };
  });
  assert.deepEqual(installed.state, { applied: decree, flushed: decree, learned: true, old: false, plog: [] });
  assert.equal(installed.durable, decree, 'the learned checkpoint is the new data\'s own');
  const dataDirAfter = learner.disk.dataDirOf(G)!;
  assert.notEqual(dataDirAfter, dataDirBefore, 'a new incarnation of the data directory');
  assert.deepEqual(learner.disk.disk.list(dataDirBefore!), [], 'the old incarnation is deleted');
  assert.notEqual(learner.disk.logDirOf(G), logDirBefore, 'a new plog directory');
  assert.ok(logDirBefore!.fileNames().length > 0, 'the old plog had files; the replica no longer reads them');

  // A crash right after the install, before any flush or close: the store reopens at the checkpoint.
  await step(w, async () => {
    await installed.files.log.append(mutation(decree + 1));
  });
  w.crashProcess(learner);
  w.restart(learner);
  const afterCrash = learner.storage;
  const reopened = await step(w, async () => {
    const files = await afterCrash.openReplica(G);
    const state = await stateOf(files);
    await closeAll(files);
    return state;
  });
  assert.deepEqual(reopened, { applied: decree, flushed: decree, learned: true, old: false, plog: [decree + 1] });

  // A machine crash loses the unsynced plog tail, never the installed store.
  w.crashMachine(learner);
  w.restart(learner);
  const afterPowerLoss = learner.storage;
  const again = await step(w, async () => {
    const files = await afterPowerLoss.openReplica(G);
    const state = await stateOf(files);
    await closeAll(files);
    return state;
  });
  assert.equal(again.applied, decree);
  assert.equal(again.learned, true);
  await step(w, () => closeAll(learneeFiles));
});

test('sim storage: staging is bounded and refuses bad names; install checks the image and its decree', async () => {
  const { world: w, learnee, learner } = world(103);
  const { files: learneeFiles, decree } = await fillLearnee(w, learnee);
  await fillLearner(w, learner);
  const storage = learner.storage;
  await step(w, async () => {
    for (const name of ['../x', '/x', 'a/b', '']) await assert.rejects(storage.stageLearnedFile(G, name, 0, b('x')), isCode('ERR_INVALID_PARAMETERS'), name);
    await assert.rejects(storage.stageLearnedFile(G, 'image', 2 * 1024 * 1024 * 1024, b('x')), isCode('ERR_INVALID_PARAMETERS'));
    await assert.rejects(storage.stageLearnedFile({ appId: 9, partitionIndex: 9 }, 'image', 0, b('x')), isCode('ERR_OBJECT_NOT_FOUND'));
    await assert.rejects(storage.installLearnedCheckpoint(G, decree), isCode('ERR_OBJECT_NOT_FOUND'), 'nothing staged');
    await storage.stageLearnedFile(G, 'image', 0, b('not an image at all'));
    await assert.rejects(storage.installLearnedCheckpoint(G, decree), isCode('ERR_LOCAL_APP_FAILURE'));
  });
  await copyTo(w, learnee, learner, decree);
  await step(w, async () => {
    await assert.rejects(storage.installLearnedCheckpoint(G, decree - 1), isCode('ERR_LOCAL_APP_FAILURE'), 'another decree');
    // A flipped byte anywhere in the image fails its checksum.
    await storage.stageLearnedFile(G, 'image', 40, b('\xff'));
    await assert.rejects(storage.installLearnedCheckpoint(G, decree), isCode('ERR_LOCAL_APP_FAILURE'));
    const files = await storage.openReplica(G);
    assert.equal(files.db.lastAppliedDecree(), OLD_DECREES, 'the old data stays');
    await closeAll(files);
    await closeAll(learneeFiles);
  });
});
