/**
 * A load generator's connection to pegasus-ts, through our TypeScript client.
 *
 * Record layout: the sort key is the YCSB key and the hash key one of 100 groups named by the key's last two
 * digits. Pegasus orders sort keys within a hash key only (hash keys are spread over partitions by hash), so
 * grouping is what makes a YCSB short scan a real ordered range read: one multi_get of a sort-key range with
 * a count limit, served by one partition. 100 groups still spread every workload over all partitions.
 */
import { PegasusClient } from '../../client/index.ts';
import type { Table } from '../../client/table.ts';
import type { ConnectionSpec, RecordStore } from '../bench-target.ts';

/** An operation's deadline, retries included: longer than the client's 1 s default so a loaded 2-core box reports latency, not timeouts. */
const OPERATION_TIMEOUT_MS = 10_000;

export function hashKeyOf(key: string): string {
  return `g${key.slice(-2)}`;
}

class PegasusRecordStore implements RecordStore {
  constructor(
    private readonly client: PegasusClient,
    private readonly table: Table,
  ) {}

  insert(key: string, value: Buffer): Promise<void> {
    return this.table.set(hashKeyOf(key), key, value);
  }

  update(key: string, value: Buffer): Promise<void> {
    return this.table.set(hashKeyOf(key), key, value);
  }

  read(key: string): Promise<Buffer | undefined> {
    return this.table.get(hashKeyOf(key), key);
  }

  async scan(startKey: string, count: number): Promise<number> {
    const result = await this.table.multiGet(hashKeyOf(startKey), undefined, { startSortKey: startKey, startInclusive: true, maxFetchCount: count });
    return result.kvs.length;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export async function openPegasusStore(spec: Extract<ConnectionSpec, { kind: 'pegasus' }>): Promise<RecordStore> {
  const client = PegasusClient.create({ metaServers: [...spec.metaServers], timeoutMs: OPERATION_TIMEOUT_MS });
  try {
    return new PegasusRecordStore(client, await client.openTable(spec.table));
  } catch (e) {
    await client.close();
    throw e;
  }
}
