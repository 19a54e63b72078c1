/**
 * The running replica server against 3000 bad inputs (seeded PRNG) over a few hundred raw connections,
 * while a well-behaved TcpRpcChannel client keeps writing and reading on its own connection:
 *
 * - answerable inputs, on connections that stay open: unknown RPC names (ERR_HANDLER_NOT_FOUND under
 *   `<name>_ACK`), requests for a gpid this node does not serve (ERR_OBJECT_NOT_FOUND), known RPCs on a
 *   served gpid with garbage args (some well-formed error, or an ERR_OK that decodes), writes over
 *   max_allowed_write_size (ERR_INVALID_DATA, protocol.md §10), oneway requests (no answer at all), each
 *   under a v0 or v1 header; every answer is well formed (protocol.md §1.4) and echoes its seqid;
 * - fatal inputs, after 0-3 answerable ones: random bytes, bad magic, bad version, a bad v0 header_length,
 *   an oversized v1 meta_length, a body_length over the 16 MiB limit, an unreadable message begin, a name
 *   over 256 bytes, a truncated frame followed by the client's FIN: the server must close the connection
 *   (upstream drops the session) and anything it sent before must still be well-formed responses.
 *
 * At the end the server still answers, and every write the good client saw acknowledged reads back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus, isErrorCode } from '../../src/base/error-code.ts';
import { generateKey, keyHash, keyPartitionIndex } from '../../src/base/key-schema.ts';
import { RRDB_RPCS, type RrdbRpc } from '../../src/idl/codec/rrdb-rpcs.ts';
import { MessageType } from '../../src/idl/thrift/ttype.ts';
import { encodeRequestBody } from '../../src/rpc/frame/request-body.ts';
import { encodeRequestHeaderV0, encodeRequestHeaderV1 } from '../../src/rpc/frame/request-header.ts';
import { parseResponse } from '../../src/rpc/frame/response.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/index.ts';
import type { RpcCall } from '../../src/rpc/transport.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { RawConnection, checkResponse, startCluster, type TestCluster } from './harness.ts';

const SEED = 0x77_1e_5e_ed;
const INPUTS = 3000;
const WORKERS = 8;
const PARTITIONS = 8;
const OVERSIZED_WRITES = 4;

let cluster: TestCluster;
let appId = 0;

before(async () => {
  cluster = await startCluster();
  appId = await cluster.createTable('temp', PARTITIONS);
  await cluster.waitServing('temp');
});

after(async () => {
  await cluster?.close();
});

type Random = () => number;
const int = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;
const randomBytes = (random: Random, n: number) => Buffer.from(Array.from({ length: n }, () => int(random, 256)));
const printable = (random: Random, n: number) => Array.from({ length: n }, () => String.fromCharCode(0x21 + int(random, 94))).join('');

const TWO_WAY = Object.values(RRDB_RPCS).filter((rpc): rpc is Exclude<RrdbRpc, { kind: 'oneway' }> => rpc.kind !== 'oneway');

interface Gpid {
  appId: number;
  partitionIndex: number;
}

function frame(random: Random, name: string, type: 1 | 4, seqid: number, args: Buffer, gpid: Gpid): Buffer {
  const body = encodeRequestBody(name, type, seqid, args);
  const fields = { appId: gpid.appId, partitionIndex: gpid.partitionIndex, clientTimeoutMs: int(random, 2) * 5000, partitionHash: BigInt(int(random, 1 << 30)), bodyLength: body.length };
  const header = random() < 0.7 ? encodeRequestHeaderV0(fields) : encodeRequestHeaderV1({ ...fields, isBackupRequest: random() < 0.3 });
  return Buffer.concat([header, body]);
}

/** A gpid this node does not serve: another app id, or a partition index out of temp's range. */
function foreignGpid(random: Random): Gpid {
  if (random() < 0.5) return { appId, partitionIndex: pick(random, [PARTITIONS, PARTITIONS + 1, 1000, -1, 0x7fffffff, -0x80000000]) };
  return { appId: pick(random, [0, appId + 1, appId + 50, 65536, -1, 0x7fffffff]), partitionIndex: int(random, PARTITIONS) };
}

/** Args a known RPC can be given: garbage, or (sometimes) a valid GET key. */
function someArgs(random: Random): Buffer {
  if (random() < 0.3) return RRDB_RPCS.RPC_RRDB_RRDB_GET.encodeArgs(generateKey(Buffer.from(`fz${int(random, 100)}`), Buffer.from('s')));
  return randomBytes(random, int(random, 64));
}

