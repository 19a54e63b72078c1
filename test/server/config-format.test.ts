/** `--print-config`: every effective value, marked by origin, readable back to the same configuration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEffectiveConfig, parseConfig, SCHEMA } from '../../src/server/config/index.ts';

const FILE = [
  '[apps.replica]',
  '  ports = 34802',
  '[core]',
  '  data_dir = /var/lib/pegasus; replica #2', // ';' and '#' must survive the round trip
  '[replication]',
  '  data_dirs = ssd1:/data/1,ssd2:/data/2',
  '  cluster_name = c1',
  '[network]',
  '  primary_interface = "  eth0 "', // spaces survive only when quoted
  '[meta_server]',
  '  server_list = h1:34601,h2:34601,h3:34601',
  '[meta_server.apps.temp]',
  '  partition_count = 8',
  '[meta_server.apps.stat]',
  '  app_name = stat',
  '  partition_count = 4',
  '[duplication-group]',
  '  c1 = 3',
  '  c2 = 4',
  '[pegasus.clusters]',
  '  c2 = r1:34601,r2:34601',
].join('\n');

test('formatEffectiveConfig round-trips through parseConfig to the same values', () => {
  for (const profile of ['production', 'test'] as const) {
    const { config } = parseConfig(FILE, { role: 'replica', profile, sourceName: 'in.ini' });
    const printed = formatEffectiveConfig(config, { descriptions: true });
    // Read back without the profile: the printed file alone carries every effective value.
    const { config: again, warnings } = parseConfig(printed, { role: 'replica', profile: 'production', sourceName: 'printed.ini' });
    assert.deepEqual(warnings, []);
    assert.deepEqual(again.values, config.values);
    assert.deepEqual(again.derived, config.derived);
  }
});

test('values with ; # and surrounding spaces come back unchanged', () => {
  const { config } = parseConfig(FILE, { role: 'replica' });
  assert.equal(config.values.core.data_dir, '/var/lib/pegasus');
  const { config: quoted } = parseConfig('[core]\ndata_dir = "/var/x; #2"\n[network]\nprimary_interface = "  eth0 "\n', { role: 'replica' });
  assert.equal(quoted.values.core.data_dir, '/var/x; #2');
  const { config: again } = parseConfig(formatEffectiveConfig(quoted), { role: 'replica' });
  assert.equal(again.values.core.data_dir, '/var/x; #2');
  assert.equal(again.values.network.primary_interface, '  eth0 ');
});

test('every key is printed once, marked default, profile or file', () => {
  const { config } = parseConfig('[replication]\nfd_grace_seconds = 5\n', { role: 'meta', profile: 'test', sourceName: 'm.ini' });
  const printed = formatEffectiveConfig(config);
  assert.match(printed, /role = meta, profile = test, file = m\.ini/);
  assert.match(printed, /^ {2}fd_grace_seconds = 5 +; file$/m);
  assert.match(printed, /^ {2}fd_lease_seconds = 3 +; profile$/m);
  assert.match(printed, /^ {2}prepare_timeout_ms_for_secondaries = 3000 +; default$/m);
  assert.match(printed, /^ {2}node_live_percentage_threshold_for_update = 50 +; default \(upstream code: 65\)$/m);
  const printedSections = printed.split(/^(?=\[)/m);
  for (const [section, keys] of Object.entries(SCHEMA)) {
    const body = printedSections.filter((part) => part.startsWith(`[${section}]\n`));
    assert.equal(body.length, 1, `section ${section} printed once`);
    for (const key of Object.keys(keys)) {
      const count = body[0]!.split('\n').filter((line) => line.trimStart().startsWith(`${key} = `)).length;
      assert.equal(count, 1, `${section}.${key} printed once`);
    }
  }
  assert.match(printed, /\[duplication-group\]\n {2}; empty: this cluster \(onebox\) has id 1/);
});
