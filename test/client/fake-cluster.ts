/**
 * An in-process cluster for the client tests, on real sockets (127.0.0.1, port 0):
 * - meta servers (RpcServer) answering RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX from the tables defined here,
 *   as leader, as a non-leader forwarding to another (ERR_FORWARD_TO_OTHERS), or not yet active;
 * - replica servers (RpcServer) serving the rrdb RPCs from one PartitionDb over a MemStore per partition;
 *   writes are applied one at a time with consecutive decrees. A replica answers ERR_OBJECT_NOT_FOUND (or a
 *   chosen error) for a partition it does not host, and checks that each request's header gpid and
 *   partition_hash match its key (violations are collected for the tests to assert empty).
 * Partitions can move between replica servers, replica servers can restart on the same port, stop answering,
 * or answer one injected error.
 */
import { crc64 } from '../../src/base/crc64.ts';
import type { ErrorCode } from '../../src/base/error-code.ts';
import type { Gpid } from '../../src/base/gpid.ts';
import { keyHash } from '../../src/base/key-schema.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import type { PartitionConfiguration } from '../../src/idl/meta.ts';
import { RPC_ADDRESS_INVALID, parseRpcAddress as parseDsnAddress } from '../../src/idl/thrift/dsn.ts';
import { RpcServer } from '../../src/rpc/tcp/rpc-server.ts';
import type { RpcReply, RpcRequest } from '../../src/rpc/transport.ts';
import { parseRpcAddress } from '../../src/rpc/transport.ts';
import { MemDisk } from '../../src/storage/mem/mem-disk.ts';
import { MemStore } from '../../src/storage/mem/mem-store.ts';
import { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';
import type { WriteRequest, WriteResponse } from '../../src/storage/rrdb/write-service.ts';
import type { CheckAndSetResponse, IncrResponse, MultiRemoveResponse, UpdateResponse } from '../../src/idl/rrdb.ts';

const QUERY_CFG = META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX;
const R = RRDB_RPCS;

/** Wall time with an adjustable offset, shared by the storage and (when a test wants) the client. */
export class ShiftedClock {
  offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}

export interface FakeTableSpec {
  name: string;
  appId: number;
  partitionCount: number;
}

export class FakePartition {
  private decree = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** Index into cluster.replicas of the primary; -1 = none. */
  primary: number;
  ballot = 1;

  constructor(
    readonly gpid: Gpid,
    readonly db: PartitionDb,
    primary: number,
    private readonly clock: ShiftedClock,
  ) {
    this.primary = primary;
  }

  /** Applies one write at the next decree, after every earlier one. */
  write(request: WriteRequest): Promise<WriteResponse> {
    const run = async (): Promise<WriteResponse> => {
      const decree = ++this.decree;
      const [response] = await this.db.apply(decree, this.clock.nowMs() * 1000, [request]);
      if (response === undefined) throw new Error('apply returned no response');
      return response;
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }
}

export class FakeTable {
  constructor(
    readonly spec: FakeTableSpec,
    readonly partitions: FakePartition[],
  ) {}

  /** The partition a hash routes to, with the split rule for a child whose ballot is < 0. */
  routedIndex(hash: bigint): number {
    const count = this.spec.partitionCount;
    const index = Number(hash % BigInt(count));
    return (this.partitions[index]?.ballot ?? 0) < 0 ? index - count / 2 : index;
  }
}

export type MetaMode = { kind: 'leader' } | { kind: 'forward'; to?: string } | { kind: 'not-active'; times: number };

export class FakeMeta {
  mode: MetaMode = { kind: 'leader' };
  queries = 0;
  address = '';
  readonly server = new RpcServer({ port: 0 });

  constructor(private readonly cluster: FakeCluster) {
    this.server.register(QUERY_CFG.code, (request, reply) => this.onQuery(request, reply));
  }

  async listen(): Promise<void> {
    this.address = await this.server.listen();
  }

  private onQuery(request: RpcRequest, reply: RpcReply): void {
    this.queries++;
    const { appName } = QUERY_CFG.decodeArgs(request.args, 0);
    const empty = { appId: 0, partitionCount: 0, isStateful: false, partitions: [] as PartitionConfiguration[] };
    if (this.mode.kind === 'forward') {
      const partitions = this.mode.to === undefined ? [] : [partitionConfig({ appId: 0, partitionIndex: 0 }, 0, this.mode.to)];
      reply.ok(QUERY_CFG.encodeResponse({ ...empty, err: 'ERR_FORWARD_TO_OTHERS', partitions }));
      return;
    }
    if (this.mode.kind === 'not-active' && this.mode.times > 0) {
      this.mode.times--;
      reply.ok(QUERY_CFG.encodeResponse({ ...empty, err: 'ERR_SERVICE_NOT_ACTIVE' }));
      return;
    }
    const table = this.cluster.tables.get(appName);
    if (table === undefined) {
      reply.ok(QUERY_CFG.encodeResponse({ ...empty, err: 'ERR_OBJECT_NOT_FOUND' }));
      return;
    }
    const partitions = table.partitions.map((p) => partitionConfig(p.gpid, p.ballot, this.cluster.replicas[p.primary]?.address));
    reply.ok(
      QUERY_CFG.encodeResponse({ err: 'ERR_OK', appId: table.spec.appId, partitionCount: table.spec.partitionCount, isStateful: true, partitions }),
    );
  }
}

function partitionConfig(pid: Gpid, ballot: number, primary: string | undefined): PartitionConfiguration {
  return {
    pid,
    ballot,
    maxReplicaCount: 1,
    primary: (primary === undefined ? undefined : parseDsnAddress(primary)) ?? { ...RPC_ADDRESS_INVALID },
    secondaries: [],
    lastDrops: [],
    lastCommittedDecree: 0,
    partitionFlags: 0,
  };
}

export interface RequestRecord {
  name: string;
  gpid: Gpid;
  partitionHash: bigint;
}

export class FakeReplica {
  address = '';
  server: RpcServer | undefined;
  readonly requests: RequestRecord[] = [];
  /** Requests arrive but are never answered. */
  neverReply = false;
  /** The frame error for a partition this server does not host. */
  unhostedError: ErrorCode = 'ERR_OBJECT_NOT_FOUND';
  /** Answered once each, in order, before serving anything. */
  readonly injectErrors: ErrorCode[] = [];
  /** The next SCAN finds its context gone (as after a restart or the idle expiry). */
  loseNextScanContext = false;
  readonly clearedScanners: number[] = [];

  constructor(
    private readonly cluster: FakeCluster,
    readonly index: number,
  ) {}

  async start(port = 0): Promise<void> {
    const server = new RpcServer({ port });
    for (const code of Object.keys(R)) server.register(code, (request, reply) => this.onRequest(request, reply));
    this.address = await server.listen();
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** Stops and listens again on the same port. */
  async restart(downMs = 0): Promise<void> {
    const { port } = parseRpcAddress(this.address);
    await this.stop();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start(port);
  }

  count(name: string): number {
    return this.requests.filter((r) => r.name === name).length;
  }

  private onRequest(request: RpcRequest, reply: RpcReply): void | Promise<void> {
    const { gpid, partitionHash } = request.header;
    this.requests.push({ name: request.name, gpid, partitionHash });
    this.cluster.log.push({ name: request.name, gpid, partitionHash, replica: this.index });
    if (this.neverReply) return;
    const injected = this.injectErrors.shift();
    if (injected !== undefined) {
      if (!request.oneway) reply.error(injected);
      return;
    }
    const table = [...this.cluster.tables.values()].find((t) => t.spec.appId === gpid.appId);
    const partition = table?.partitions[gpid.partitionIndex];
    if (table === undefined || partition === undefined || partition.primary !== this.index) {
      if (!request.oneway) reply.error(this.unhostedError);
      return;
    }
    return this.serve(request, reply, table, partition);
  }

  /** Records a violation when the header does not match what the key routes to. */
  private checkRoute(table: FakeTable, request: RpcRequest, hash: bigint, headerHash = hash): void {
    const { gpid, partitionHash } = request.header;
    const expected = table.routedIndex(hash);
    if (partitionHash !== headerHash || expected !== gpid.partitionIndex) {
      this.cluster.routingViolations.push(`${request.name}: header gpid ${gpid.appId}.${gpid.partitionIndex} hash ${partitionHash}, key hash ${hash} routes to ${expected}`);
    }
  }

  private async serve(request: RpcRequest, reply: RpcReply, table: FakeTable, partition: FakePartition): Promise<void> {
    const db = partition.db;
    const args = request.args;
    switch (request.name) {
      case R.RPC_RRDB_RRDB_GET.code: {
        const key = R.RPC_RRDB_RRDB_GET.decodeArgs(args, 0);
        this.checkRoute(table, request, keyHash(key));
        reply.ok(R.RPC_RRDB_RRDB_GET.encodeResponse(await db.get(key)));
        return;
      }
      case R.RPC_RRDB_RRDB_TTL.code: {
        const key = R.RPC_RRDB_RRDB_TTL.decodeArgs(args, 0);
        this.checkRoute(table, request, keyHash(key));
        reply.ok(R.RPC_RRDB_RRDB_TTL.encodeResponse(await db.ttl(key)));
        return;
      }
      case R.RPC_RRDB_RRDB_PUT.code: {
        const put = R.RPC_RRDB_RRDB_PUT.decodeArgs(args, 0);
        this.checkRoute(table, request, keyHash(put.key));
        reply.ok(R.RPC_RRDB_RRDB_PUT.encodeResponse((await partition.write({ code: 'RPC_RRDB_RRDB_PUT', request: put })) as UpdateResponse));
        return;
      }
      case R.RPC_RRDB_RRDB_REMOVE.code: {
        const key = R.RPC_RRDB_RRDB_REMOVE.decodeArgs(args, 0);
        this.checkRoute(table, request, keyHash(key));
        reply.ok(R.RPC_RRDB_RRDB_REMOVE.encodeResponse((await partition.write({ code: 'RPC_RRDB_RRDB_REMOVE', request: key })) as UpdateResponse));
        return;
      }
      case R.RPC_RRDB_RRDB_MULTI_PUT.code: {
        const put = R.RPC_RRDB_RRDB_MULTI_PUT.decodeArgs(args, 0);
        this.checkRoute(table, request, crc64(put.hashKey));
        reply.ok(R.RPC_RRDB_RRDB_MULTI_PUT.encodeResponse((await partition.write({ code: 'RPC_RRDB_RRDB_MULTI_PUT', request: put })) as UpdateResponse));
        return;
      }
      case R.RPC_RRDB_RRDB_MULTI_REMOVE.code: {
        const remove = R.RPC_RRDB_RRDB_MULTI_REMOVE.decodeArgs(args, 0);
        this.checkRoute(table, request, crc64(remove.hashKey));
        reply.ok(R.RPC_RRDB_RRDB_MULTI_REMOVE.encodeResponse((await partition.write({ code: 'RPC_RRDB_RRDB_MULTI_REMOVE', request: remove })) as MultiRemoveResponse));
        return;
      }
      case R.RPC_RRDB_RRDB_INCR.code: {
        const incr = R.RPC_RRDB_RRDB_INCR.decodeArgs(args, 0);
        this.checkRoute(table, request, keyHash(incr.key));
        reply.ok(R.RPC_RRDB_RRDB_INCR.encodeResponse((await partition.write({ code: 'RPC_RRDB_RRDB_INCR', request: incr })) as IncrResponse));
        return;
      }
      case R.RPC_RRDB_RRDB_CHECK_AND_SET.code: {
        const cas = R.RPC_RRDB_RRDB_CHECK_AND_SET.decodeArgs(args, 0);
        this.checkRoute(table, request, crc64(cas.hashKey));
        reply.ok(R.RPC_RRDB_RRDB_CHECK_AND_SET.encodeResponse((await partition.write({ code: 'RPC_RRDB_RRDB_CHECK_AND_SET', request: cas })) as CheckAndSetResponse));
        return;
      }
      case R.RPC_RRDB_RRDB_CHECK_AND_MUTATE.code: {
        const cam = R.RPC_RRDB_RRDB_CHECK_AND_MUTATE.decodeArgs(args, 0);
        this.checkRoute(table, request, crc64(cam.hashKey));
        reply.ok(
          R.RPC_RRDB_RRDB_CHECK_AND_MUTATE.encodeResponse((await partition.write({ code: 'RPC_RRDB_RRDB_CHECK_AND_MUTATE', request: cam })) as CheckAndSetResponse),
        );
        return;
      }
      case R.RPC_RRDB_RRDB_MULTI_GET.code: {
        const get = R.RPC_RRDB_RRDB_MULTI_GET.decodeArgs(args, 0);
        this.checkRoute(table, request, crc64(get.hashKey));
        reply.ok(R.RPC_RRDB_RRDB_MULTI_GET.encodeResponse(await db.multiGet(get)));
        return;
      }
      case R.RPC_RRDB_RRDB_BATCH_GET.code: {
        const get = R.RPC_RRDB_RRDB_BATCH_GET.decodeArgs(args, 0);
        const first = get.keys[0];
        const firstHash = first === undefined ? 0n : keyHash(Buffer.concat([u16(first.hashKey.length), first.hashKey, first.sortKey]));
        for (const k of get.keys) this.checkRoute(table, request, keyHash(Buffer.concat([u16(k.hashKey.length), k.hashKey, k.sortKey])), firstHash);
        reply.ok(R.RPC_RRDB_RRDB_BATCH_GET.encodeResponse(await db.batchGet(get)));
        return;
      }
      case R.RPC_RRDB_RRDB_SORTKEY_COUNT.code: {
        const hashKey = R.RPC_RRDB_RRDB_SORTKEY_COUNT.decodeArgs(args, 0);
        this.checkRoute(table, request, crc64(hashKey));
        reply.ok(R.RPC_RRDB_RRDB_SORTKEY_COUNT.encodeResponse(await db.sortkeyCount(hashKey)));
        return;
      }
      case R.RPC_RRDB_RRDB_GET_SCANNER.code: {
        const scanner = R.RPC_RRDB_RRDB_GET_SCANNER.decodeArgs(args, 0);
        if (scanner.fullScan === true) {
          if (request.header.partitionHash !== BigInt(request.header.gpid.partitionIndex)) {
            this.cluster.routingViolations.push(`full scan of ${request.header.gpid.partitionIndex} sent hash ${request.header.partitionHash}`);
          }
        } else {
          const hashKeyLength = scanner.startKey.readUInt16BE(0);
          this.checkRoute(table, request, crc64(scanner.startKey.subarray(2, 2 + hashKeyLength)));
        }
        reply.ok(R.RPC_RRDB_RRDB_GET_SCANNER.encodeResponse(await db.getScanner(scanner)));
        return;
      }
      case R.RPC_RRDB_RRDB_SCAN.code: {
        const scan = R.RPC_RRDB_RRDB_SCAN.decodeArgs(args, 0);
        if (this.loseNextScanContext) {
          this.loseNextScanContext = false;
          db.clearScanner(scan.contextId);
        }
        reply.ok(R.RPC_RRDB_RRDB_SCAN.encodeResponse(await db.scan(scan)));
        return;
      }
      case R.RPC_RRDB_RRDB_CLEAR_SCANNER.code: {
        const contextId = R.RPC_RRDB_RRDB_CLEAR_SCANNER.decodeArgs(args, 0);
        this.clearedScanners.push(contextId);
        db.clearScanner(contextId);
        reply.ok(Buffer.alloc(0)); // oneway: only records that the handler finished
        return;
      }
      default:
        reply.error('ERR_HANDLER_NOT_FOUND');
    }
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

export interface FakeClusterOptions {
  metaCount?: number;
  replicaCount?: number;
  tables?: FakeTableSpec[];
}

export class FakeCluster {
  readonly metas: FakeMeta[] = [];
  readonly replicas: FakeReplica[] = [];
  readonly tables = new Map<string, FakeTable>();
  readonly routingViolations: string[] = [];
  /** Every request any replica server received, in arrival order. */
  readonly log: Array<RequestRecord & { replica: number }> = [];
  readonly clock = new ShiftedClock();

  static async start(options: FakeClusterOptions = {}): Promise<FakeCluster> {
    const cluster = new FakeCluster();
    for (let i = 0; i < (options.metaCount ?? 1); i++) {
      const meta = new FakeMeta(cluster);
      await meta.listen();
      cluster.metas.push(meta);
    }
    for (let i = 0; i < (options.replicaCount ?? 2); i++) {
      const replica = new FakeReplica(cluster, i);
      await replica.start();
      cluster.replicas.push(replica);
    }
    for (const spec of options.tables ?? [{ name: 'temp', appId: 2, partitionCount: 8 }]) await cluster.addTable(spec);
    return cluster;
  }

  /** Partition i starts on replica server i mod replicaCount. */
  async addTable(spec: FakeTableSpec): Promise<FakeTable> {
    const partitions: FakePartition[] = [];
    for (let i = 0; i < spec.partitionCount; i++) {
      const gpid = { appId: spec.appId, partitionIndex: i };
      const store = await MemStore.open(new MemDisk(), `/replica/${spec.appId}.${i}`, { nowMs: () => this.clock.nowMs() });
      const db = new PartitionDb(store, { gpid, server: `fake-${i}`, clock: this.clock, partitionVersion: spec.partitionCount - 1 });
      partitions.push(new FakePartition(gpid, db, i % this.replicas.length, this.clock));
    }
    const table = new FakeTable(spec, partitions);
    this.tables.set(spec.name, table);
    return table;
  }

  table(name = 'temp'): FakeTable {
    const table = this.tables.get(name);
    if (table === undefined) throw new Error(`no table ${name}`);
    return table;
  }

  /** The meta's view changes at once; clients learn of it from the old server's refusal. */
  movePartition(tableName: string, partitionIndex: number, toReplica: number): void {
    const partition = this.table(tableName).partitions[partitionIndex];
    if (partition === undefined) throw new Error(`no partition ${partitionIndex}`);
    partition.primary = toReplica;
  }

  get metaAddresses(): string[] {
    return this.metas.map((m) => m.address);
  }

  /** Requests of one RPC name over every replica server. */
  requests(name?: string): Array<RequestRecord & { replica: number }> {
    return this.log.filter((q) => name === undefined || q.name === name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.metas.map((m) => m.server.close()), ...this.replicas.map((r) => r.stop())]);
    for (const table of this.tables.values()) for (const p of table.partitions) await p.db.close();
  }
}