type Expectation =
  | { kind: 'error'; name: string; errorName: string }
  | { kind: 'any'; name: string; rpc?: Exclude<RrdbRpc, { kind: 'oneway' }> }
  | { kind: 'none'; name: string };

interface Answerable {
  bytes: Buffer;
  seqid: number;
  expect: Expectation;
  category: string;
}

function answerable(random: Random, seqid: number, oversizedLeft: () => boolean): Answerable {
  const roll = random();
  if (roll < 0.3) {
    const name = random() < 0.5 ? `RPC_FUZZ_${printable(random, int(random, 40))}` : `z${printable(random, int(random, 60))}`;
    const gpid = random() < 0.5 ? { appId, partitionIndex: int(random, PARTITIONS) } : foreignGpid(random);
    return { bytes: frame(random, name, 1, seqid, randomBytes(random, int(random, 40)), gpid), seqid, category: 'unknown name', expect: { kind: 'error', name, errorName: 'ERR_HANDLER_NOT_FOUND' } };
  }
  if (roll < 0.6) {
    const rpc = pick(random, TWO_WAY);
    return { bytes: frame(random, rpc.code, 1, seqid, someArgs(random), foreignGpid(random)), seqid, category: 'foreign gpid', expect: { kind: 'error', name: rpc.code, errorName: 'ERR_OBJECT_NOT_FOUND' } };
  }
  if (roll < 0.95) {
    const rpc = pick(random, TWO_WAY);
    return { bytes: frame(random, rpc.code, 1, seqid, randomBytes(random, int(random, 80)), { appId, partitionIndex: int(random, PARTITIONS) }), seqid, category: 'garbage args', expect: { kind: 'any', name: rpc.code, rpc } };
  }
  if (roll < 0.97 && oversizedLeft()) {
    const put = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
    const key = generateKey(Buffer.from('oversized'), Buffer.from(String(seqid)));
    const args = put.encodeArgs({ key, value: Buffer.alloc(1024 * 1024 + 1024, 0x61), expireTsSeconds: 0 });
    return { bytes: frame(random, put.code, 1, seqid, args, { appId, partitionIndex: keyPartitionIndex(key, PARTITIONS) }), seqid, category: 'oversized write', expect: { kind: 'error', name: put.code, errorName: 'ERR_INVALID_DATA' } };
  }
  // Oneway: a clear_scanner of a random context id gets no answer at all (protocol.md §1.4).
  const clear = RRDB_RPCS.RPC_RRDB_RRDB_CLEAR_SCANNER;
  return { bytes: frame(random, clear.code, 4, seqid, clear.encodeArgs(int(random, 1 << 30)), { appId, partitionIndex: int(random, PARTITIONS) }), seqid, category: 'oneway', expect: { kind: 'none', name: clear.code } };
}

