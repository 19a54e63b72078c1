/** Torn tails, corruption and garbage on disk, against any log implementation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCK_HEADER_BYTES, encodeBlock } from '../../src/log/log-block.ts';
import type { Mutation } from '../../src/log/mutation.ts';
import { appendEach, onDisk } from './log-contract.ts';
import type { LogHarness, TestDisk } from './log-harness.ts';
import { decreesOf, range, rejectsWith, replayAll, seededRandom } from './log-test-util.ts';

interface Written {
  mutations: Mutation[];
  /** name and global start offset of each file, oldest first */
  files: Array<{ name: string; startOffset: number }>;
}

/** Decrees 1..count, one block each, in files of `fileSizeBytesMax`; the log is closed afterwards. */
async function writeLog(disk: TestDisk, count: number, fileSizeBytesMax = 1 << 20): Promise<Written> {
  const { log } = await disk.open({ fileSizeBytesMax });
  const mutations = await appendEach(log, 1, count, seededRandom(41), { dataBytes: 120, updates: 1 });
  const files = log.files().map((f) => ({ name: f.name, startOffset: f.startOffset }));
  await log.close();
  return { mutations, files };
}

/** Where the block holding mutation `m` starts in its file (each mutation is alone in its block here). */
function blockOf(written: Written, m: Mutation): { name: string; localOffset: number } {
  const file = [...written.files].reverse().find((f) => f.startOffset <= m.header.logOffset)!;
  return { name: file.name, localOffset: m.header.logOffset - BLOCK_HEADER_BYTES - file.startOffset };
}

async function snapshot(disk: TestDisk): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await disk.names()) out.set(name, await disk.bytes(name));
  return out;
}

/** Opens and replays everything: corruption may surface at either step, depending on which file has it. */
async function openAndReplay(disk: TestDisk): Promise<Mutation[]> {
  const { log } = await disk.open();
  try {
    return await replayAll(log);
  } finally {
    await log.close();
  }
}

async function flipByte(disk: TestDisk, name: string, localOffset: number): Promise<void> {
  const bytes = await disk.bytes(name);
  bytes[localOffset] = bytes[localOffset]! ^ 0x10;
  await disk.setBytes(name, bytes);
}

