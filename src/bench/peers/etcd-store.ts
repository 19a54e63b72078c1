/**
 * A load generator's connection to the etcd peer, through the `etcd3` gRPC client. Each record is one etcd
 * key holding the whole value. Reads stay etcd's default linearizable reads (not `serializable`), the same
 * promise pegasus-ts makes; the client spreads calls over all members.
 */
import { Etcd3, Range } from 'etcd3';
import type { ConnectionSpec, RecordStore } from '../bench-target.ts';

/** A bound on every call, so a stalled cluster shows up as errors instead of a benchmark that hangs. */
const CALL_TIMEOUT_MS = 10_000;

/** YCSB's keys all start with `user`; scans stop at the end of that key space. */
const KEY_SPACE_END = Range.prefix('user').end;

export async function openEtcdStore(spec: Extract<ConnectionSpec, { kind: 'etcd' }>): Promise<RecordStore> {
  const client = new Etcd3({
    hosts: [...spec.endpoints],
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
  });
  return {
    async insert(key, value) {
      await client.put(key).value(value);
    },
    async update(key, value) {
      await client.put(key).value(value);
    },
    async read(key) {
      return (await client.get(key).buffer()) ?? undefined;
    },
    async scan(startKey, count) {
      // No .sort(): etcd returns a range in key order already, and asking for a sort makes it read the whole
      // range before applying the limit.
      const response = await client.getAll().inRange({ start: startKey, end: KEY_SPACE_END }).limit(count).exec();
      return response.kvs.length;
    },
    async close() {
      client.close();
    },
  };
}
