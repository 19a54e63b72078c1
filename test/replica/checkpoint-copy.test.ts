/**
 * LT_APP's copy of a checkpoint (src/replica/checkpoint-copy.ts, src/replica/stub/nfs-service.ts and the
 * ReplicaStorage learning methods), on the tests' in-memory storage and on the real file system with real
 * RocksStores: data written through a PartitionDb on the learnee, sync-checkpointed, copied chunk by chunk
 * over an in-memory channel into another node's storage, installed, opened and read back; bad names and
 * paths refused at every entry; failed chunks retried within bounds; and crashes before and during the
 * install leaving the old replica or the new one, never a mix.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, symlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PegasusError, isPegasusError, type ErrorCode } from '../../src/base/error-code.ts';
import { formatGpid, gpidEquals, type Gpid } from '../../src/base/gpid.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import { NFS_RPCS } from '../../src/idl/codec/nfs-rpcs.ts';
import { errorCodeFromI32, type CopyRequest } from '../../src/idl/nfs.ts';
import type { Mutation } from '../../src/log/mutation.ts';
import type { MutationLog } from '../../src/log/mutation-log.ts';
import { COPY_CHUNK_BYTES_DEFAULT, copyCheckpoint, fetchCheckpointManifest, type CopyCheckpointOptions } from '../../src/replica/checkpoint-copy.ts';
import { formatCheckpointSourceDir, parseCheckpointSourceDir, registerNfsService } from '../../src/replica/stub/nfs-service.ts';
import type { OpenedReplicaFiles, ReplicaStorage } from '../../src/replica/stub/stub-env.ts';
import {
  RpcHandlerTable,
  createReply,
  dispatchRpc,
  type RpcAddress,
  type RpcCall,
  type RpcCallResult,
  type RpcChannel,
  type RpcRequest,
} from '../../src/rpc/transport.ts';
import { FsReplicaStorage, type LearnInstallStep } from '../../src/server/replica/replica-fs-storage.ts';
import { CHECKPOINT_READ_BYTES_MAX, LEARN_FILE_BYTES_MAX, type CheckpointFile } from '../../src/storage/checkpoint-files.ts';
import type { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';
import { ManualClock, MemReplicaStorage } from './fake-env.ts';

const LEARNEE: RpcAddress = '10.0.0.1:34801';
const LEARNER: RpcAddress = '10.0.0.2:34801';
const G: Gpid = { appId: 2, partitionIndex: 5 };
const OTHER: Gpid = { appId: 2, partitionIndex: 6 };
/** Small chunks, so even a small checkpoint takes many requests and several in flight. */
const CHUNK_BYTES = 1024;
const TIMEOUT_MS = 1000;
const KEY_COUNT = 300;
const OLD_DECREES = 3;

const b = (text: string): Buffer => Buffer.from(text);
const keyOf = (i: number): Buffer => generateKey(b(`hash${i}`), b('sort'));
const valueOf = (i: number): Buffer => b(`value ${i} `.repeat(8));
const oldKeyOf = (i: number): Buffer => generateKey(b(`old${i}`), b('sort'));
const LATE_KEY = generateKey(b('after the checkpoint'), b(''));
const NEXT_KEY = generateKey(b('next'), b(''));

// ---- the in-memory network ------------------------------------------------------------------------------

type Fault = 'timeout' | ErrorCode | undefined;

/** Delivers calls to the handler table of the address; `fault` may fail a call before it is delivered. */
class LoopbackChannel implements RpcChannel {
  readonly servers = new Map<RpcAddress, RpcHandlerTable>();
  fault: ((call: RpcCall) => Fault) | undefined;
  callCount = 0;