/** Bytes after which the server must close the connection. `halfClose`: the client then sends its FIN. */
function fatal(random: Random, seqid: number): { bytes: Buffer; halfClose: boolean; category: string } {
  const header = (body: Buffer, name = 'RPC_RRDB_RRDB_GET') => frame(random, name, 1, seqid, body, { appId, partitionIndex: 0 });
  const v0 = (patch: (b: Buffer) => void): Buffer => {
    const b = encodeRequestHeaderV0({ appId, partitionIndex: 0, clientTimeoutMs: 0, partitionHash: 0n, bodyLength: 10 });
    patch(b);
    return b;
  };
  switch (int(random, 9)) {
    case 0: {
      // Not "THFT" nor an HTTP method start: the very first byte already rules it out.
      const bytes = randomBytes(random, 1 + int(random, 200));
      if ('THGPDO'.includes(String.fromCharCode(bytes[0]!))) bytes[0] = 0x00;
      return { bytes, halfClose: false, category: 'random bytes' };
    }
    case 1:
      return { bytes: v0((b) => b.writeUInt32BE(0x54484655, 0)), halfClose: false, category: 'bad magic' };
    case 2:
      return { bytes: v0((b) => b.writeUInt32BE(2 + int(random, 1000), 4)), halfClose: false, category: 'bad version' };
    case 3:
      return { bytes: v0((b) => b.writeUInt32BE(pick(random, [0, 16, 47, 49, 0xffffffff]), 8)), halfClose: false, category: 'bad v0 header_length' };
    case 4: {
      const b = Buffer.alloc(16);
      b.writeUInt32BE(0x54484654, 0);
      b.writeUInt32BE(1, 4);
      b.writeUInt32BE(1025 + int(random, 1 << 20), 8);
      return { bytes: b, halfClose: false, category: 'oversized v1 meta_length' };
    }
    case 5:
      return { bytes: v0((b) => b.writeUInt32BE(16 * 1024 * 1024 + 1 + int(random, 1 << 24), 16)), halfClose: false, category: 'body over the limit' };
    case 6: {
      // A valid header whose body's message begin cannot be read (no seqid to answer under).
      const bodies = [
        Buffer.from([0x80, 0x01, 0x00, 0x02, 0, 0, 0, 1, 0x41, 0, 0, 0, 1]), // a REPLY, not a CALL
        Buffer.from([0x80, 0x01, 0x00, 0x03, 0, 0, 0, 1, 0x41, 0, 0, 0, 1]), // an EXCEPTION
        Buffer.from([0x80, 0x01, 0x00]), // cut short
        Buffer.from([0x80, 0x01, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff, 0x41]), // name length 2^31-1
        Buffer.from([0x90, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x41, 0, 0, 0, 1]), // bad strict version
      ];
      const body = pick(random, bodies);
      const h = encodeRequestHeaderV0({ appId, partitionIndex: 0, clientTimeoutMs: 0, partitionHash: 0n, bodyLength: body.length });
      return { bytes: Buffer.concat([h, body]), halfClose: false, category: 'unreadable message begin' };
    }
    case 7:
      return { bytes: header(randomBytes(random, 8), `RPC_${'N'.repeat(257 + int(random, 2000))}`), halfClose: false, category: 'name over 256 bytes' };
    default: {
      const whole = header(RRDB_RPCS.RPC_RRDB_RRDB_GET.encodeArgs(generateKey(Buffer.from('t'), Buffer.from('t'))));
      return { bytes: whole.subarray(0, 1 + int(random, whole.length - 1)), halfClose: true, category: 'truncated frame' };
    }
  }
}

/** Checks an answer against what its request expects; returns the error name. */
function checkAnswer(bytes: Buffer, sent: Map<number, Answerable>, label: string): string {
  const parsed = parseResponse(bytes);
  const request = sent.get(parsed.seqid);
  assert.ok(request !== undefined, `${label}: an answer for seqid ${parsed.seqid}, which was not asked (or was oneway)`);
  sent.delete(parsed.seqid);
  const { expect } = request;
  assert.notEqual(expect.kind, 'none', `${label}: a oneway ${expect.name} was answered`);
  const response = checkResponse(bytes, expect.name, request.seqid, `${label} ${request.category}`);
  if (expect.kind === 'error') assert.equal(response.errorName, expect.errorName, `${label} ${request.category}: ${expect.name}`);
  if (expect.kind === 'any' && response.errorName === 'ERR_OK' && expect.rpc !== undefined) {
    // An ERR_OK answer must decode with the RPC's response decoder.
    const decoded = expect.rpc.decodeResponse(bytes, response.resultOffset!) as { appId: number };
    assert.equal(decoded.appId, appId, `${label}: ${expect.name} answered for app ${decoded.appId}`);
  }
  return response.errorName;
}

