/**
 * Every configuration key pegasus-ts reads, with upstream's section and key names (so an operator's
 * `config.ini` and upstream's docs carry over). Defaults are the values of upstream's shipped production
 * `src/server/config.ini` (apache/incubator-pegasus); where upstream's code default differs, `codeDefault`
 * records it. Where the shipped file holds a deployment placeholder (`%{cluster.name}`, `%{meta.server.list}`,
 * ...), the default is the onebox's value (`src/server/config.min.ini`) so that a bare process starts.
 *
 * Sections whose keys are names chosen by the operator (`[duplication-group]`, `[pegasus.clusters]`,
 * `[meta_server.apps.<table>]`) are declared in dynamic-sections.ts.
 */
import { checkHostPort } from './host-port.ts';
import { bool, int, list, size, str, type KeySpec, type ValueOf } from './key-spec.ts';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const PORT = { min: 1, max: 65535 };
const PERCENT = { min: 0, max: 100 };

/** upstream's `LOG_LEVEL_*` names (`[core] logging_start_level`). */
export const UPSTREAM_LOG_LEVELS = [
  'LOG_LEVEL_DEBUG',
  'LOG_LEVEL_INFO',
  'LOG_LEVEL_WARNING',
  'LOG_LEVEL_ERROR',
  'LOG_LEVEL_FATAL',
] as const;
export type UpstreamLogLevel = (typeof UPSTREAM_LOG_LEVELS)[number];

const COMPRESSIONS = ['none', 'snappy', 'zstd', 'lz4'];

/** `none|snappy|zstd|lz4` for every level, or `per_level:<type>,<type>,...` as upstream accepts. */
function checkCompression(value: string): string | undefined {
  const perLevel = value.startsWith('per_level:');
  const types = perLevel ? value.slice('per_level:'.length).split(',') : [value];
  const bad = types.filter((t) => !COMPRESSIONS.includes(t.trim()));
  if (bad.length === 0 && types.length > 0) return undefined;
  return `expected one of ${COMPRESSIONS.join('|')} or per_level:<type>,<type>,...`;
}

/** `tag:path`, one per disk (upstream's `get_data_dir_and_tag`). */
function checkDataDir(item: string): string | undefined {
  const parts = item.split(':');
  if (parts.length !== 2 || parts[0]!.trim() === '' || parts[1]!.trim() === '') {
    return `'${item}' is not tag:path`;
  }
  return undefined;
}