  call(address: RpcAddress, call: RpcCall): Promise<RpcCallResult> {
    this.callCount++;
    const fault = this.fault?.(call);
    if (fault === 'timeout') return Promise.reject(new PegasusError('ERR_TIMEOUT', `${call.name} to ${address}`));
    if (fault !== undefined) return Promise.resolve({ errorName: fault });
    const table = this.servers.get(address);
    if (table === undefined) return Promise.reject(new PegasusError('ERR_NETWORK_FAILURE', `nobody at ${address}`));
    return new Promise((resolve) => {
      const request: RpcRequest = {
        name: call.name,
        seqid: this.callCount,
        header: { gpid: call.gpid, partitionHash: call.partitionHash, clientTimeoutMs: call.timeoutMs, isBackupRequest: false },
        args: call.args,
        oneway: false,
        remote: LEARNER,
      };
      dispatchRpc(table, request, createReply(request, (errorName, result) => resolve({ errorName, ...(result === undefined ? {} : { result }) })));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function serve(channel: LoopbackChannel, storage: ReplicaStorage, hosted: readonly Gpid[] = [G]): RpcHandlerTable {
  const table = new RpcHandlerTable();
  registerNfsService(table, (gpid) => (hosted.some((h) => gpidEquals(h, gpid)) ? storage : undefined));
  channel.servers.set(LEARNEE, table);
  return table;
}

// ---- replicas -------------------------------------------------------------------------------------------

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

async function closeAll(files: OpenedReplicaFiles): Promise<void> {
  await files.log.close();
  await files.db.close();
}

/** The learnee: KEY_COUNT keys, one per decree, checkpointed; then one more write the checkpoint lacks. */
async function fillLearnee(storage: ReplicaStorage): Promise<{ files: OpenedReplicaFiles; decree: number }> {
  const files = await storage.openReplica(G);
  for (let i = 1; i <= KEY_COUNT; i++) await files.db.apply(i, i * 1000, [put(keyOf(i), valueOf(i))]);
  const decree = await files.db.syncCheckpoint();
  assert.equal(decree, KEY_COUNT);
  await files.db.apply(KEY_COUNT + 1, 0, [put(LATE_KEY, b('x'))]);
  return { files, decree };
}

/** The learner before learning: other keys at decrees 1..3, in its store and its plog; closed. */
async function fillLearner(storage: ReplicaStorage): Promise<void> {
  const files = await storage.openReplica(G);
  for (let d = 1; d <= OLD_DECREES; d++) {
    await files.log.append(mutation(d));
    await files.db.apply(d, d, [put(oldKeyOf(d), b('old'))]);
  }
  await closeAll(files);
}

async function readValue(db: PartitionDb, key: Buffer): Promise<Buffer | undefined> {
  const response = await db.get(key);
  return response.error === 0 ? response.value : undefined;
}

/** The replica holds exactly the learned checkpoint (and its plog only what came after). */
async function assertLearned(files: OpenedReplicaFiles, decree: number, plogDecrees: number[] = []): Promise<void> {
  assert.equal(files.db.lastAppliedDecree(), decree);
  for (let i = 1; i <= KEY_COUNT; i++) assert.deepEqual(await readValue(files.db, keyOf(i)), valueOf(i), `key ${i}`);
  for (let d = 1; d <= OLD_DECREES; d++) assert.equal(await readValue(files.db, oldKeyOf(d)), undefined, 'the old data is gone');
  assert.equal(await readValue(files.db, LATE_KEY), undefined);
  assert.deepEqual(await replayedDecrees(files.log), plogDecrees, 'the old plog is gone');
}

/** The replica is the learner's old self, data and plog. */
async function assertOld(files: OpenedReplicaFiles): Promise<void> {
  assert.equal(files.db.lastAppliedDecree(), OLD_DECREES);
  for (let d = 1; d <= OLD_DECREES; d++) assert.deepEqual(await readValue(files.db, oldKeyOf(d)), b('old'));
  assert.equal(await readValue(files.db, keyOf(1)), undefined);
  assert.deepEqual(await replayedDecrees(files.log), [1, 2, 3]);
}

function copyOptions(channel: LoopbackChannel, learner: ReplicaStorage, decree: number, files: CheckpointFile[]): CopyCheckpointOptions {
  return { channel, learnee: LEARNEE, gpid: G, decree, files, storage: learner, chunkBytes: CHUNK_BYTES, concurrency: 3, timeoutMs: TIMEOUT_MS };
}

function isCode(code: ErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isPegasusError(e, code), `expected ${code}, got ${String(e)}`);
    return true;
  };
}

// ---- the two worlds ----------------------------------------------------------------------------------------

interface World {
  readonly name: string;
  readonly learnee: ReplicaStorage;
  readonly learner: ReplicaStorage;
  /** The learner's storage as a restarted process sees it. */
  restartLearner(): ReplicaStorage;
  /** Whether the replica's files can stay open across a simulated crash (not for RocksDB: its lock). */
  readonly crashKeepsFilesOpen: boolean;
}

function memWorld(): World {
  const clock = new ManualClock();
  const learnee = new MemReplicaStorage(clock);
  const learner = new MemReplicaStorage(clock);
  // The fake keeps its directories in the object: the same object is what a restart would find.
  return { name: 'MemReplicaStorage', learnee, learner, restartLearner: () => learner, crashKeepsFilesOpen: true };
}

const tempDirs: string[] = [];
after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `pegasus-learn-${label}-`));
  tempDirs.push(dir);
  return dir;
}

