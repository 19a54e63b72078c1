/** The shell's pure parts: script splitting, tokenizing with quotes and \xNN, flag parsing, completion, history bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, boolFlag, flag, intFlag, parseArgs } from '../../src/shell/args.ts';
import { parseEnvs } from '../../src/shell/commands-admin.ts';
import { checkTypeOf, filterTypeOf } from '../../src/shell/commands-data.ts';
import { complete, promptFor } from '../../src/shell/completion.ts';
import { boundHistory } from '../../src/shell/history.ts';
import { parseCluster } from '../../src/shell/main.ts';
import { ShellSyntaxError, argBytes, splitCommands, tokenize } from '../../src/shell/tokenize.ts';

test('splitCommands splits on ; and newlines but not inside quotes, and drops blanks and comments', () => {
  assert.deepEqual(splitCommands('ls -a; nodes\n\n# note\nset hk sk "a;b"'), ['ls -a', 'nodes', 'set hk sk "a;b"']);
});

test('tokenize honours quotes, escapes and \\xNN bytes', () => {
  assert.deepEqual(tokenize('set  hk "sk 1" \'v "x"\''), ['set', 'hk', 'sk 1', 'v "x"']);
  assert.deepEqual(tokenize('get "a\\"b" c\\ d ""'), ['get', 'a"b', 'c d', '']);
  const [, raw] = tokenize('get "\\xff\\x00"');
  assert.deepEqual([...argBytes(raw!)], [0xff, 0x00]);
  assert.deepEqual([...argBytes('é')], [0xc3, 0xa9]);
  assert.throws(() => tokenize('get "open'), ShellSyntaxError);
});

const SPECS = [flag('p', 'partition_count', true), flag('d', 'detailed'), flag('a', 'start_inclusive', true)];

test('parseArgs takes short, long and --x=y flags anywhere, and negative numbers as positionals', () => {
  const parsed = parseArgs(['t1', '-p', '8', '--detailed', '--start_inclusive=false', '-5'], SPECS);
  assert.deepEqual(parsed.positionals, ['t1', '-5']);
  assert.equal(intFlag(parsed, 'partition_count', 4), 8);
  assert.equal(parsed.flags.get('detailed'), 'true');
  assert.equal(boolFlag(parsed, 'start_inclusive', true), false);
  assert.deepEqual(parseArgs(['--', '-d'], SPECS).positionals, ['-d']);
});

test('parseArgs refuses unknown flags, missing values and bad numbers with a UsageError', () => {
  assert.throws(() => parseArgs(['-q'], SPECS), UsageError);
  assert.throws(() => parseArgs(['-p'], SPECS), /needs a value/);
  assert.throws(() => intFlag(parseArgs(['-p', 'x'], SPECS), 'partition_count', 4), /integer/);
  assert.throws(() => boolFlag(parseArgs(['-a', 'yes'], SPECS), 'start_inclusive', true), /true or false/);
});

test('envs, filter types, check types and the cluster list parse as upstream spells them', () => {
  assert.deepEqual([...parseEnvs('a=1,b.c=x=y')], [['a', '1'], ['b.c', 'x=y']]);
  assert.throws(() => parseEnvs('novalue'), UsageError);
  assert.equal(filterTypeOf('prefix'), 2);
  assert.equal(filterTypeOf(undefined), 0);
  assert.throws(() => filterTypeOf('suffix'), UsageError);
  assert.equal(checkTypeOf('not_exist'), 1);
  assert.equal(checkTypeOf('int_greater'), 17);
  assert.throws(() => checkTypeOf('nope'), UsageError);
  assert.deepEqual(parseCluster('127.0.0.1:34601, 127.0.0.1:34602'), ['127.0.0.1:34601', '127.0.0.1:34602']);
  assert.throws(() => parseCluster('localhost'), /IPv4/);
});

test('completion offers command names first, then table names for table arguments', () => {
  assert.deepEqual(complete('multi_g', []), [['multi_get', 'multi_get_range', 'multi_get_sortkeys'], 'multi_g']);
  assert.deepEqual(complete('use te', ['temp', 'test', 'other']), [['temp', 'test'], 'te']);
  assert.deepEqual(complete('app ', ['a', 'b']), [['a', 'b'], '']);
  assert.deepEqual(complete('get hk ', ['a']), [[], '']);
  assert.equal(promptFor(undefined), 'pegasus » ');
  assert.equal(promptFor('temp'), 'pegasus [temp] » ');
});

test('history drops blanks and repeats and keeps only the newest lines', () => {
  assert.deepEqual(boundHistory(['ls', 'ls', '', 'nodes', 'ls'], 2), ['nodes', 'ls']);
});
