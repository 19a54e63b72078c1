/**
 * A mutation as the replica holds it in its prepare list: the logged form (header + encoded updates),
 * the decoded writes to apply, the client replies waiting for its commit, and what it still waits for
 * (upstream's packed readiness word): its own log write, and on a primary the ack of every secondary and of
 * every learner past its prepare start. Ready for commit when nothing is left.
 */
import { assert } from '../base/assert.ts';
import { PegasusError, type ErrorCode } from '../base/error-code.ts';
import { RRDB_RPCS } from '../idl/codec/rrdb-rpcs.ts';
import type { Mutation, MutationUpdate } from '../log/mutation.ts';
import type { WriteRequest, WriteResponse } from '../storage/rrdb/write-service.ts';
import type { PreparedMutation } from './prepare-list.ts';

/** Upstream's `DSF_THRIFT_BINARY`: how an update's bytes are serialized. */
export const SERIALIZATION_THRIFT_BINARY = 1;

/** Where a client write's outcome goes: exactly one of the two, once. */
export interface WriteReply {
  ok(response: WriteResponse): void;
  error(errorName: ErrorCode): void;
}

export class ReplicaMutation implements PreparedMutation {
  private logged = false;
  /** Members (and learners) whose prepare ack is still missing. */
  private readonly acksMissing = new Set<string>();

  constructor(
    /** The logged form. */
    readonly data: Mutation,
    readonly writes: WriteRequest[],
    /** One per write, in order; empty for mutations replayed from the log or sent by a primary. */
    private replies: WriteReply[],
    /** Started from the primary's write queue, whose slot its commit frees (cleared when that queue is reset). */
    public fromQueue: boolean,
  ) {
    assert(replies.length === 0 || replies.length === writes.length, 'a reply for every client write');
  }

  get decree(): number {
    return this.data.header.decree;
  }

  get ballot(): number {
    return this.data.header.ballot;
  }

  get lastCommittedDecree(): number {
    return this.data.header.lastCommittedDecree;
  }

  get timestampUs(): number {
    return this.data.header.timestampUs;
  }

  /** The replies, handed out once: whoever takes them answers them, so no client is answered twice. */
  takeReplies(): WriteReply[] {
    const replies = this.replies;
    this.replies = [];
    return replies;
  }

  markLogged(): void {
    this.logged = true;
  }

  isLogged(): boolean {
    return this.logged;
  }

  isReadyForCommit(): boolean {
    return this.logged && this.acksMissing.size === 0;
  }

  expectAck(node: string): void {
    this.acksMissing.add(node);
  }

  /** Records an ack (or gives up waiting for a learner that was dropped); false if none was expected. */
  ack(node: string): boolean {
    return this.acksMissing.delete(node);
  }

  waitsFor(node: string): boolean {
    return this.acksMissing.has(node);
  }
}

/** The log form of a client write: its task code and its args bytes, decodable with RRDB_RPCS. */
export function encodeWrite(write: WriteRequest): MutationUpdate {
  const rpc = RRDB_RPCS[write.code] as { encodeArgs(args: unknown): Buffer };
  return { code: write.code, serializationType: SERIALIZATION_THRIFT_BINARY, data: rpc.encodeArgs(write.request) };
}

const WRITE_CODES = new Set<string>([
  'RPC_RRDB_RRDB_PUT',
  'RPC_RRDB_RRDB_REMOVE',
  'RPC_RRDB_RRDB_MULTI_PUT',
  'RPC_RRDB_RRDB_MULTI_REMOVE',
  'RPC_RRDB_RRDB_INCR',
  'RPC_RRDB_RRDB_CHECK_AND_SET',
  'RPC_RRDB_RRDB_CHECK_AND_MUTATE',
]);

/** Decodes a logged update back into the write it carried; anything else is refused as invalid data. */
export function decodeWrite(update: MutationUpdate): WriteRequest {
  if (!WRITE_CODES.has(update.code)) throw new PegasusError('ERR_INVALID_DATA', `logged update with code ${update.code} is not an rrdb write`);
  const rpc = RRDB_RPCS[update.code as WriteRequest['code']] as { decodeArgs(body: Buffer, offset: number): unknown };
  return { code: update.code, request: rpc.decodeArgs(update.data, 0) } as WriteRequest;
}