async function fsWorld(hook?: (step: LearnInstallStep) => void): Promise<World & { learnerDataDir: string; learnerStorage(hook?: (step: LearnInstallStep) => void): FsReplicaStorage }> {
  const clock = new ManualClock();
  const learneeDir = await tempDir('learnee');
  const learnerDataDir = await tempDir('learner');
  const make = (dataDir: string, server: string, h?: (step: LearnInstallStep) => void): FsReplicaStorage =>
    new FsReplicaStorage({ dataDir, clock, server, clusterId: 1, ...(h === undefined ? {} : { installStepHook: h }) });
  return {
    name: 'FsReplicaStorage',
    learnee: make(learneeDir, LEARNEE),
    learner: make(learnerDataDir, LEARNER, hook),
    restartLearner: () => make(learnerDataDir, LEARNER),
    crashKeepsFilesOpen: false,
    learnerDataDir,
    learnerStorage: (h) => make(learnerDataDir, LEARNER, h),
  };
}

const WORLDS: Array<() => Promise<World>> = [async () => memWorld(), () => fsWorld()];

for (const makeWorld of WORLDS) {
  describe(`checkpoint copy on ${makeWorld === WORLDS[0] ? 'MemReplicaStorage' : 'FsReplicaStorage'}`, () => {
    test('copy, install, open: every key at the checkpoint decree, the old data and plog gone, the log goes on', async () => {
      const world = await makeWorld();
      const { files: learneeFiles, decree } = await fillLearnee(world.learnee);
      await fillLearner(world.learner);
      const channel = new LoopbackChannel();
      serve(channel, world.learnee);

      const manifest = await fetchCheckpointManifest({ channel, learnee: LEARNEE, gpid: G, decree, timeoutMs: TIMEOUT_MS });
      assert.deepEqual(manifest, await world.learnee.checkpointManifest(G, decree));
      assert.ok(manifest.length > 0);
      const totalBytes = manifest.reduce((sum, f) => sum + f.sizeBytes, 0);
      const copied = await copyCheckpoint(copyOptions(channel, world.learner, decree, manifest));
      assert.equal(copied, totalBytes);
      assert.ok(channel.callCount > totalBytes / CHUNK_BYTES, 'chunk by chunk');

      const installed = await world.learner.installLearnedCheckpoint(G, decree);
      await assertLearned(installed, decree);
      assert.equal(installed.db.lastFlushedDecree(), decree, 'a crash right now reopens at the checkpoint');
      assert.equal(await installed.db.loadCheckpoints(), decree, 'the learned checkpoint is the new data\'s own');
      // Opening the learned store left the checkpoint's files as they came: the learner can serve it in turn.
      assert.deepEqual(await world.learner.checkpointManifest(G, decree), manifest);

      // The replica goes on from decree + 1, in store and plog.
      await installed.log.append(mutation(decree + 1));
      await installed.db.apply(decree + 1, 1, [put(NEXT_KEY, b('n'))]);
      await closeAll(installed);
      const reopened = await world.restartLearner().openReplica(G);
      assert.equal(reopened.db.lastAppliedDecree(), decree + 1);
      assert.deepEqual(await readValue(reopened.db, NEXT_KEY), b('n'));
      assert.deepEqual(await replayedDecrees(reopened.log), [decree + 1]);
      await closeAll(reopened);
      await closeAll(learneeFiles);
    });

    test('a crash right after the install reopens at the checkpoint decree', async () => {
      const world = await makeWorld();
      const { files: learneeFiles, decree } = await fillLearnee(world.learnee);
      await fillLearner(world.learner);
      const channel = new LoopbackChannel();
      serve(channel, world.learnee);
      await copyCheckpoint(copyOptions(channel, world.learner, decree, await world.learnee.checkpointManifest(G, decree)));
      const installed = await world.learner.installLearnedCheckpoint(G, decree);
      // A crash: nothing is flushed or closed (RocksDB keeps its lock while open, so there the files close).
      if (!world.crashKeepsFilesOpen) await closeAll(installed);
      const reopened = await world.restartLearner().openReplica(G);
      await assertLearned(reopened, decree);
      await closeAll(reopened);
      await closeAll(learneeFiles);
    });

    test('a crash between stage and install leaves the old replica, data and plog, openable', async () => {
      const world = await makeWorld();
      const { files: learneeFiles, decree } = await fillLearnee(world.learnee);
      await fillLearner(world.learner);
      const channel = new LoopbackChannel();
      serve(channel, world.learnee);
      await copyCheckpoint(copyOptions(channel, world.learner, decree, await world.learnee.checkpointManifest(G, decree)));
      const reopened = await world.restartLearner().openReplica(G);
      await assertOld(reopened);
      await closeAll(reopened);
      await closeAll(learneeFiles);
    });

    test('install refuses nothing staged and a checkpoint of another decree, and the old data stays', async () => {
      const world = await makeWorld();
      const { files: learneeFiles, decree } = await fillLearnee(world.learnee);
      await fillLearner(world.learner);
      await assert.rejects(world.learner.installLearnedCheckpoint(G, decree), isCode('ERR_OBJECT_NOT_FOUND'));
      const channel = new LoopbackChannel();
      serve(channel, world.learnee);
      await copyCheckpoint(copyOptions(channel, world.learner, decree, await world.learnee.checkpointManifest(G, decree)));
      await assert.rejects(world.learner.installLearnedCheckpoint(G, decree + 1), isCode('ERR_LOCAL_APP_FAILURE'));
      const reopened = await world.restartLearner().openReplica(G);
      await assertOld(reopened);
      await closeAll(reopened);
      await closeAll(learneeFiles);
    });

    test('the learnee refuses names outside the manifest, paths, bad ranges; a missing checkpoint is not found', async () => {
      const world = await makeWorld();
      const { files: learneeFiles, decree } = await fillLearnee(world.learnee);
      const manifest = await world.learnee.checkpointManifest(G, decree);
      const first = manifest[0]!;
      for (const name of ['../data/rdb/CURRENT', '..', '.', '', '/etc/passwd', 'a/b', 'a\\b', 'x\0y', 'not-in-the-checkpoint', 'rdb']) {
        await assert.rejects(world.learnee.readCheckpointFile(G, decree, name, 0, 16), isCode('ERR_INVALID_PARAMETERS'), JSON.stringify(name));
      }
      await assert.rejects(world.learnee.readCheckpointFile(G, decree, first.name, first.sizeBytes + 1, 16), isCode('ERR_INVALID_PARAMETERS'));
      await assert.rejects(world.learnee.readCheckpointFile(G, decree, first.name, -1, 16), isCode('ERR_INVALID_PARAMETERS'));
      await assert.rejects(world.learnee.readCheckpointFile(G, decree, first.name, 0, CHECKPOINT_READ_BYTES_MAX + 1), isCode('ERR_INVALID_PARAMETERS'));
      assert.equal((await world.learnee.readCheckpointFile(G, decree, first.name, first.sizeBytes, 16)).length, 0, 'at the end: empty');
      assert.equal((await world.learnee.readCheckpointFile(G, decree, first.name, 0, first.sizeBytes + 100)).length, first.sizeBytes, 'short at the end');
      await assert.rejects(world.learnee.checkpointManifest(G, decree + 7), isCode('ERR_OBJECT_NOT_FOUND'));
      await assert.rejects(world.learnee.readCheckpointFile(G, decree + 7, first.name, 0, 16), isCode('ERR_OBJECT_NOT_FOUND'));
      await closeAll(learneeFiles);
    });

    test('the learner refuses bad staged names, writes past the bound, and replicas it does not have', async () => {
      const world = await makeWorld();
      await fillLearner(world.learner);
      for (const name of ['../escape', '..', '/tmp/escape', 'a/b', '']) {
        await assert.rejects(world.learner.stageLearnedFile(G, name, 0, b('x')), isCode('ERR_INVALID_PARAMETERS'), JSON.stringify(name));
      }
      await assert.rejects(world.learner.stageLearnedFile(G, 'CURRENT', LEARN_FILE_BYTES_MAX, b('x')), isCode('ERR_INVALID_PARAMETERS'));
      await assert.rejects(world.learner.stageLearnedFile(G, 'CURRENT', -1, b('x')), isCode('ERR_INVALID_PARAMETERS'));
      await assert.rejects(world.learner.stageLearnedFile(OTHER, 'CURRENT', 0, b('x')), isCode('ERR_OBJECT_NOT_FOUND'));
      await world.learner.discardStagedFiles(G);
      await world.learner.discardStagedFiles(OTHER);
    });

    test('the copy service refuses every request outside a hosted replica\'s checkpoint', async () => {
      const world = await makeWorld();
      const { files: learneeFiles, decree } = await fillLearnee(world.learnee);
      const channel = new LoopbackChannel();
      serve(channel, world.learnee);
      const name = (await world.learnee.checkpointManifest(G, decree))[0]!.name;
      const good: CopyRequest = {
        source: { ipv4: 0, port: 0 },
        sourceDir: formatCheckpointSourceDir(G, decree),
        dstDir: '',
        fileName: name,
        offset: 0,
        size: 16,
        isLast: false,
        overwrite: true,
      };
      const copyError = async (request: CopyRequest): Promise<string> => {
        const result = await channel.call(LEARNEE, { name: 'RPC_NFS_COPY', gpid: G, partitionHash: 0n, args: NFS_RPCS.RPC_NFS_COPY.encodeArgs(request), timeoutMs: TIMEOUT_MS });
        assert.equal(result.errorName, 'ERR_OK');
        return NFS_RPCS.RPC_NFS_COPY.decodeResponse(result.result!, 0).error;
      };
      assert.equal(await copyError(good), 'ERR_OK');
      assert.equal(await copyError({ ...good, pid: G }), 'ERR_OK');
      const refused: CopyRequest[] = [
        { ...good, sourceDir: '../../etc' },
        { ...good, sourceDir: `${formatGpid(G)}/checkpoint.${decree}/../../data` },
        { ...good, sourceDir: `/abs/${formatGpid(G)}/checkpoint.${decree}` },
        { ...good, sourceDir: `${formatGpid(G)}/checkpoint.0${decree}` },
        { ...good, sourceDir: `${formatGpid(G)}/rdb` },
        { ...good, sourceDir: formatCheckpointSourceDir(OTHER, decree) },
        { ...good, pid: OTHER },
        { ...good, fileName: '../rdb/CURRENT' },
        { ...good, fileName: '/etc/passwd' },
        { ...good, fileName: 'nope' },
        { ...good, size: 4 * 1024 * 1024 + 1 },
        { ...good, size: -1 },
        { ...good, offset: -5 },
      ];
      for (const request of refused) assert.equal(await copyError(request), 'ERR_INVALID_PARAMETERS', JSON.stringify({ ...request, source: undefined }));
      assert.equal(await copyError({ ...good, sourceDir: formatCheckpointSourceDir(G, decree + 9) }), 'ERR_OBJECT_NOT_FOUND');

      const sizes = async (sourceDir: string, fileList: string[] = []): Promise<ErrorCode> => {
        const args = NFS_RPCS.RPC_NFS_GET_FILE_SIZE.encodeArgs({ source: good.source, dstDir: '', fileList, sourceDir, overwrite: false });
        const result = await channel.call(LEARNEE, { name: 'RPC_NFS_GET_FILE_SIZE', gpid: G, partitionHash: 0n, args, timeoutMs: TIMEOUT_MS });
        return errorCodeFromI32(NFS_RPCS.RPC_NFS_GET_FILE_SIZE.decodeResponse(result.result!, 0).error);
      };
      assert.equal(await sizes(formatCheckpointSourceDir(G, decree), [name]), 'ERR_OK');
      assert.equal(await sizes(formatCheckpointSourceDir(G, decree), ['../x']), 'ERR_INVALID_PARAMETERS');
      assert.equal(await sizes(formatCheckpointSourceDir(G, decree), ['nope']), 'ERR_INVALID_PARAMETERS');
      assert.equal(await sizes('/'), 'ERR_INVALID_PARAMETERS');
      assert.equal(await sizes(formatCheckpointSourceDir(G, decree + 9)), 'ERR_OBJECT_NOT_FOUND');
      await closeAll(learneeFiles);
    });

    test('a chunk that fails twice is retried and the copy succeeds; three failures or a final error reject', async () => {
      const world = await makeWorld();
      const { files: learneeFiles, decree } = await fillLearnee(world.learnee);
      await fillLearner(world.learner);
      const channel = new LoopbackChannel();
      serve(channel, world.learnee);
      const manifest = await world.learnee.checkpointManifest(G, decree);
      const target = manifest.reduce((big, f) => (f.sizeBytes > big.sizeBytes ? f : big));
      const targetOffset = target.sizeBytes > CHUNK_BYTES ? CHUNK_BYTES : 0;
      const failTarget = (failures: Fault[]): { attempts: number } => {
        const seen = { attempts: 0 };
        channel.fault = (call) => {
          if (call.name !== 'RPC_NFS_COPY') return undefined;
          const args = NFS_RPCS.RPC_NFS_COPY.decodeArgs(call.args, 0);
          if (args.fileName !== target.name || args.offset !== targetOffset) return undefined;
          return failures[seen.attempts++];
        };
        return seen;
      };

      const twice = failTarget(['timeout', 'ERR_BUSY']);
      const copied = await copyCheckpoint(copyOptions(channel, world.learner, decree, manifest));
      assert.equal(twice.attempts, 3);
      assert.equal(copied, manifest.reduce((sum, f) => sum + f.sizeBytes, 0), 'retries are not counted twice');
      const installed = await world.learner.installLearnedCheckpoint(G, decree);
      await assertLearned(installed, decree);
      await closeAll(installed);

      const thrice = failTarget(['timeout', 'timeout', 'timeout', 'timeout']);
      await assert.rejects(copyCheckpoint(copyOptions(channel, world.learner, decree, manifest)), isCode('ERR_TIMEOUT'));
      assert.equal(thrice.attempts, 3, 'bounded: one try and two retries');

      const final = failTarget(['ERR_INVALID_PARAMETERS']);
      await assert.rejects(copyCheckpoint(copyOptions(channel, world.learner, decree, manifest)), isCode('ERR_INVALID_PARAMETERS'));
      assert.equal(final.attempts, 1, 'an error that would repeat is not retried');

      channel.fault = undefined;
      const lying = manifest.map((f) => (f.name === target.name ? { ...f, sizeBytes: f.sizeBytes + 1 } : f));
      await assert.rejects(copyCheckpoint(copyOptions(channel, world.learner, decree, lying)), isCode('ERR_INCOMPLETE_DATA'));
      await assert.rejects(copyCheckpoint(copyOptions(channel, world.learner, decree, [...manifest, { name: '../x', sizeBytes: 1 }])), isCode('ERR_INVALID_PARAMETERS'));
      await closeAll(learneeFiles);
    });
  });
}

