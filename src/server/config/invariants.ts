/**
 * Relationships between keys that single-key bounds cannot express. Each one guards a real failure:
 * e.g. a lease not shorter than the grace period lets the meta hand a primary to another node while the
 * old one still serves writes (two primaries), so it is refused at load, not discovered in production.
 */
import type { DynamicValues } from './dynamic-sections.ts';
import { TABLE_PARTITION_COUNT_CHECK } from './dynamic-sections.ts';
import type { ServerRole } from './config-types.ts';
import type { FixedValues } from './schema.ts';

export interface Violation {
  readonly section: string;
  readonly key: string | undefined;
  readonly message: string;
}

function duplicates(items: readonly string[]): string[] {
  return items.filter((item, index) => items.indexOf(item) !== index);
}

export function checkInvariants(values: FixedValues & DynamicValues, role: ServerRole): Violation[] {
  const out: Violation[] = [];
  const require = (ok: boolean, section: string, key: string | undefined, message: string): void => {
    if (!ok) out.push({ section, key, message });
  };

  const r = values.replication;
  require(r.fd_beacon_interval_seconds < r.fd_lease_seconds, 'replication', 'fd_beacon_interval_seconds',
    `fd_beacon_interval_seconds (${r.fd_beacon_interval_seconds}) must be less than fd_lease_seconds (${r.fd_lease_seconds}): a lease must outlive the beacon that renews it`);
  require(r.fd_check_interval_seconds < r.fd_lease_seconds, 'replication', 'fd_check_interval_seconds',
    `fd_check_interval_seconds (${r.fd_check_interval_seconds}) must be less than fd_lease_seconds (${r.fd_lease_seconds})`);
  require(r.fd_lease_seconds < r.fd_grace_seconds, 'replication', 'fd_lease_seconds',
    `fd_lease_seconds (${r.fd_lease_seconds}) must be less than fd_grace_seconds (${r.fd_grace_seconds}): a replica server must stop serving before the meta declares it dead`);
  require(r.staleness_for_commit <= r.max_mutation_count_in_prepare_list, 'replication', 'staleness_for_commit',
    `staleness_for_commit (${r.staleness_for_commit}) must not exceed max_mutation_count_in_prepare_list (${r.max_mutation_count_in_prepare_list}): in-flight decrees must fit the prepare list`);
  const tags = r.data_dirs.map((item) => item.split(':')[0]!.trim());
  const paths = r.data_dirs.map((item) => item.split(':')[1]!.trim());
  require(duplicates(tags).length === 0, 'replication', 'data_dirs', `tag ${duplicates(tags).join(', ')} is used twice`);
  require(duplicates(paths).length === 0, 'replication', 'data_dirs', `path ${duplicates(paths).join(', ')} is used twice`);

  const s = values['pegasus.server'];
  require(s.rocksdb_level0_file_num_compaction_trigger <= s.rocksdb_level0_slowdown_writes_trigger &&
    s.rocksdb_level0_slowdown_writes_trigger <= s.rocksdb_level0_stop_writes_trigger, 'pegasus.server', 'rocksdb_level0_slowdown_writes_trigger',
    `level0 triggers must be ordered compaction (${s.rocksdb_level0_file_num_compaction_trigger}) <= slowdown (${s.rocksdb_level0_slowdown_writes_trigger}) <= stop (${s.rocksdb_level0_stop_writes_trigger})`);
  require(s.rocksdb_format_version === 2 || s.rocksdb_format_version === 5, 'pegasus.server', 'rocksdb_format_version',
    `rocksdb_format_version must be 2 or 5, got ${s.rocksdb_format_version}`);

  const m = values.meta_server;
  require(m.min_allowed_replica_count <= m.max_allowed_replica_count, 'meta_server', 'min_allowed_replica_count',
    `min_allowed_replica_count (${m.min_allowed_replica_count}) exceeds max_allowed_replica_count (${m.max_allowed_replica_count})`);
  require(m.server_list.length > 0, 'meta_server', 'server_list', 'no meta server listed');
  require(duplicates(m.server_list).length === 0, 'meta_server', 'server_list', `${duplicates(m.server_list).join(', ')} listed twice`);
  if (role === 'meta' && m.server_list.length > 1) {
    // The simple lock and store live in one process: two metas would each elect themselves.
    require(m.distributed_lock_service_type !== 'distributed_lock_service_simple', 'meta_server', 'distributed_lock_service_type',
      `distributed_lock_service_simple is process-local and cannot elect one leader among ${m.server_list.length} meta servers; use distributed_lock_service_zookeeper`);
    require(m.meta_state_service_type !== 'meta_state_service_simple', 'meta_server', 'meta_state_service_type',
      `meta_state_service_simple is a local file and cannot be shared by ${m.server_list.length} meta servers; use meta_state_service_zookeeper`);
  }

  const group = values['duplication-group'];
  const ids = Object.values(group).map(String);
  require(duplicates(ids).length === 0, 'duplication-group', undefined, `cluster id ${duplicates(ids).join(', ')} is given to two clusters`);
  require(Object.keys(group).length === 0 || r.cluster_name in group, 'duplication-group', undefined,
    `this cluster ([replication] cluster_name = ${r.cluster_name}) has no id in [duplication-group]`);

  for (const [name, table] of Object.entries(values['meta_server.apps'])) {
    const section = `meta_server.apps.${name}`;
    const why = TABLE_PARTITION_COUNT_CHECK(table.partition_count);
    require(why === undefined, section, 'partition_count', `partition_count ${why ?? ''}`);
    require(table.max_replica_count >= m.min_allowed_replica_count && table.max_replica_count <= m.max_allowed_replica_count,
      section, 'max_replica_count',
      `max_replica_count ${table.max_replica_count} is outside [meta_server] min/max_allowed_replica_count ${m.min_allowed_replica_count}..${m.max_allowed_replica_count}`);
  }
  return out;
}
