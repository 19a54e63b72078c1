/**
 * Sections whose key names are chosen by the operator, as in upstream's `config.min.ini`:
 * - `[duplication-group]`: cluster name → cluster id 1..127 (the id goes into every timetag);
 * - `[pegasus.clusters]`: cluster name → its meta servers (duplication targets);
 * - `[meta_server.apps.<table>]`: tables the meta creates on its first boot (how the onebox gets `temp`).
 */
import { checkHostPort } from './host-port.ts';
import { bool, int, list, str, type ValueOf } from './key-spec.ts';

export const DUPLICATION_GROUP = 'duplication-group';
export const CLUSTERS = 'pegasus.clusters';
export const TABLE_SECTION_PREFIX = 'meta_server.apps.';

/** upstream: "Each cluster is assigned with a unique cluster id [1, 127]". */
export const CLUSTER_ID = int(1, 'cluster id carried in timetags', { min: 1, max: 127 });

export const CLUSTER_META_SERVERS = list([], 'meta servers of a cluster, host:port', { checkItem: checkHostPort });

function checkPowerOfTwo(count: number): string | undefined {
  return Number.isInteger(Math.log2(count)) ? undefined : `${count} is not a power of two`;
}

/** The keys of one `[meta_server.apps.<table>]` section; defaults are upstream's code defaults. */
export const TABLE_SPEC = {
  app_name: str('', 'table name; empty = the section\'s suffix'),
  app_type: str('pegasus', 'storage engine of the table', { choices: ['pegasus'] }),
  partition_count: int(1, 'partitions, a power of two', { min: 1, max: 65536 }),
  max_replica_count: int(3, 'replicas per partition', { min: 1 }),
  stateful: bool(true, 'tables are stateful (upstream asserts it)'),
} as const;

export const TABLE_PARTITION_COUNT_CHECK = checkPowerOfTwo;

export type TableDeclaration = { readonly [K in keyof typeof TABLE_SPEC]: ValueOf<(typeof TABLE_SPEC)[K]> };

export interface DynamicValues {
  readonly 'duplication-group': Readonly<Record<string, number>>;
  readonly 'pegasus.clusters': Readonly<Record<string, readonly string[]>>;
  /** Keyed by the section's suffix (`temp` for `[meta_server.apps.temp]`). */
  readonly 'meta_server.apps': Readonly<Record<string, TableDeclaration>>;
}
