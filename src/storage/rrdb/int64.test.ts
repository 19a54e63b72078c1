import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInt64Strict } from './int64.ts';

const parse = (s: string) => parseInt64Strict(Buffer.from(s, 'latin1'));

test('decimal, signs and surrounding rules of strtoll base 0', () => {
  assert.equal(parse('0'), 0n);
  assert.equal(parse('123'), 123n);
  assert.equal(parse('-123'), -123n);
  assert.equal(parse('+7'), 7n);
  assert.equal(parse('  \t\n42'), 42n, 'leading whitespace is skipped');
  assert.equal(parse('42 '), undefined, 'trailing bytes are refused');
  assert.equal(parse('4 2'), undefined);
  assert.equal(parse(''), undefined);
  assert.equal(parse('   '), undefined);
  assert.equal(parse('-'), undefined);
  assert.equal(parse('abc'), undefined);
  assert.equal(parse('1\u00002'), undefined, 'an embedded NUL ends the C string early');
});

test('hex and octal prefixes', () => {
  assert.equal(parse('0x10'), 16n);
  assert.equal(parse('0XfF'), 255n);
  assert.equal(parse('-0x10'), -16n);
  assert.equal(parse('010'), 8n);
  assert.equal(parse('09'), undefined, '9 is not an octal digit');
  assert.equal(parse('0x'), undefined, 'strtoll reads "0" and leaves the x');
  assert.equal(parse('0xg'), undefined);
});

test('the int64 range is enforced', () => {
  assert.equal(parse('9223372036854775807'), 9223372036854775807n);
  assert.equal(parse('-9223372036854775808'), -9223372036854775808n);
  assert.equal(parse('9223372036854775808'), undefined);
  assert.equal(parse('-9223372036854775809'), undefined);
  assert.equal(parse('0x7fffffffffffffff'), 9223372036854775807n);
  assert.equal(parse('0x8000000000000000'), undefined);
});