interface Stats {
  inputs: number;
  connections: number;
  byCategory: Map<string, number>;
  byError: Map<string, number>;
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

async function answerableConnection(random: Random, count: number, stats: Stats, oversizedLeft: () => boolean, label: string): Promise<void> {
  const connection = await RawConnection.open(cluster.replica.address);
  try {
    let seqid = int(random, 2) === 0 ? int(random, 1000) : -0x80000000 + int(random, 1000);
    const sent = new Map<number, Answerable>();
    const requests: Answerable[] = [];
    for (let i = 0; i < count; i++) {
      const request = answerable(random, seqid++, oversizedLeft);
      requests.push(request);
      if (request.expect.kind !== 'none') sent.set(request.seqid, request);
      bump(stats.byCategory, request.category);
    }
    stats.inputs += count;
    const all = Buffer.concat(requests.map((r) => r.bytes));
    // Random chunking exercises reassembly across reads.
    for (let at = 0; at < all.length; ) {
      const size = 1 + int(random, 700);
      connection.write(all.subarray(at, at + size));
      at += size;
    }
    const expected = sent.size;
    for (let i = 0; i < expected; i++) bump(stats.byError, checkAnswer(await connection.next(10_000), sent, label));
    assert.equal(sent.size, 0);
    // A last request after everything: its answer proves no stray answer (e.g. to a oneway) is still coming.
    const probe = answerable(random, seqid++, () => false);
    if (probe.expect.kind !== 'none') {
      sent.set(probe.seqid, probe);
      connection.write(probe.bytes);
      checkAnswer(await connection.next(10_000), sent, `${label} probe`);
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(connection.drain(), [], `${label}: nothing beyond one answer per two-way request`);
    assert.equal(connection.closed, false, `${label}: the server keeps a connection of answerable requests open`);
  } finally {
    connection.destroy();
  }
}

async function fatalConnection(random: Random, prefix: number, stats: Stats, label: string): Promise<void> {
  const connection = await RawConnection.open(cluster.replica.address);
  try {
    let seqid = int(random, 1 << 20);
    const sent = new Map<number, Answerable>();
    const parts: Buffer[] = [];
    for (let i = 0; i < prefix; i++) {
      const request = answerable(random, seqid++, () => false);
      parts.push(request.bytes);
      if (request.expect.kind !== 'none') sent.set(request.seqid, request);
      bump(stats.byCategory, request.category);
    }
    const bad = fatal(random, seqid++);
    bump(stats.byCategory, bad.category);
    stats.inputs += prefix + 1;
    connection.write(Buffer.concat([...parts, bad.bytes]));
    if (bad.halfClose) connection.socket.end();
    const closed = await connection.waitClosed(5000);
    assert.ok(closed, `${label}: the server did not close the connection after ${bad.category}`);
    // Whatever came before the close is well-formed answers to what was asked (the rest may be dropped).
    for (const bytes of connection.drain()) bump(stats.byError, checkAnswer(bytes, sent, `${label} before close`));
    assert.equal(connection.leftover.length, 0, `${label}: a partial frame before the close`);
  } finally {
    connection.destroy();
  }
}

/** The well-behaved client: PUT then GET on its own TcpRpcChannel until told to stop. */
async function goodClient(channel: TcpRpcChannel, stop: () => boolean, acked: Map<string, string>): Promise<{ ops: number; duringFuzz: number }> {
  const put = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
  const get = RRDB_RPCS.RPC_RRDB_RRDB_GET;
  const call = (rpcName: string, key: Buffer, args: Buffer): RpcCall => ({
    name: rpcName,
    gpid: { appId, partitionIndex: keyPartitionIndex(key, PARTITIONS) },
    partitionHash: keyHash(key),
    args,
    timeoutMs: 10_000,
  });
  let ops = 0;
  let duringFuzz = 0;
  for (let i = 0; !stop() || i < 20; i++) {
    const key = generateKey(Buffer.from(`good-${i}`), Buffer.from(`sort-${i % 7}`));
    const value = `value-${i}-${'x'.repeat(i % 50)}`;
    const w = await channel.call(cluster.replica.address, call(put.code, key, put.encodeArgs({ key, value: Buffer.from(value), expireTsSeconds: 0 })));
    assert.equal(w.errorName, 'ERR_OK', `good put ${i}`);
    assert.equal(put.decodeResponse(w.result!, 0).error, StorageStatus.kOk);
    acked.set(key.toString('hex'), value);
    const r = await channel.call(cluster.replica.address, call(get.code, key, get.encodeArgs(key)));
    assert.equal(r.errorName, 'ERR_OK', `good get ${i}`);
    const read = get.decodeResponse(r.result!, 0);
    assert.equal(read.error, StorageStatus.kOk);
    assert.equal(read.value.toString(), value);
    ops += 2;
    if (!stop()) duringFuzz += 2;
  }
  return { ops, duringFuzz };
}

test(`${INPUTS} bad inputs over many connections while a good client keeps writing and reading (seed ${SEED.toString(16)})`, async (t) => {
  const random = seededRandom(SEED);
  const stats: Stats = { inputs: 0, connections: 0, byCategory: new Map(), byError: new Map() };
  let oversized = OVERSIZED_WRITES;
  const oversizedLeft = () => oversized-- > 0;
  const good = new TcpRpcChannel();
  const acked = new Map<string, string>();
  let fuzzDone = false;
  const goodRun = goodClient(good, () => fuzzDone, acked);
  goodRun.catch(() => undefined); // awaited below; keep an early failure from being an unhandled rejection
  try {
    // Plan the connections up front so that the workers' interleaving does not change the inputs.
    const plans: Array<{ fatal: boolean; count: number; seed: number }> = [];
    for (let planned = 0; planned < INPUTS; ) {
      const isFatal = random() < 0.4;
      const count = Math.min(INPUTS - planned, isFatal ? 1 + int(random, 4) : 5 + int(random, 21));
      plans.push({ fatal: isFatal && count >= 1, count, seed: int(random, 0x7fffffff) });
      planned += count;
    }
    let next = 0;
    const worker = async () => {
      while (next < plans.length) {
        const index = next++;
        const plan = plans[index]!;
        const connectionRandom = seededRandom(plan.seed);
        const label = `connection #${index} (seed ${plan.seed})`;
        if (plan.fatal) await fatalConnection(connectionRandom, plan.count - 1, stats, label);
        else await answerableConnection(connectionRandom, plan.count, stats, oversizedLeft, label);
        stats.connections++;
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
  } finally {
    fuzzDone = true;
  }
  const { ops, duringFuzz } = await goodRun;
  await good.close();

  t.diagnostic(`connections ${stats.connections}, good-client ops ${ops} (${duringFuzz} during the bad inputs), inputs ${JSON.stringify(Object.fromEntries(stats.byCategory))}, answers ${JSON.stringify(Object.fromEntries(stats.byError))}`);
  assert.equal(stats.inputs, INPUTS);
  assert.ok(stats.connections >= 200, `only ${stats.connections} connections`);
  for (const category of ['unknown name', 'foreign gpid', 'garbage args', 'oversized write', 'oneway', 'random bytes', 'bad magic', 'bad version', 'bad v0 header_length', 'oversized v1 meta_length', 'body over the limit', 'unreadable message begin', 'name over 256 bytes', 'truncated frame']) {
    assert.ok((stats.byCategory.get(category) ?? 0) > 0, `no ${category} input was generated`);
  }
  assert.equal(stats.byCategory.get('oversized write'), OVERSIZED_WRITES);
  for (const name of stats.byError.keys()) assert.ok(isErrorCode(name));
  assert.ok((stats.byError.get('ERR_HANDLER_NOT_FOUND') ?? 0) > 100);
  assert.ok((stats.byError.get('ERR_OBJECT_NOT_FOUND') ?? 0) > 100);
  assert.ok(ops >= 40, `the good client only did ${ops} operations`);
  assert.ok(duringFuzz >= 10, `the good client only did ${duringFuzz} operations while the bad inputs ran`);

  // The server still answers, on a fresh raw connection and through a fresh channel.
  const probe = await RawConnection.open(cluster.replica.address);
  try {
    const get = RRDB_RPCS.RPC_RRDB_RRDB_GET;
    const key = generateKey(Buffer.from('good-0'), Buffer.from('sort-0'));
    const body = encodeRequestBody(get.code, MessageType.CALL, 4242, get.encodeArgs(key));
    probe.write(Buffer.concat([encodeRequestHeaderV0({ appId, partitionIndex: keyPartitionIndex(key, PARTITIONS), clientTimeoutMs: 0, partitionHash: keyHash(key), bodyLength: body.length }), body]));
    const answer = await probe.next();
    const parsed = checkResponse(answer, get.code, 4242, 'final probe');
    assert.equal(get.decodeResponse(answer, parsed.resultOffset!).value.toString(), acked.get(key.toString('hex')));
  } finally {
    probe.destroy();
  }
  const reader = new TcpRpcChannel();
  try {
    const get = RRDB_RPCS.RPC_RRDB_RRDB_GET;
    for (const [hex, value] of acked) {
      const key = Buffer.from(hex, 'hex');
      const r = await reader.call(cluster.replica.address, { name: get.code, gpid: { appId, partitionIndex: keyPartitionIndex(key, PARTITIONS) }, partitionHash: keyHash(key), args: get.encodeArgs(key), timeoutMs: 10_000 });
      assert.equal(r.errorName, 'ERR_OK');
      const read = get.decodeResponse(r.result!, 0);
      assert.equal(read.error, StorageStatus.kOk, `acknowledged write ${hex}`);
      assert.equal(read.value.toString(), value, `acknowledged write ${hex}`);
    }
  } finally {
    await reader.close();
  }
  const cfg = await cluster.queryConfig('temp');
  assert.equal(cfg.err, 'ERR_OK');
  assert.equal(cfg.partitions.length, PARTITIONS);
});
