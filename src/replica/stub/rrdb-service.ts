/**
 * The client-facing rrdb RPCs on a replica server (protocol.md §4, contract F5; upstream
 * replica_stub::on_client_write / on_client_read → replica): routed by the request header's gpid — no such
 * replica here → ERR_OBJECT_NOT_FOUND (the client re-queries the meta), not primary → ERR_INVALID_STATE;
 * writes go through Replica.onClientWrite (which refuses a body over `max_allowed_write_size` with
 * ERR_INVALID_DATA), reads through Replica.onClientRead against the PartitionDb, scanners included.
 * CLEAR_SCANNER is one-way: no reply.
 */
import { AssertionFailure } from '../../base/assert.ts';
import { isPegasusError } from '../../base/error-code.ts';
import type { Gpid } from '../../base/gpid.ts';
import { RRDB_RPCS, type RrdbRpcCode } from '../../idl/codec/rrdb-rpcs.ts';
import type { CheckAndMutateResponse, CheckAndSetResponse, IncrResponse, MultiRemoveResponse, UpdateResponse } from '../../idl/rrdb.ts';
import type { RpcHandlerRegistry, RpcReply, RpcRequest } from '../../rpc/transport.ts';
import type { PartitionDb } from '../../storage/rrdb/partition-db.ts';
import type { WriteRequest, WriteResponse } from '../../storage/rrdb/write-service.ts';
import type { Replica } from '../replica.ts';
import type { StubLogger } from './stub-env.ts';

/** Finds the open replica for a gpid. */
export type ReplicaLookup = (gpid: Gpid) => Replica | undefined;

/**
 * What the table says about partition-hash checks: the env `replica.split.validate_partition_hash` and the
 * partition version (partition count − 1; −1 while splitting).
 */
export interface PartitionHashPolicy {
  validate: boolean;
  partitionVersion: number;
}

export type PartitionHashPolicyLookup = (gpid: Gpid) => PartitionHashPolicy | undefined;

/** The table env that turns the checks on (upstream's `replica.split.validate_partition_hash`). */
export const ENV_VALIDATE_PARTITION_HASH = 'replica.split.validate_partition_hash';

type Encode = (response: WriteResponse) => Buffer;

export class RrdbService {
  constructor(
    private readonly lookup: ReplicaLookup,
    private readonly logger: StubLogger,
    private readonly policyOf: PartitionHashPolicyLookup = () => undefined,
  ) {}

  register(handlers: RpcHandlerRegistry): void {
    for (const code of Object.keys(RRDB_RPCS) as RrdbRpcCode[]) {
      handlers.register(code, (request, reply) => this.handle(code, request, reply));
    }
  }