export const SCHEMA = {
  'apps.meta': {
    ports: int(34601, 'RPC and HTTP port of a meta server (one port for both)', PORT),
  },
  'apps.replica': {
    ports: int(34801, 'RPC and HTTP port of a replica server (one port for both)', PORT),
  },
  network: {
    primary_interface: str('', 'network interface whose address this process advertises; empty = the first non-loopback one'),
  },
  core: {
    data_dir: str('./data', 'root directory of this process\'s data (upstream ships the %{app.dir} placeholder)'),
    logging_start_level: str('LOG_LEVEL_INFO', 'lowest level written to the log; PEGASUS_LOG_LEVEL overrides it', {
      choices: UPSTREAM_LOG_LEVELS,
    }),
  },
  meta_server: {
    server_list: list(['127.0.0.1:34601'], 'every meta server of the cluster, host:port (shipped %{meta.server.list}; onebox\'s first meta)', {
      checkItem: checkHostPort,
      codeDefault: 'empty',
    }),
    cluster_root: str('/pegasus/onebox', 'root path of this cluster\'s metadata in the meta state store (shipped /pegasus/%{cluster.name})'),
    distributed_lock_service_type: str('distributed_lock_service_zookeeper', 'leader lock: ZooKeeper, or the process-local simple lock (one meta only)', {
      choices: ['distributed_lock_service_zookeeper', 'distributed_lock_service_simple'],
    }),
    distributed_lock_service_parameters: str('/pegasus/onebox/lock', 'lock root path (shipped /pegasus/%{cluster.name}/lock)'),
    meta_state_service_type: str('meta_state_service_zookeeper', 'metadata store: ZooKeeper, or the embedded append-only file', {
      choices: ['meta_state_service_zookeeper', 'meta_state_service_simple'],
    }),
    meta_state_service_parameters: str('', 'extra parameters of the metadata store'),
    meta_function_level_on_start: str('steady', 'function level after election: steady cures, lively also balances', {
      choices: ['stopped', 'blind', 'freezed', 'steady', 'lively'],
    }),
    min_live_node_count_for_unfreeze: int(3, 'below this many alive replica servers the meta freezes (no cure, no reconfiguration)', { min: 1 }),
    node_live_percentage_threshold_for_update: int(50, 'below this percentage of alive replica servers the meta freezes', {
      ...PERCENT,
      codeDefault: '65',
    }),
    recover_from_replica_server: bool(false, 'rebuild metadata from the replicas the replica servers report (DDD recovery)'),
    hold_seconds_for_dropped_app: int(604800, 'seconds a dropped table stays recallable before its data is removed', { min: 0 }),
    add_secondary_enable_flow_control: bool(true, 'limit how many secondaries are added to one node at a time', { codeDefault: 'false' }),
    add_secondary_max_count_for_one_node: int(20, 'with flow control, the most secondaries added to one node at a time', {
      min: 1,
      codeDefault: '10',
    }),
    stable_rs_min_running_seconds: int(600, 'a replica server up for less than this is unstable (flapping protection)', { min: 0 }),
    max_succssive_unstable_restart: int(5, 'unstable restarts before a replica server is kept out (upstream\'s spelling)', { min: 1 }),
    server_load_balancer_type: str('greedy_load_balancer', 'load balancer implementation', { choices: ['greedy_load_balancer'] }),
    partition_guardian_type: str('partition_guardian', 'implementation that keeps partitions fully replicated', { choices: ['partition_guardian'] }),
    // Older upstream code defaulted to 300000; current code and the shipped ini agree on 600000.
    replica_assign_delay_ms_for_dropouts: int(600000, 'wait this long for a dropped secondary to come back before adding a new one', { min: 0 }),
    max_replicas_in_group: int(3, 'most replicas (alive and dropped) remembered per partition', { min: 1, codeDefault: '4' }),
    max_reserved_dropped_replicas: int(0, 'dropped replicas kept in the history beyond max_replica_count', { min: 0, codeDefault: '1' }),
    balancer_in_turn: bool(false, 'balance tables one after another instead of all at once'),
    only_primary_balancer: bool(false, 'balance primaries only'),
    only_move_primary: bool(false, 'balance by moving primaries only, never copying data'),
    min_allowed_replica_count: int(1, 'smallest max_replica_count a table may have (not in the shipped ini)', { min: 1 }),
    max_allowed_replica_count: int(5, 'largest max_replica_count a table may have (not in the shipped ini)', { min: 1 }),
  },
  replication: {
    data_dirs: list([], 'replica data directories, tag:path, one per disk; empty = <core.data_dir> (shipped %{data.dirs})', {
      checkItem: checkDataDir,
    }),
    cluster_name: str('onebox', 'this cluster\'s name; its [duplication-group] id goes into every timetag (shipped %{cluster.name})'),
    duplication_enabled: bool(true, 'whether duplication (hot backup) may run (not in the shipped ini)'),
    mutation_2pc_min_replica_count: int(2, 'fewest alive members to accept a write; <= 0 derives it from the table\'s max_replica_count'),
    max_mutation_count_in_prepare_list: int(110, 'window of the prepare list', { min: 1 }),
    staleness_for_commit: int(20, 'most decrees in 2PC flight at once', { min: 1 }),
    prepare_timeout_ms_for_secondaries: int(3000, 'prepare RPC timeout towards secondaries', { min: 1 }),
    prepare_timeout_ms_for_potential_secondaries: int(5000, 'prepare RPC timeout towards learners', { min: 1 }),
    batch_write_disabled: bool(false, 'do not batch single writes into one mutation'),
    max_allowed_write_size: size(1 * MIB, 'a larger write request body is rejected with ERR_INVALID_DATA; 0 = no check (not in the shipped ini)', {
      min: 0,
    }),
    empty_write_disabled: bool(false, 'primaries do not send the idle empty write (it rides on the group check period; upstream has no separate interval)'),
    group_check_disabled: bool(false, 'primaries do not check their secondaries'),
    group_check_interval_ms: int(100000, 'period of the primary\'s group check (and of the idle empty write)', { min: 1, codeDefault: '10000' }),
    checkpoint_disabled: bool(false, 'never checkpoint replicas'),
    checkpoint_interval_seconds: int(300, 'period of the per-replica checkpoint and plog GC timer', { min: 1 }),
    checkpoint_max_interval_hours: int(2, 'a checkpoint is forced when none was taken for this long', { min: 1 }),
    gc_interval_ms: int(30000, 'period of replica statistics (the name keeps upstream\'s legacy \'gc\')', { min: 1 }),
    gc_memory_replica_interval_ms: int(600000, 'closed replicas are kept in memory this long for cheap reuse', { min: 0 }),
    gc_disk_error_replica_interval_seconds: int(86400, '*.err replica directories are removed after this long', {
      min: 0,
      codeDefault: '604800',
    }),
    gc_disk_garbage_replica_interval_seconds: int(86400, '*.gar replica directories are removed after this long', { min: 0 }),
    disk_min_available_space_ratio: int(10, 'a disk with less available space (percent) is insufficient (not in the shipped ini)', PERCENT),
    reject_write_when_disk_insufficient: bool(true, 'primaries reject writes when a disk of the group is insufficient (not in the shipped ini)'),
    fd_disabled: bool(false, 'disable the failure detector (tests only: nodes are never declared dead)'),
    fd_check_interval_seconds: int(2, 'period of the failure detector\'s liveness check', { min: 1 }),
    fd_beacon_interval_seconds: int(3, 'period of the replica server\'s beacon to the meta leader', { min: 1 }),
    fd_lease_seconds: int(20, 'a replica server stops serving when its lease is this old without an acked beacon', { min: 1 }),
    fd_grace_seconds: int(22, 'the meta declares a replica server dead after this long without a beacon; must exceed the lease', {
      min: 1,
    }),
    log_private_file_size_mb: int(32, 'a plog file rolls at this size', { min: 1 }),
    log_private_reserve_max_size_mb: int(1000, 'useless plog kept up to this size (when the time limit also holds)', { min: 0 }),
    log_private_reserve_max_time_seconds: int(36000, 'useless plog kept up to this age (when the size limit also holds)', { min: 0 }),
    plog_force_flush: bool(false, 'fdatasync the plog before acknowledging each write'),
    config_sync_disabled: bool(false, 'replica servers do not sync configuration with the meta'),
    config_sync_interval_ms: int(30000, 'period of the replica server\'s config sync with the meta', { min: 1 }),
    lb_interval_ms: int(10000, 'period of the meta\'s cure and balance pass (read by the meta from [replication])', { min: 1 }),
    learn_app_max_concurrent_count: int(5, 'most replicas learning a checkpoint at once per replica server', { min: 1 }),
  },
  'pegasus.server': {
    rocksdb_verbose_log: bool(false, 'log every RocksDB read and write at debug level'),
    rocksdb_write_buffer_size: size(64 * MIB, 'RocksDB write_buffer_size (memtable)', { min: 1 }),
    rocksdb_max_write_buffer_number: int(3, 'RocksDB max_write_buffer_number', { min: 1 }),
    rocksdb_max_background_flushes: int(4, 'RocksDB flush threads, shared by all replicas of the process', { min: 1 }),
    rocksdb_max_background_compactions: int(12, 'RocksDB compaction threads, shared by all replicas of the process', { min: 1 }),
    rocksdb_num_levels: int(6, 'RocksDB num_levels', { min: 1 }),
    rocksdb_target_file_size_base: size(64 * MIB, 'RocksDB target_file_size_base', { min: 1 }),
    rocksdb_target_file_size_multiplier: int(1, 'RocksDB target_file_size_multiplier', { min: 1 }),
    rocksdb_max_bytes_for_level_base: size(640 * MIB, 'RocksDB max_bytes_for_level_base (L1 size)', { min: 1 }),
    rocksdb_max_bytes_for_level_multiplier: int(10, 'RocksDB max_bytes_for_level_multiplier', { min: 1 }),
    rocksdb_level0_file_num_compaction_trigger: int(4, 'RocksDB level0_file_num_compaction_trigger', { min: 1 }),
    rocksdb_level0_slowdown_writes_trigger: int(30, 'RocksDB level0_slowdown_writes_trigger', { min: 1 }),
    rocksdb_level0_stop_writes_trigger: int(60, 'RocksDB level0_stop_writes_trigger', { min: 1 }),
    rocksdb_compression_type: str('lz4', 'RocksDB compression: none|snappy|zstd|lz4, or per_level:<type>,...', { check: checkCompression }),
    rocksdb_disable_table_block_cache: bool(false, 'no block cache at all'),
    rocksdb_block_cache_capacity: size(10 * GIB, 'block cache shared by all replicas of the process', { min: 0 }),
    rocksdb_disable_bloom_filter: bool(false, 'no bloom filter'),
    rocksdb_filter_type: str('prefix', 'bloom filter over the hash key (prefix) or the whole key (common)', { choices: ['common', 'prefix'] }),
    rocksdb_bloom_filter_bits_per_key: int(10, 'bloom filter bits per key', { min: 1 }),
    rocksdb_format_version: int(2, 'SST format_version; only 2 and 5 are supported', { min: 2, max: 5 }),
    rocksdb_limiter_max_write_megabytes_per_sec: int(500, 'rate limit of flush and compaction, MB/s; <= 0 = none'),
    rocksdb_max_open_files: int(-1, 'open files per replica; -1 keeps every file open', { min: -1 }),
    rocksdb_max_iteration_count: int(1000, 'rows examined per scan batch before it returns', { min: 1 }),
    rocksdb_multi_get_max_iteration_count: int(3000, 'rows examined per multi_get before it returns incomplete', { min: 1 }),
    rocksdb_multi_get_max_iteration_size: size(30 * MIB, 'bytes read per multi_get before it returns incomplete; 0 = no check', { min: 0 }),
    rocksdb_iteration_threshold_time_ms: int(30000, 'a range read stops and returns incomplete after this long; 0 = no check', { min: 0 }),
    rocksdb_slow_query_threshold_ns: int(100000000, 'get/multi_get slower than this is logged', { min: 1 }),
    checkpoint_reserve_min_count: int(2, 'checkpoints kept at least (table env rocksdb.checkpoint.reserve_min_count overrides)', { min: 1 }),
    checkpoint_reserve_time_seconds: int(1800, 'checkpoints younger than this are kept; 0 = no age check', { min: 0 }),
  },
  zookeeper: {
    hosts_list: list(['127.0.0.1:22181'], 'ZooKeeper servers, host:port (shipped %{zk.server.list}; onebox 127.0.0.1:22181)', {
      checkItem: checkHostPort,
    }),
    timeout_ms: int(10000, 'ZooKeeper session timeout', { min: 1, codeDefault: '30000 (onebox 60000)' }),
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

export type Schema = typeof SCHEMA;
export type SectionName = keyof Schema;

/** The typed values of the fixed sections: `values.replication.fd_lease_seconds` is a number. */
export type FixedValues = {
  readonly [S in SectionName]: { readonly [K in keyof Schema[S]]: ValueOf<Schema[S][K]> };
};

/** Sections upstream's `config.ini` has that pegasus-ts does not read (reported once each, not per key). */
export const UPSTREAM_SECTIONS_NOT_USED: readonly RegExp[] = [
  /^apps\.\.default$/,
  /^apps\.(collector|mimic)$/,
  /^threadpool\./,
  /^task\./,
  /^tools\./,
  /^components\./,
  /^block_service\./,
  /^uri-resolver\./,
  /^(nfs|pegasus\.collector)$/,
];

const APP_KEYS = ['type', 'name', 'arguments', 'pools', 'run', 'count'];

/** Keys of upstream's `config.ini` in sections pegasus-ts reads that only rDSN's runtime needs. */
export const UPSTREAM_KEYS_NOT_USED: Readonly<Record<string, readonly string[]>> = {
  'apps.meta': APP_KEYS,
  'apps.replica': APP_KEYS,
  core: ['tool', 'toollets', 'pause_on_start', 'enable_default_app_mimic', 'tls_trans_memory_KB', 'tcmalloc_release_rate', 'logging_factory_name', 'logging_flush_on_exit'],
  network: ['io_service_worker_count', 'conn_threshold_per_ip'],
  zookeeper: ['logfile'],
};
