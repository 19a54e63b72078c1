/**
 * Mutations between replicas: the log's shape ↔ the consensus IDL's shape (RPC_PREPARE carries
 * `mutation_data`), and the byte form of a list of mutations that LT_CACHE and LT_LOG learn responses carry
 * in `learn_state.meta` (a count, then each mutation in the plog's encoding). Bytes from a peer are checked
 * like bytes from a disk: a bad list is ERR_INVALID_DATA, never a crash.
 */
import { PegasusError } from '../base/error-code.ts';
import type { MutationData } from '../idl/replication-consensus.ts';
import { decodeMutation, encodeMutation, type Mutation } from '../log/mutation.ts';

export function toWireMutation(mutation: Mutation): MutationData {
  const h = mutation.header;
  return {
    header: { pid: { ...h.gpid }, ballot: h.ballot, decree: h.decree, logOffset: h.logOffset, lastCommittedDecree: h.lastCommittedDecree, timestamp: h.timestampUs },
    updates: mutation.updates.map((u) => ({ code: u.code, serializationType: u.serializationType, data: u.data })),
  };
}

export function fromWireMutation(data: MutationData): Mutation {
  const h = data.header;
  return {
    header: { gpid: { ...h.pid }, ballot: h.ballot, decree: h.decree, logOffset: 0, lastCommittedDecree: h.lastCommittedDecree, timestampUs: h.timestamp },
    updates: data.updates.map((u) => ({ code: u.code, serializationType: u.serializationType, data: u.data })),
  };
}

/** Most mutations one list may announce; a learn response is bounded far below this by its byte cap. */
const MUTATION_LIST_COUNT_MAX = 1_000_000;

export function encodeMutationList(mutations: readonly Mutation[]): Buffer {
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32LE(mutations.length, 0);
  return Buffer.concat([count, ...mutations.map(encodeMutation)]);
}

export function decodeMutationList(bytes: Buffer): Mutation[] {
  if (bytes.length < 4) throw new PegasusError('ERR_INVALID_DATA', 'a mutation list needs its count');
  const count = bytes.readUInt32LE(0);
  if (count > MUTATION_LIST_COUNT_MAX) throw new PegasusError('ERR_INVALID_DATA', `mutation list count ${count}`);
  const out: Mutation[] = [];
  let pos = 4;
  for (let i = 0; i < count; i++) {
    const { mutation, bytes: used } = decodeMutation(bytes, pos);
    out.push(mutation);
    pos += used;
  }
  if (pos !== bytes.length) throw new PegasusError('ERR_INVALID_DATA', `mutation list has ${bytes.length - pos} trailing bytes`);
  return out;
}
