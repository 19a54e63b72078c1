/** The `pegasus` executable as a user runs it: version, config printing, and honest "not yet" answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('--version prints the package version', () => {
  const result = run('--version');
  assert.equal(result.status, 0);
  assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('--print-config shows every effective value and where it came from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pegasus-cli-'));
  try {
    const ini = join(dir, 'replica.ini');
    writeFileSync(ini, '[replication]\nplog_force_flush = true\nno_such_key = 1\n');
    const result = run('replica', '--config', ini, '--profile', 'test', '--print-config');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /plog_force_flush = true\s+; file/);
    assert.match(result.stdout, /fd_lease_seconds = 3\s+; profile/);
    assert.match(result.stdout, /rocksdb_write_buffer_size = 67108864\s+; default/);
    assert.match(result.stderr, /no_such_key/, 'unknown keys are reported');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad configuration is refused with the file, line and reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pegasus-cli-'));
  try {
    const ini = join(dir, 'meta.ini');
    writeFileSync(ini, '[replication]\nfd_lease_seconds = 30\n');
    const result = run('meta', '--config', ini, '--print-config');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /meta\.ini:2: error: \[replication\] fd_lease_seconds/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a meta configured for ZooKeeper (upstream\'s shipped default) says the store is not available yet', () => {
  const result = run('meta');
  assert.equal(result.status, 1);
  assert.match(result.stderr, /ERR_NOT_IMPLEMENTED: .*meta_state_service_zookeeper.*ZooKeeper/);
});

test('pegasus bench refuses bad parameters with one line and exit 1, before starting anything', () => {
  for (const [args, pattern] of [
    [['--workloads', 'A,Z'], /--workloads: unknown Z; choose from A, B, C, D, E, F/],
    [['--systems', 'mongodb'], /--systems: unknown mongodb/],
    [['--concurrency', '0'], /--concurrency must be an integer/],
    [['--field-count', '1000', '--field-length', '10000'], /within 1 MiB/],
  ] as const) {
    const result = run('bench', ...args);
    assert.equal(result.status, 1, args.join(' '));
    assert.match(result.stderr, /^ERR_INVALID_PARAMETERS: /);
    assert.match(result.stderr, pattern);
  }
});