export function badInputContract(harness: LogHarness): void {
  test('a tail cut at every byte of the last block replays up to the previous mutation', onDisk(harness, async (disk) => {
    const written = await writeLog(disk, 12, 1024);
    const last = written.mutations[11]!;
    const { name, localOffset } = blockOf(written, last);
    assert.equal(name, written.files.at(-1)!.name);
    const whole = await disk.bytes(name);
    for (let cut = localOffset; cut < whole.length; cut++) {
      await disk.setBytes(name, whole.subarray(0, cut));
      const { log } = await disk.open();
      const replayed: Mutation[] = [];
      const result = await log.replay(0, (m) => replayed.push(m));
      assert.deepEqual(replayed, written.mutations.slice(0, 11), `cut at ${cut}`);
      assert.equal(result.tornTailBytes, cut - localOffset);
      assert.equal((await disk.bytes(name)).length, localOffset, 'the torn tail is cut off the file');
      await log.close();
    }
    // Appends after a torn tail do not follow the garbage.
    const { log } = await disk.open();
    const again = await appendEach(log, 12, 13, seededRandom(42));
    await log.close();
    assert.deepEqual(await openAndReplay(disk), [...written.mutations.slice(0, 11), ...again]);
  }));

  test('a bit flip in a middle block of the last file is ERR_CORRUPTION naming file and offset; nothing deleted',
    onDisk(harness, async (disk) => {
      const written = await writeLog(disk, 12);
      const { name, localOffset } = blockOf(written, written.mutations[4]!);
      await flipByte(disk, name, localOffset + BLOCK_HEADER_BYTES + 30);
      const before = await snapshot(disk);
      const message = await rejectsWith(openAndReplay(disk), 'ERR_CORRUPTION');
      assert.match(message, new RegExp(`${name.replaceAll('.', '\\.')} at local offset ${localOffset}\\b`));
      assert.deepEqual(await snapshot(disk), before);
    }));

  test('a bit flip in a file that is not the last is ERR_CORRUPTION at replay; nothing deleted',
    onDisk(harness, async (disk) => {
      const written = await writeLog(disk, 40, 2048);
      assert.ok(written.files.length >= 3);
      const { name, localOffset } = blockOf(written, written.mutations[2]!);
      assert.equal(name, written.files[0]!.name);
      await flipByte(disk, name, localOffset + BLOCK_HEADER_BYTES + 60);
      const before = await snapshot(disk);
      const message = await rejectsWith(openAndReplay(disk), 'ERR_CORRUPTION');
      assert.ok(message.includes(name) && message.includes(`local offset ${localOffset}`), message);
      assert.deepEqual(await snapshot(disk), before);
    }));

  test('a bit flip in the header of a file that is not the last is ERR_CORRUPTION', onDisk(harness, async (disk) => {
    const written = await writeLog(disk, 40, 2048);
    await flipByte(disk, written.files[1]!.name, 20);
    const before = await snapshot(disk);
    const message = await rejectsWith(openAndReplay(disk), 'ERR_CORRUPTION');
    assert.ok(message.includes(written.files[1]!.name), message);
    assert.deepEqual(await snapshot(disk), before);
  }));

  test('a bit flip in the last block of the last file is a torn tail', onDisk(harness, async (disk) => {
    const written = await writeLog(disk, 12);
    const { name, localOffset } = blockOf(written, written.mutations[11]!);
    const sizeBytes = (await disk.bytes(name)).length;
    await flipByte(disk, name, sizeBytes - 3);
    const { log } = await disk.open();
    const replayed: Mutation[] = [];
    const result = await log.replay(0, (m) => replayed.push(m));
    assert.deepEqual(replayed, written.mutations.slice(0, 11));
    assert.equal(result.tornTailBytes, sizeBytes - localOffset);
    await log.close();
  }));

  test('garbage mutation bytes inside a block with a valid crc are ERR_INVALID_DATA naming the file',
    onDisk(harness, async (disk) => {
      const written = await writeLog(disk, 12);
      const { name, localOffset } = blockOf(written, written.mutations[5]!);
      const bytes = await disk.bytes(name);
      const bodyBytes = bytes.readUInt32LE(localOffset + 4);
      const garbage = Buffer.alloc(bodyBytes, 0xff);
      encodeBlock(garbage, localOffset).copy(bytes, localOffset);
      await disk.setBytes(name, bytes);
      const message = await rejectsWith(openAndReplay(disk), 'ERR_INVALID_DATA');
      assert.ok(message.includes(name) && message.includes(`global offset ${written.mutations[5]!.header.logOffset}`),
        message);
    }));

  test('a trailing file with a torn or empty header is removed as torn tail', onDisk(harness, async (disk) => {
    const written = await writeLog(disk, 5);
    const { log: probe } = await disk.open();
    const endOffset = probe.endOffset();
    await probe.close();
    const header = (await disk.bytes(written.files[0]!.name)).subarray(0, 10);
    await disk.setBytes(`log.2.${endOffset}`, header);
    await disk.setBytes(`log.3.${endOffset + 10}`, Buffer.alloc(0));
    const { log } = await disk.open();
    const replayed: Mutation[] = [];
    const result = await log.replay(0, (m) => replayed.push(m));
    assert.deepEqual(replayed, written.mutations);
    assert.equal(result.tornTailBytes, 10);
    assert.deepEqual(await disk.names(), [written.files[0]!.name]);
    const more = await appendEach(log, 6, 6, seededRandom(43));
    assert.equal(log.files().at(-1)!.name, `log.2.${endOffset}`);
    await log.close();
    assert.deepEqual(await openAndReplay(disk), [...written.mutations, ...more]);
  }));

  test('names that are not log files are ignored and left alone', onDisk(harness, async (disk) => {
    const written = await writeLog(disk, 5);
    const strays = ['LOG.1.0', 'foo.txt', 'log.01.0', 'log.1.0.removed', 'log.x.y'];
    for (const name of strays) await disk.setBytes(name, Buffer.from('not a log'));
    const { log } = await disk.open();
    assert.deepEqual(log.ignoredFiles(), [...strays].sort());
    assert.deepEqual(await replayAll(log), written.mutations);
    await log.close();
    for (const name of strays) assert.ok((await disk.names()).includes(name));
  }));

  test('a missing file in the middle is ERR_INCOMPLETE_DATA; nothing deleted', onDisk(harness, async (disk) => {
    const written = await writeLog(disk, 40, 2048);
    await disk.removeFile(written.files[1]!.name);
    const before = await snapshot(disk);
    await rejectsWith(openAndReplay(disk), 'ERR_INCOMPLETE_DATA');
    assert.deepEqual(await snapshot(disk), before);
  }));

  test('a file shorter than the next file\'s start offset says is ERR_INCOMPLETE_DATA', onDisk(harness, async (disk) => {
    const written = await writeLog(disk, 40, 2048);
    const name = written.files[0]!.name;
    const bytes = await disk.bytes(name);
    await disk.setBytes(name, bytes.subarray(0, bytes.length - 50));
    await rejectsWith(openAndReplay(disk), 'ERR_INCOMPLETE_DATA');
  }));

  test('a log written for another gpid is refused with ERR_INVALID_DATA', onDisk(harness, async (disk) => {
    const { log } = await disk.open({ gpid: { appId: 9, partitionIndex: 9 } });
    await log.append({
      header: { gpid: { appId: 9, partitionIndex: 9 }, ballot: 1, decree: 1, logOffset: 0, lastCommittedDecree: 0,
        timestampUs: 1 },
      updates: [],
    });
    await log.close();
    await rejectsWith(disk.open(), 'ERR_INVALID_DATA');
  }));

  test('replay of an empty directory delivers nothing', onDisk(harness, async (disk) => {
    const { log } = await disk.open();
    const result = await log.replay(0, () => assert.fail('nothing to replay'));
    assert.deepEqual(result, {
      count: 0, skippedCount: 0, endOffset: 0, maxDecree: 0, lastCommittedDecree: 0, tornTailBytes: 0,
    });
    assert.deepEqual(decreesOf(await replayAll(log)), range(1, 0));
    await log.close();
  }));
}
