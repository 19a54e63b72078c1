/** The test profile: short timers for process tests, and the relationships that keep them safe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../src/server/config/index.ts';

test('the test profile shortens the timers process tests wait on', () => {
  const { config, warnings } = parseConfig('', { role: 'replica', profile: 'test' });
  const r = config.values.replication;
  assert.deepEqual(warnings, []);
  assert.equal(config.profile, 'test');
  assert.deepEqual([r.fd_beacon_interval_seconds, r.fd_lease_seconds, r.fd_grace_seconds], [1, 3, 4]);
  assert.equal(r.fd_check_interval_seconds, 1);
  assert.equal(config.values.meta_server.replica_assign_delay_ms_for_dropouts, 3000);
  assert.equal(r.group_check_interval_ms, 1000);
  assert.equal(r.checkpoint_interval_seconds, 5);
  assert.equal(r.config_sync_interval_ms, 1000);
  assert.equal(r.lb_interval_ms, 1000);
  assert.equal(config.origins['replication']?.['fd_lease_seconds'], 'profile');
  // Keys the profile does not touch keep upstream's defaults.
  assert.equal(r.prepare_timeout_ms_for_secondaries, 3000);
  assert.equal(config.origins['replication']?.['prepare_timeout_ms_for_secondaries'], 'default');
});

test('the test profile itself keeps beacon < lease < grace and check < lease', () => {
  const { config } = parseConfig('', { role: 'meta', profile: 'test' });
  const r = config.values.replication;
  assert.ok(r.fd_beacon_interval_seconds < r.fd_lease_seconds);
  assert.ok(r.fd_check_interval_seconds < r.fd_lease_seconds);
  assert.ok(r.fd_lease_seconds < r.fd_grace_seconds);
});

test('the file wins over the test profile', () => {
  const { config } = parseConfig('[replication]\nfd_grace_seconds = 6\ngroup_check_interval_ms = 500\n', { role: 'replica', profile: 'test' });
  assert.equal(config.values.replication.fd_grace_seconds, 6);
  assert.equal(config.values.replication.group_check_interval_ms, 500);
  assert.equal(config.values.replication.fd_lease_seconds, 3);
  assert.equal(config.origins['replication']?.['fd_grace_seconds'], 'file');
});

function relationErrors(text: string, profile: 'production' | 'test'): string[] {
  try {
    parseConfig(text, { role: 'replica', profile, sourceName: 'r.ini' });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.filter((p) => p.severity === 'error').map((p) => `${p.where} ${p.key ?? ''}: ${p.message}`);
  }
  return [];
}

test('a lease not shorter than the grace period is refused, naming both values', () => {
  // Over the test profile's grace of 4 s.
  assert.deepEqual(relationErrors('[replication]\nfd_lease_seconds = 4\n', 'test'), [
    'r.ini:2 fd_lease_seconds: fd_lease_seconds (4) must be less than fd_grace_seconds (4): a replica server must stop serving before the meta declares it dead',
  ]);
  // Over production's grace of 22 s.
  assert.equal(relationErrors('[replication]\nfd_lease_seconds = 30\n', 'production').length, 1);
});

test('a beacon not shorter than the lease, or a check period as long as it, is refused', () => {
  assert.deepEqual(relationErrors('[replication]\nfd_beacon_interval_seconds = 3\nfd_check_interval_seconds = 3\n', 'test'), [
    'r.ini:2 fd_beacon_interval_seconds: fd_beacon_interval_seconds (3) must be less than fd_lease_seconds (3): a lease must outlive the beacon that renews it',
    'r.ini:3 fd_check_interval_seconds: fd_check_interval_seconds (3) must be less than fd_lease_seconds (3)',
  ]);
});

test('other relationships: prepare window, level-0 triggers, replica count bounds', () => {
  assert.deepEqual(relationErrors('[replication]\nstaleness_for_commit = 200\n', 'production').map((e) => e.split(':')[1]), [
    '2 staleness_for_commit',
  ]);
  assert.equal(relationErrors('[pegasus.server]\nrocksdb_level0_slowdown_writes_trigger = 70\n', 'production').length, 1);
  assert.equal(relationErrors('[pegasus.server]\nrocksdb_format_version = 3\n', 'production').length, 1);
  assert.equal(relationErrors('[meta_server]\nmin_allowed_replica_count = 6\n', 'production').length, 1);
  assert.deepEqual(relationErrors('[replication]\ndata_dirs = a:/d1,a:/d2\n', 'production').map((e) => e.split(': ')[1]), [
    'tag a is used twice',
  ]);
});
