/**
 * An in-process single-node cluster for the wire-server tests: a meta server and one replica server on
 * port 0 in a temp dir (the meta first; the replica's config names the meta's address). Tables are created
 * through the meta's DDL RPC; `waitServing` polls query config over TcpRpcChannel (bounded) until every
 * partition has our replica as primary, then until that replica really acts as primary.
 * Also: a raw-socket exchange that reads whole response frames by their total length.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrorCode } from '../../src/base/error-code.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { formatRpcAddress } from '../../src/idl/thrift/dsn.ts';
import type { QueryCfgResponse } from '../../src/idl/meta.ts';
import { parseResponse, type ParsedResponse } from '../../src/rpc/frame/response.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/index.ts';
import type { RpcAddress } from '../../src/rpc/transport.ts';
import { loadConfig } from '../../src/server/config/index.ts';
import { createLogger } from '../../src/server/log/index.ts';
import { startMetaServer, type MetaServerHandle } from '../../src/server/meta/meta-main.ts';
import { startReplicaServer, type ReplicaServerHandle } from '../../src/server/replica/replica-main.ts';

const metaLogger = createLogger({ role: 'meta', level: 'silent', env: {}, pretty: false });
const replicaLogger = createLogger({ role: 'replica', level: 'silent', env: {}, pretty: false });

function iniFor(dataDir: string, metaAddress: string): string {
  return [
    '[core]', `data_dir = ${dataDir}`,
    '[meta_server]', `server_list = ${metaAddress}`,
    'meta_state_service_type = meta_state_service_simple',
    'distributed_lock_service_type = distributed_lock_service_simple',
    '[replication]', 'mutation_2pc_min_replica_count = 1',
  ].join('\n');
}

export interface TestCluster {
  readonly root: string;
  readonly meta: MetaServerHandle;
  readonly replica: ReplicaServerHandle;
  readonly channel: TcpRpcChannel;
  /** Creates a table through RPC_CM_CREATE_APP; returns its app id. */
  createTable(name: string, partitionCount: number): Promise<number>;
  queryConfig(name: string): Promise<QueryCfgResponse>;
  /** Bounded wait until every partition of `name` has our replica as primary and it serves as one. */
  waitServing(name: string, timeoutMs?: number): Promise<QueryCfgResponse>;
  close(): Promise<void>;
}

export async function startCluster(): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), 'pegasus-wire-server-'));
  const channel = new TcpRpcChannel();
  let meta: MetaServerHandle | undefined;
  let replica: ReplicaServerHandle | undefined;
  try {
    // The meta's port is only known once it listens; its own server_list is not used to find itself here.
    const metaConfig = loadConfig({ text: iniFor(join(root, 'meta'), '127.0.0.1:1'), name: 'meta.ini' }, { role: 'meta', profile: 'test' }).config;
    meta = await startMetaServer({ config: metaConfig, dataDir: join(root, 'meta'), port: 0, logger: metaLogger });
    const replicaConfig = loadConfig({ text: iniFor(join(root, 'replica'), meta.address), name: 'replica.ini' }, { role: 'replica', profile: 'test' }).config;
    replica = await startReplicaServer({ config: replicaConfig, dataDir: join(root, 'replica'), port: 0, logger: replicaLogger });
  } catch (e) {
    await replica?.close();
    await meta?.close();
    await channel.close();
    await rm(root, { recursive: true, force: true });
    throw e;
  }
  const metaHandle = meta;
  const replicaHandle = replica;

  const metaCall = async <Args, Response>(
    rpc: { code: string; encodeArgs(a: Args): Buffer; decodeResponse(b: Buffer, o: number): Response },
    args: Args,
  ): Promise<Response> => {
    const result = await channel.call(metaHandle.address, { name: rpc.code, gpid: { appId: 0, partitionIndex: 0 }, partitionHash: 0n, args: rpc.encodeArgs(args), timeoutMs: 5000 });
    assert.equal(result.errorName, 'ERR_OK', `${rpc.code} rpc error`);
    assert.ok(result.result !== undefined);
    return rpc.decodeResponse(result.result, 0);
  };

  const queryConfig = (name: string) => metaCall(META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, { appName: name, partitionIndices: [] });

  return {
    root,
    meta: metaHandle,
    replica: replicaHandle,
    channel,
    async createTable(name, partitionCount) {
      const created = await metaCall(META_RPCS.RPC_CM_CREATE_APP, {
        appName: name,
        options: { partitionCount, replicaCount: 1, successIfExist: false, appType: 'pegasus', isStateful: true, envs: new Map() },
      });
      assert.equal(created.err, 'ERR_OK', `create ${name}`);
      return created.appid;
    },
    queryConfig,
    async waitServing(name, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const cfg = await queryConfig(name);
        const ready =
          cfg.err === 'ERR_OK' &&
          cfg.partitions.length === cfg.partitionCount &&
          cfg.partitions.every((p) => formatRpcAddress(p.primary) === replicaHandle.address && replicaHandle.stub.find(p.pid)?.isPrimary === true);
        if (ready) return cfg;
        if (Date.now() > deadline) throw new Error(`table ${name} not served within ${timeoutMs} ms: ${JSON.stringify(cfg, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await channel.close();
      await replicaHandle.close();
      await metaHandle.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function hostPort(address: RpcAddress): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** A raw TCP connection that hands out whole response frames (i32 total length counting itself). */
export class RawConnection {
  readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      for (;;) {
        if (this.buffered.length < 4) break;
        const total = this.buffered.readInt32BE(0);
        if (total < 4 || this.buffered.length < total) break;
        this.frames.push(this.buffered.subarray(0, total));
        this.buffered = this.buffered.subarray(total);
      }
      this.waiter?.();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static open(address: RpcAddress): Promise<RawConnection> {
    const { host, port } = hostPort(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Bytes received that do not (yet) form a whole frame. */
  get leftover(): Buffer {
    return this.buffered;
  }

  /** The next whole response frame; throws on close or timeout. */
  async next(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return frame;
      if (this.closed) throw new Error('connection closed before a response');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Frames received so far and not taken. */
  drain(): Buffer[] {
    return this.frames.splice(0);
  }

  async waitClosed(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closedPromise.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return result;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Checks a response frame's shape (protocol.md §1.4): total length = frame length, a known upstream error
 * name, `<request name>_ACK`, the echoed seqid, and a body only with ERR_OK.
 */
export function checkResponse(frame: Buffer, requestName: string, seqid: number, label: string): ParsedResponse {
  assert.equal(frame.readInt32BE(0), frame.length, `${label}: total length`);
  const parsed = parseResponse(frame);
  assert.ok(isErrorCode(parsed.errorName), `${label}: error name ${parsed.errorName} is not an upstream error name`);
  assert.equal(parsed.name, `${requestName}_ACK`, `${label}: reply name`);
  assert.equal(parsed.seqid, seqid, `${label}: seqid`);
  if (parsed.errorName !== 'ERR_OK') {
    // The C++ server sends no body with an error: length, name and message begin only.
    const expected = 4 + 4 + parsed.errorName.length + 4 + 4 + parsed.name.length + 4;
    assert.equal(frame.length, expected, `${label}: an error response carries no body`);
  } else {
    assert.ok(parsed.resultOffset !== undefined, `${label}: ERR_OK without a result`);
    assert.equal(frame[frame.length - 1], 0, `${label}: result wrapper ends with STOP`);
  }
  return parsed;
}
