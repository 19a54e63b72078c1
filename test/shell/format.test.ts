/** Table, pair, JSON and byte formatting of the shell's output. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeBytes, formatEpochSeconds, formatJson, formatPairs, formatRecord, formatTable } from '../../src/shell/format.ts';
import { formatHelp } from '../../src/shell/commands.ts';
import { describeError } from '../../src/shell/errors.ts';
import { AdminError } from '../../src/shell/admin-client.ts';
import { UsageError } from '../../src/shell/args.ts';

test('formatTable pads columns to the widest cell and right-aligns numbers', () => {
  const text = formatTable(['app_id', 'app_name', 'status'], [[1, 'temp', 'AS_AVAILABLE'], [12, 'a_longer_name', 'AS_DROPPED']]);
  assert.equal(
    text,
    ['app_id  app_name       status', '     1  temp           AS_AVAILABLE', '    12  a_longer_name  AS_DROPPED', ''].join('\n'),
  );
  assert.equal(formatTable(['a'], []), 'a\n');
});

test('formatPairs aligns keys; formatJson turns bigints into strings', () => {
  assert.equal(formatPairs([['meta_servers', '127.0.0.1:34601'], ['cluster_name', 'onebox']]), 'meta_servers : 127.0.0.1:34601\ncluster_name : onebox\n');
  assert.equal(formatJson({ n: 5n }), '{\n  "n": "5"\n}\n');
});

test('escapeBytes shows text as text and everything else as \\xNN', () => {
  assert.equal(escapeBytes(Buffer.from('a"b\\c')), 'a\\"b\\\\c');
  assert.equal(escapeBytes(Buffer.from([0x00, 0x41, 0xff])), '\\x00A\\xff');
  assert.equal(escapeBytes(Buffer.from('é')), 'é');
  assert.equal(escapeBytes(Buffer.from('é'), true), '\\xc3\\xa9');
  assert.equal(formatRecord(Buffer.from('h'), Buffer.from('s'), Buffer.from('v')), '"h" : "s" => "v"');
  assert.equal(formatRecord(Buffer.from('h'), Buffer.from('s'), undefined), '"h" : "s"');
  assert.equal(formatEpochSeconds(0), '-');
  assert.equal(formatEpochSeconds(1_700_000_000), '2023-11-14 22:13:20');
});

test('help lists every command with its synopsis; errors are one line with their meaning', () => {
  const help = formatHelp();
  for (const name of ['cluster_info', 'multi_get_range', 'check_and_set', 'full_scan', 'del_app_envs', 'exit']) assert.match(help, new RegExp(`\\t${name}( |$)`, 'm'));
  assert.match(help, /multi_get_range\s+<hash_key> <start_sort_key> <stop_sort_key> \[-a\|--start_inclusive true\|false\]/);
  assert.equal(describeError(new AdminError('ERR_APP_NOT_EXIST', 'drop refused')), 'ERROR: ERR_APP_NOT_EXIST: drop refused (no such table)');
  assert.equal(describeError(new UsageError('missing arguments')), 'ERROR: missing arguments');
  assert.doesNotMatch(describeError(new TypeError('boom')), /\n/);
});