  private handle(code: RrdbRpcCode, request: RpcRequest, reply: RpcReply): void | Promise<void> {
    const replica = this.lookup(request.header.gpid);
    if (code === 'RPC_RRDB_RRDB_CLEAR_SCANNER') {
      // One-way: nothing to answer; a scanner of a replica not (or no longer) here is gone anyway.
      const contextId = this.decode(() => RRDB_RPCS[code].decodeArgs(request.args, 0), reply);
      if (contextId !== undefined) replica?.db.clearScanner(contextId);
      return;
    }
    if (replica === undefined) {
      reply.error('ERR_OBJECT_NOT_FOUND');
      return;
    }
    // protocol.md §10: only with the table env on does a replica check the request's partition hash
    // (after a split a client with an old partition count must be told), and refuse while splitting.
    const policy = this.policyOf(request.header.gpid);
    replica.db.setValidatePartitionHash(policy?.validate ?? false);
    replica.db.setPartitionVersion(policy?.partitionVersion ?? -1);
    if (policy?.validate === true) {
      if (policy.partitionVersion < 0) {
        reply.error('ERR_SPLITTING');
        return;
      }
      if (Number(request.header.partitionHash & BigInt(policy.partitionVersion)) !== request.header.gpid.partitionIndex) {
        reply.error('ERR_PARENT_PARTITION_MISUSED');
        return;
      }
    }
    // Whether this replica may serve the request (primary, reconciled) is the Replica's to decide, once.
    const { args } = request;
    switch (code) {
      case 'RPC_RRDB_RRDB_PUT':
        return this.write(replica, reply, () => ({ code, request: RRDB_RPCS[code].decodeArgs(args, 0) }), (r) => RRDB_RPCS[code].encodeResponse(r as UpdateResponse));
      case 'RPC_RRDB_RRDB_MULTI_PUT':
        return this.write(replica, reply, () => ({ code, request: RRDB_RPCS[code].decodeArgs(args, 0) }), (r) => RRDB_RPCS[code].encodeResponse(r as UpdateResponse));
      case 'RPC_RRDB_RRDB_REMOVE':
        return this.write(replica, reply, () => ({ code, request: RRDB_RPCS[code].decodeArgs(args, 0) }), (r) => RRDB_RPCS[code].encodeResponse(r as UpdateResponse));
      case 'RPC_RRDB_RRDB_MULTI_REMOVE':
        return this.write(replica, reply, () => ({ code, request: RRDB_RPCS[code].decodeArgs(args, 0) }), (r) => RRDB_RPCS[code].encodeResponse(r as MultiRemoveResponse));
      case 'RPC_RRDB_RRDB_INCR':
        return this.write(replica, reply, () => ({ code, request: RRDB_RPCS[code].decodeArgs(args, 0) }), (r) => RRDB_RPCS[code].encodeResponse(r as IncrResponse));
      case 'RPC_RRDB_RRDB_CHECK_AND_SET':
        return this.write(replica, reply, () => ({ code, request: RRDB_RPCS[code].decodeArgs(args, 0) }), (r) => RRDB_RPCS[code].encodeResponse(r as CheckAndSetResponse));
      case 'RPC_RRDB_RRDB_CHECK_AND_MUTATE':
        return this.write(replica, reply, () => ({ code, request: RRDB_RPCS[code].decodeArgs(args, 0) }), (r) => RRDB_RPCS[code].encodeResponse(r as CheckAndMutateResponse));
      case 'RPC_RRDB_RRDB_GET': {
        const key = this.decode(() => RRDB_RPCS[code].decodeArgs(args, 0), reply);
        return key === undefined ? undefined : this.read(replica, request, reply, (db) => db.get(key), (r) => RRDB_RPCS[code].encodeResponse(r));
      }
      case 'RPC_RRDB_RRDB_MULTI_GET': {
        const req = this.decode(() => RRDB_RPCS[code].decodeArgs(args, 0), reply);
        return req === undefined ? undefined : this.read(replica, request, reply, (db) => db.multiGet(req), (r) => RRDB_RPCS[code].encodeResponse(r));
      }
      case 'RPC_RRDB_RRDB_BATCH_GET': {
        const req = this.decode(() => RRDB_RPCS[code].decodeArgs(args, 0), reply);
        return req === undefined ? undefined : this.read(replica, request, reply, (db) => db.batchGet(req), (r) => RRDB_RPCS[code].encodeResponse(r));
      }
      case 'RPC_RRDB_RRDB_SORTKEY_COUNT': {
        const hashKey = this.decode(() => RRDB_RPCS[code].decodeArgs(args, 0), reply);
        return hashKey === undefined ? undefined : this.read(replica, request, reply, (db) => db.sortkeyCount(hashKey), (r) => RRDB_RPCS[code].encodeResponse(r));
      }
      case 'RPC_RRDB_RRDB_TTL': {
        const key = this.decode(() => RRDB_RPCS[code].decodeArgs(args, 0), reply);
        return key === undefined ? undefined : this.read(replica, request, reply, (db) => db.ttl(key), (r) => RRDB_RPCS[code].encodeResponse(r));
      }
      case 'RPC_RRDB_RRDB_GET_SCANNER': {
        const req = this.decode(() => RRDB_RPCS[code].decodeArgs(args, 0), reply);
        return req === undefined ? undefined : this.read(replica, request, reply, (db) => db.getScanner(req), (r) => RRDB_RPCS[code].encodeResponse(r));
      }
      case 'RPC_RRDB_RRDB_SCAN': {
        const req = this.decode(() => RRDB_RPCS[code].decodeArgs(args, 0), reply);
        return req === undefined ? undefined : this.read(replica, request, reply, (db) => db.scan(req), (r) => RRDB_RPCS[code].encodeResponse(r));
      }
    }
  }

  /** Decodes args; a malformed body is answered ERR_INVALID_DATA (upstream drops it as a bad request). */
  private decode<T>(decodeArgs: () => T, reply: RpcReply): T | undefined {
    try {
      return decodeArgs();
    } catch (e) {
      if (e instanceof AssertionFailure) throw e;
      this.logger.warn({ err: e }, 'undecodable rrdb request');
      if (!reply.answered) reply.error('ERR_INVALID_DATA');
      return undefined;
    }
  }

  private write(replica: Replica, reply: RpcReply, decodeArgs: () => WriteRequest, encode: Encode): void {
    const write = this.decode(decodeArgs, reply);
    if (write === undefined) return;
    replica.onClientWrite(write, {
      ok: (response) => reply.ok(encode(response)),
      error: (errorName) => reply.error(errorName),
    });
  }

  private async read<T>(replica: Replica, request: RpcRequest, reply: RpcReply, read: (db: PartitionDb) => Promise<T>, encode: (response: T) => Buffer): Promise<void> {
    let response: T;
    try {
      response = await replica.onClientRead(read, { backupRequest: request.header.isBackupRequest });
    } catch (e) {
      // Not primary (any more) or still reconciling: the client refreshes its routing and retries.
      if (!isPegasusError(e) || e.code === 'ERR_OK') throw e;
      reply.error(e.code);
      return;
    }
    reply.ok(encode(response));
  }
}