test('source_dir: exactly `<app>.<pidx>/checkpoint.<decree>`', () => {
  assert.equal(formatCheckpointSourceDir(G, 42), '2.5/checkpoint.42');
  assert.deepEqual(parseCheckpointSourceDir('2.5/checkpoint.42'), { gpid: G, decree: 42 });
  assert.deepEqual(parseCheckpointSourceDir('0.0/checkpoint.0'), { gpid: { appId: 0, partitionIndex: 0 }, decree: 0 });
  for (const bad of ['2.5/checkpoint.42/', '/2.5/checkpoint.42', '2.5/checkpoint.042', '02.5/checkpoint.1', '2.5/../checkpoint.1', '2.5/checkpoint.-1', '2.5\\checkpoint.1', '2.5/checkpoint.1\n', '4294967296.0/checkpoint.1', '2.5/checkpoint.99999999999999999']) {
    assert.equal(parseCheckpointSourceDir(bad), undefined, bad);
  }
});

test('copyCheckpoint checks its bounds before any request', async () => {
  const channel = new LoopbackChannel();
  const storage = new MemReplicaStorage(new ManualClock());
  const base = copyOptions(channel, storage, 1, [{ name: 'image', sizeBytes: 1 }]);
  assert.equal(COPY_CHUNK_BYTES_DEFAULT, 1024 * 1024);
  for (const bad of [{ chunkBytes: 0 }, { chunkBytes: 4 * 1024 * 1024 + 1 }, { concurrency: 0 }, { concurrency: 17 }, { attemptsMax: 0 }, { attemptsMax: 11 }]) {
    await assert.rejects(copyCheckpoint({ ...base, ...bad }), isCode('ERR_INVALID_PARAMETERS'), JSON.stringify(bad));
  }
  await assert.rejects(copyCheckpoint({ ...base, files: [{ name: 'a', sizeBytes: 1 }, { name: 'a', sizeBytes: 1 }] }), isCode('ERR_INVALID_PARAMETERS'));
  await assert.rejects(copyCheckpoint({ ...base, files: [{ name: 'a', sizeBytes: -1 }] }), isCode('ERR_INVALID_PARAMETERS'));
  assert.equal(channel.callCount, 0);
});

