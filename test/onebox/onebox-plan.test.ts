/** The onebox's defaults (pegasus-internals.md §1.3) and the INI each role gets, without starting anything. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { configTextOf } from '../../src/onebox/onebox-layout.ts';
import { planOnebox } from '../../src/onebox/onebox-plan.ts';
import { PegasusError } from '../../src/base/error-code.ts';

test('defaults: one meta on 34601, three replica servers on 34801-34803, temp with 8 partitions of 3 replicas, ./onebox', () => {
  const plan = planOnebox({});
  assert.equal(plan.dir, resolve('./onebox'));
  assert.deepEqual(plan.roles.map((r) => `${r.name}:${r.kind}:${r.port}`), ['meta1:meta:34601', 'replica1:replica:34801', 'replica2:replica:34802', 'replica3:replica:34803']);
  assert.equal(plan.appName, 'temp');
  assert.equal(plan.partitionCount, 8);
  assert.equal(plan.maxReplicaCount, 3);
  assert.equal(plan.waitHealthy, false);
});

test('a replica server\'s INI: its port, its data dir, the embedded store, the table and the onebox knobs', () => {
  const plan = planOnebox({ dir: '/tmp/box', replicaServerCount: '2', partitionCount: '4', appName: 'usertable', metaPort: '5000', replicaBasePort: '6000' });
  const replica2 = plan.roles[2];
  assert.ok(replica2 !== undefined);
  const ini = configTextOf(plan, replica2);
  for (const expected of [
    /\[apps\.meta\]\nports = 5000\n/,
    /\[apps\.replica\]\nports = 6001\n/,
    /data_dir = \/tmp\/box\/replica2\/data\n/,
    /server_list = 127\.0\.0\.1:5000\n/,
    /meta_state_service_type = meta_state_service_simple\n/,
    /distributed_lock_service_type = distributed_lock_service_simple\n/,
    /\[meta_server\.apps\.usertable\]\napp_name = usertable\npartition_count = 4\nmax_replica_count = 2\n/,
    /mutation_2pc_min_replica_count = 1\n/,
  ]) {
    assert.match(ini, expected);
  }
});

test('replicas per partition: 3 by default, as many as the servers when fewer, never more than the servers', () => {
  assert.equal(planOnebox({ replicaServerCount: '5' }).maxReplicaCount, 3);
  assert.equal(planOnebox({ replicaServerCount: '1' }).maxReplicaCount, 1, 'a one-server onebox can still be healthy');
  assert.equal(planOnebox({ replicaServerCount: '4', maxReplicaCount: '1' }).maxReplicaCount, 1);
  assert.equal(planOnebox({ replicaServerCount: '5', maxReplicaCount: '5' }).maxReplicaCount, 5);
});

test('bad values are refused with ERR_INVALID_PARAMETERS before anything is written', () => {
  const refused = (options: Parameters<typeof planOnebox>[0], message: RegExp) =>
    assert.throws(() => planOnebox(options), (e: unknown) => e instanceof PegasusError && e.code === 'ERR_INVALID_PARAMETERS' && message.test(e.message));
  refused({ replicaServerCount: '0' }, /--replica-server-count must be an integer in \[1, 64\]/);
  refused({ appName: 'a]b' }, /--app-name 'a\]b'/);
  refused({ metaPort: '34802' }, /--meta-port 34802 falls inside the replica ports 34801\.\.34803/);
  refused({ replicaServerCount: '2', maxReplicaCount: '3' }, /--max-replica-count 3 needs at least 3 replica servers, got --replica-server-count 2/);
  refused({ replicaServerCount: '9', maxReplicaCount: '6' }, /--max-replica-count must be an integer in \[1, 5\]/);
  refused({ maxReplicaCount: '0' }, /--max-replica-count must be an integer in \[1, 5\]/);
});
