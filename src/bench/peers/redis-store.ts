/**
 * A load generator's connection to the Redis peer, through `ioredis`. Each record is a plain string key
 * holding the whole value. Redis has no ordered key space, so, as YCSB's Redis binding does, every insert
 * also adds the key to one sorted set, and a scan walks that index (ZRANGE … BYLEX) and then fetches the
 * values with one MGET.
 */
import { Redis } from 'ioredis';
import type { ConnectionSpec, RecordStore } from '../bench-target.ts';

/** The sorted set of every inserted key, all with score 0 so that the set orders them by their bytes. */
export const REDIS_INDEX_KEY = 'ycsb:index';

/** A bound on every command and on connecting, so a stalled server shows up as errors, not a hang. */
const COMMAND_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;

export async function openRedisStore(spec: Extract<ConnectionSpec, { kind: 'redis' }>): Promise<RecordStore> {
  const client = new Redis({
    host: spec.host,
    port: spec.port,
    // Concurrent callers' commands leave in one write per event-loop turn: ioredis's counterpart of our own
    // clients sharing one connection per server.
    enableAutoPipelining: true,
    // A command waits for at most one reconnection, then fails: an outage shows up as errors, not stalls.
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    lazyConnect: true,
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot connect to Redis at ${spec.host}:${spec.port}: ${(error as Error).message}`);
  }

  return {
    async insert(key, value) {
      // One MULTI, so no scan ever sees an indexed key without its value or the reverse.
      const replies = await client.multi().set(key, value).zadd(REDIS_INDEX_KEY, 0, key).exec();
      if (replies === null) throw new Error(`Redis discarded the MULTI inserting ${key}`);
      for (const [error] of replies) if (error !== null) throw error;
    },
    async update(key, value) {
      await client.set(key, value);
    },
    async read(key) {
      return (await client.getBuffer(key)) ?? undefined;
    },
    async scan(startKey, count) {
      const keys = await client.zrange(REDIS_INDEX_KEY, `[${startKey}`, '+', 'BYLEX', 'LIMIT', 0, count);
      if (keys.length === 0) return 0;
      const values = await client.mgetBuffer(...keys);
      return values.filter((v) => v !== null).length;
    },
    async close() {
      try {
        await client.quit();
      } finally {
        // quit() waits for the server's reply; disconnect() also ends the socket when that never comes.
        client.disconnect();
      }
    },
  };
}