// ---- the real file system: crash points of the install, symlinks ----------------------------------------------

describe('FsReplicaStorage install: a crash at any step leaves the old replica or the new one', () => {
  const STEPS: Array<[LearnInstallStep, 'old' | 'new']> = [
    ['staged', 'old'],
    ['prepared', 'old'],
    ['committed', 'new'],
    ['old-data-moved', 'new'],
    ['data-swapped', 'new'],
    ['plog-removed', 'new'],
  ];
  let learnee: { storage: FsReplicaStorage; files: OpenedReplicaFiles; decree: number; manifest: CheckpointFile[] } | undefined;
  after(async () => {
    if (learnee !== undefined) await closeAll(learnee.files);
  });

  for (const [step, outcome] of STEPS) {
    test(`a crash at "${step}" reopens ${outcome === 'old' ? 'the old replica' : 'the learned one'}`, async () => {
      if (learnee === undefined) {
        const world = await fsWorld();
        const { files, decree } = await fillLearnee(world.learnee);
        learnee = { storage: world.learnee as FsReplicaStorage, files, decree, manifest: await world.learnee.checkpointManifest(G, decree) };
      }
      const crash = new Error(`crash at ${step}`);
      const world = await fsWorld((reached) => {
        if (reached === step) throw crash;
      });
      await fillLearner(world.learner);
      const channel = new LoopbackChannel();
      serve(channel, learnee.storage);
      await copyCheckpoint(copyOptions(channel, world.learner, learnee.decree, learnee.manifest));
      await assert.rejects(world.learner.installLearnedCheckpoint(G, learnee.decree), (e: unknown) => e === crash);

      const reopened = await world.restartLearner().openReplica(G);
      if (outcome === 'old') await assertOld(reopened);
      else await assertLearned(reopened, learnee.decree);
      await closeAll(reopened);
      const dir = join(world.learnerDataDir, 'replica', 'reps', `${formatGpid(G)}.pegasus`);
      const left = (await readdir(dir)).sort();
      assert.ok(!left.includes('learn.install') && !left.includes('learn.ready') && !left.includes('data.old'), left.join(' '));
    });
  }

  test('a symlink in a checkpoint is neither listed nor served', async () => {
    const world = await fsWorld();
    const { files, decree } = await fillLearnee(world.learnee);
    const storage = world.learnee as FsReplicaStorage;
    const checkpointDir = join(storage.dirOf(G), 'data', `checkpoint.${decree}`);
    await symlink('/etc/hostname', join(checkpointDir, 'LINK'));
    await assert.rejects(world.learnee.checkpointManifest(G, decree), isCode('ERR_FILE_OPERATION_FAILED'));
    await assert.rejects(world.learnee.readCheckpointFile(G, decree, 'LINK', 0, 16), isCode('ERR_INVALID_PARAMETERS'));
    await closeAll(files);
  });

  test('staging never creates a replica directory or writes outside learn/', async () => {
    const world = await fsWorld();
    await fillLearner(world.learner);
    await world.learner.stageLearnedFile(G, 'CURRENT', 10, b('tail'));
    await world.learner.stageLearnedFile(G, 'CURRENT', 0, b('head'));
    const learnDir = join((world.learner as FsReplicaStorage).dirOf(G), 'learn');
    assert.equal((await stat(join(learnDir, 'CURRENT'))).size, 14, 'out-of-order chunks land at their offsets');
    await assert.rejects(world.learner.stageLearnedFile(OTHER, 'CURRENT', 0, b('x')), isCode('ERR_OBJECT_NOT_FOUND'));
    assert.deepEqual(await world.learner.listReplicas(), [G]);
    await world.learner.discardStagedFiles(G);
    await assert.rejects(stat(learnDir));
  });
});
