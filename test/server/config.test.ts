/** Loading a process's INI: upstream's defaults, overrides from the file, warnings and refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPegasusError } from '../../src/base/error-code.ts';
import { ConfigError, loadConfig, parseConfig, type ConfigProblem } from '../../src/server/config/index.ts';

function refusal(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_INVALID_PARAMETERS');
    return error;
  }
  assert.fail('the configuration was accepted');
}

function errorsOf(error: ConfigError): ConfigProblem[] {
  return error.problems.filter((p) => p.severity === 'error');
}

test('defaults are the values of upstream\'s shipped production config.ini', () => {
  const { config, warnings } = loadConfig(undefined, { role: 'replica' });
  const v = config.values;
  assert.deepEqual(warnings, []);
  assert.equal(config.profile, 'production');
  assert.equal(v['apps.meta'].ports, 34601);
  assert.equal(v['apps.replica'].ports, 34801);
  assert.equal(v.core.logging_start_level, 'LOG_LEVEL_INFO');
  assert.equal(v.meta_server.meta_state_service_type, 'meta_state_service_zookeeper');
  assert.equal(v.meta_server.distributed_lock_service_type, 'distributed_lock_service_zookeeper');
  assert.equal(v.meta_server.server_load_balancer_type, 'greedy_load_balancer');
  assert.equal(v.meta_server.min_live_node_count_for_unfreeze, 3);
  assert.equal(v.meta_server.node_live_percentage_threshold_for_update, 50); // code: 65
  assert.equal(v.meta_server.replica_assign_delay_ms_for_dropouts, 600000);
  assert.equal(v.meta_server.hold_seconds_for_dropped_app, 604800);
  assert.equal(v.meta_server.add_secondary_enable_flow_control, true); // code: false
  assert.equal(v.meta_server.max_replicas_in_group, 3); // code: 4
  assert.equal(v.meta_server.recover_from_replica_server, false);
  assert.equal(v.replication.mutation_2pc_min_replica_count, 2);
  assert.equal(v.replication.max_mutation_count_in_prepare_list, 110);
  assert.equal(v.replication.staleness_for_commit, 20);
  assert.equal(v.replication.prepare_timeout_ms_for_secondaries, 3000);
  assert.equal(v.replication.prepare_timeout_ms_for_potential_secondaries, 5000);
  assert.equal(v.replication.group_check_interval_ms, 100000); // code: 10000
  assert.equal(v.replication.checkpoint_interval_seconds, 300);
  assert.equal(v.replication.checkpoint_max_interval_hours, 2);
  assert.deepEqual(
    [v.replication.fd_check_interval_seconds, v.replication.fd_beacon_interval_seconds, v.replication.fd_lease_seconds, v.replication.fd_grace_seconds],
    [2, 3, 20, 22],
  );
  assert.equal(v.replication.log_private_file_size_mb, 32);
  assert.equal(v.replication.log_private_reserve_max_size_mb, 1000);
  assert.equal(v.replication.log_private_reserve_max_time_seconds, 36000);
  assert.equal(v.replication.plog_force_flush, false);
  assert.equal(v.replication.config_sync_interval_ms, 30000);
  assert.equal(v.replication.lb_interval_ms, 10000);
  assert.equal(v.replication.learn_app_max_concurrent_count, 5);
  assert.equal(v.replication.max_allowed_write_size, 1 << 20);
  assert.equal(v['pegasus.server'].rocksdb_write_buffer_size, 67108864);
  assert.equal(v['pegasus.server'].rocksdb_max_write_buffer_number, 3);
  assert.equal(v['pegasus.server'].rocksdb_max_background_flushes, 4);
  assert.equal(v['pegasus.server'].rocksdb_max_background_compactions, 12);
  assert.equal(v['pegasus.server'].rocksdb_target_file_size_base, 67108864);
  assert.equal(v['pegasus.server'].rocksdb_max_bytes_for_level_base, 671088640);
  assert.equal(v['pegasus.server'].rocksdb_block_cache_capacity, 10737418240);
  assert.equal(v['pegasus.server'].rocksdb_compression_type, 'lz4');
  assert.equal(v['pegasus.server'].rocksdb_max_iteration_count, 1000);
  assert.equal(v['pegasus.server'].rocksdb_multi_get_max_iteration_count, 3000);
  assert.equal(v['pegasus.server'].rocksdb_multi_get_max_iteration_size, 31457280);
  assert.equal(v['pegasus.server'].rocksdb_iteration_threshold_time_ms, 30000);
  assert.equal(v['pegasus.server'].checkpoint_reserve_min_count, 2);
  assert.equal(v['pegasus.server'].checkpoint_reserve_time_seconds, 1800);
  assert.equal(v['pegasus.server'].rocksdb_verbose_log, false);
  // architecture.md §8: the local cluster's id defaults to 1.
  assert.deepEqual(v['duplication-group'], {});
  assert.equal(config.derived.localClusterId, 1);
  assert.equal(config.derived.port, 34801);
  assert.deepEqual(config.derived.dataDirs, [{ tag: 'default', path: './data' }]);
  assert.deepEqual(config.derived.metaServers, [{ host: '127.0.0.1', port: 34601 }]);
});

test('values from the file override defaults and are marked as coming from the file', () => {
  const text = [
    '[apps.meta]',
    '  ports = 34602',
    '[meta_server]',
    '  server_list = host1:34601, host2:34601,host3:34601',
    '  node_live_percentage_threshold_for_update = 65',
    '  add_secondary_enable_flow_control = FALSE',
    '[replication]',
    '  data_dirs = ssd1:/data/ssd1,ssd2:/data/ssd2',
    '  max_allowed_write_size = 2M',
    '  fd_lease_seconds = 9 ; inline comments are comments',
    '  fd_grace_seconds = 10',
    '[pegasus.server]',
    '  rocksdb_block_cache_capacity = 1073741824',
    '  rocksdb_compression_type = per_level:none,none,lz4',
    '[meta_server.apps.temp]',
    '  app_name = temp',
    '  partition_count = 8',
    '[duplication-group]',
    '  onebox = 1',
    '  onebox2 = 2',
    '[pegasus.clusters]',
    '  onebox2 = 0.0.0.0:35601',
  ].join('\n');
  const { config, warnings } = parseConfig(text, { role: 'meta', sourceName: 'meta.ini' });
  const v = config.values;
  assert.deepEqual(warnings, []);
  assert.equal(config.derived.port, 34602);
  assert.deepEqual(v.meta_server.server_list, ['host1:34601', 'host2:34601', 'host3:34601']);
  assert.equal(v.meta_server.node_live_percentage_threshold_for_update, 65);
  assert.equal(v.meta_server.add_secondary_enable_flow_control, false);
  assert.equal(v.replication.max_allowed_write_size, 2 * 1024 * 1024);
  assert.equal(v.replication.fd_lease_seconds, 9);
  assert.equal(v['pegasus.server'].rocksdb_block_cache_capacity, 1 << 30);
  assert.equal(v['pegasus.server'].rocksdb_compression_type, 'per_level:none,none,lz4');
  assert.deepEqual(v['meta_server.apps'], {
    temp: { app_name: 'temp', app_type: 'pegasus', partition_count: 8, max_replica_count: 3, stateful: true },
  });
  assert.deepEqual(v['duplication-group'], { onebox: 1, onebox2: 2 });
  assert.deepEqual(v['pegasus.clusters'], { onebox2: ['0.0.0.0:35601'] });
  assert.equal(config.derived.localClusterId, 1);
  assert.deepEqual(config.derived.dataDirs, [{ tag: 'ssd1', path: '/data/ssd1' }, { tag: 'ssd2', path: '/data/ssd2' }]);
  assert.equal(config.origins['replication']?.['fd_lease_seconds'], 'file');
  assert.equal(config.origins['replication']?.['fd_beacon_interval_seconds'], 'default');
  assert.equal(config.origins['meta_server.apps.temp']?.['partition_count'], 'file');
});

test('the loaded config is frozen all the way down', () => {
  const { config } = loadConfig({ text: '[meta_server.apps.temp]\npartition_count = 4\n' }, { role: 'meta' });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.values.replication));
  assert.ok(Object.isFrozen(config.values.meta_server.server_list));
  assert.ok(Object.isFrozen(config.values['meta_server.apps']['temp']));
  assert.equal(Reflect.set(config.values.replication, 'fd_lease_seconds', 1), false);
  assert.equal(config.values.replication.fd_lease_seconds, 20);
});

test('unknown keys and sections are reported with file:line, and the process still starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pegasus-config-'));
  try {
    const path = join(dir, 'config.ini');
    writeFileSync(path, [
      '[apps..default]', //                1: upstream section we do not read
      '  run = true',
      '[replication]', //                  3
      '  fd_lease_secs = 5', //            4: a typo
      '  staleness_for_commit = 10', //    5
      '  staleness_for_commit = 12', //    6: repeated, the last wins
      '[threadpool.THREAD_POOL_FD]', //    7
      '  worker_count = 2',
      '[my_section]', //                   9
      '  x = 1',
      '[apps.replica]', //                11
      '  pools = THREAD_POOL_DEFAULT', // 12: rDSN's thread pools, meaningless here
    ].join('\n'));
    const { config, warnings } = loadConfig({ path }, { role: 'replica' });
    assert.equal(config.values.replication.staleness_for_commit, 12);
    assert.equal(config.values.replication.fd_lease_seconds, 20);
    assert.ok(warnings.every((w) => w.severity === 'warning'));
    const seen = warnings.map((w) => [w.where, w.section, w.key ?? null]);
    assert.deepEqual(seen, [
      [`${path}:1`, 'apps..default', null],
      [`${path}:4`, 'replication', 'fd_lease_secs'],
      [`${path}:6`, 'replication', 'staleness_for_commit'],
      [`${path}:7`, 'threadpool.THREAD_POOL_FD', null],
      [`${path}:9`, 'my_section', null],
      [`${path}:12`, 'apps.replica', 'pools'],
    ]);
    assert.match(warnings[1]!.message, /unknown key/);
    assert.match(warnings[2]!.message, /last value \(line 6\) wins/);
    assert.match(warnings[3]!.message, /upstream section not used/);
    assert.match(warnings[4]!.message, /unknown section/);
    assert.match(warnings[5]!.message, /upstream key not used/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('values of the wrong type or out of range refuse to start, each named with its line', () => {
  const error = refusal(() => parseConfig([
    '[apps.replica]',
    '  ports = 70000',
    '[replication]',
    '  staleness_for_commit = twenty',
    '  plog_force_flush = yes',
    '  max_allowed_write_size = 1 megabyte',
    '  data_dirs = /no/tag',
    '[meta_server]',
    '  server_list = %{meta.server.list}',
    '  meta_state_service_type = meta_state_service_etcd',
    '[duplication-group]',
    '  far = 128',
  ].join('\n'), { role: 'replica', sourceName: 'bad.ini' }));
  const errors = errorsOf(error).map((p) => [p.where, p.key]);
  assert.deepEqual(errors, [
    ['bad.ini:2', 'ports'],
    ['bad.ini:4', 'staleness_for_commit'],
    ['bad.ini:5', 'plog_force_flush'],
    ['bad.ini:6', 'max_allowed_write_size'],
    ['bad.ini:7', 'data_dirs'],
    ['bad.ini:9', 'server_list'],
    ['bad.ini:10', 'meta_state_service_type'],
    ['bad.ini:12', 'far'],
  ]);
  assert.match(error.message, /^ERR_INVALID_PARAMETERS: invalid configuration \(8 errors\)/);
  assert.match(error.message, /bad\.ini:2: error: \[apps\.replica\] ports: 70000 is above the maximum 65535/);
  assert.match(error.message, /staleness_for_commit: expected an integer, got 'twenty'/);
  assert.match(error.message, /plog_force_flush: expected true or false, got 'yes'/);
  assert.match(error.message, /'\/no\/tag' is not tag:path/);
  assert.match(error.message, /unexpanded %\{\.\.\.\} placeholder/);
  assert.match(error.message, /'meta_state_service_etcd' is not one of meta_state_service_zookeeper, meta_state_service_simple/);
  assert.match(error.message, /far: 128 is above the maximum 127/);
});

test('tables, cluster ids and meta elections are checked together', () => {
  const tables = refusal(() => parseConfig('[meta_server.apps.temp]\npartition_count = 6\nmax_replica_count = 7\n', { role: 'meta' }));
  assert.deepEqual(errorsOf(tables).map((p) => p.message), [
    'partition_count 6 is not a power of two',
    'max_replica_count 7 is outside [meta_server] min/max_allowed_replica_count 1..5',
  ]);
  const ids = refusal(() => parseConfig('[duplication-group]\na = 1\nb = 1\n', { role: 'replica' }));
  assert.deepEqual(errorsOf(ids).map((p) => p.message), [
    'cluster id 1 is given to two clusters',
    'this cluster ([replication] cluster_name = onebox) has no id in [duplication-group]',
  ]);
  const { config } = parseConfig('[replication]\ncluster_name = c2\n[duplication-group]\nc1 = 1\nc2 = 7\n', { role: 'replica' });
  assert.equal(config.derived.localClusterId, 7);
  const election = refusal(() => parseConfig([
    '[meta_server]',
    'server_list = h:34601,h:34602',
    'distributed_lock_service_type = distributed_lock_service_simple',
  ].join('\n'), { role: 'meta' }));
  assert.match(errorsOf(election)[0]!.message, /process-local and cannot elect one leader among 2 meta servers/);
  // The same file is fine for a replica server, which never takes the lock.
  assert.doesNotThrow(() => parseConfig('[meta_server]\nserver_list = h:34601,h:34602\ndistributed_lock_service_type = distributed_lock_service_simple\n', { role: 'replica' }));
});

test('a missing file is ERR_PATH_NOT_FOUND', () => {
  assert.throws(
    () => loadConfig({ path: join(tmpdir(), 'no-such-dir-pegasus', 'config.ini') }, { role: 'meta' }),
    (error: unknown) => isPegasusError(error, 'ERR_PATH_NOT_FOUND') && /cannot read config file/.test(error.message),
  );
});
