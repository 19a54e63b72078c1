/** Process logs: one JSON line per event with the process's and the component's bindings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { isPegasusError } from '../../src/base/error-code.ts';
import { childLogger, createLogger, parseLogLevel, resolveLogLevel } from '../../src/server/log/index.ts';

/** A destination that keeps every write, to check what one event produces. */
function capture(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, writes };
}

test('each event is one JSON line carrying role, node and the child bindings', () => {
  const { stream, writes } = capture();
  const log = createLogger({ role: 'replica', node: '127.0.0.1:34801', level: 'info', destination: stream, env: {} });
  const replica = childLogger(log, { component: 'replica', gpid: '1.3', ballot: 7 });
  replica.info({ decree: 42 }, 'committed');
  replica.warn('prepare timed out');
  log.debug('below the level, not written');

  assert.equal(writes.length, 2);
  for (const write of writes) {
    assert.ok(write.endsWith('\n'));
    assert.equal(write.split('\n').length, 2, 'exactly one line per event');
  }
  const first = JSON.parse(writes[0]!) as Record<string, unknown>;
  assert.equal(first['level'], 30);
  assert.equal(first['msg'], 'committed');
  assert.equal(first['role'], 'replica');
  assert.equal(first['node'], '127.0.0.1:34801');
  assert.equal(first['component'], 'replica');
  assert.equal(first['gpid'], '1.3');
  assert.equal(first['ballot'], 7);
  assert.equal(first['decree'], 42);
  assert.equal(first['pid'], process.pid);
  assert.match(String(first['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const second = JSON.parse(writes[1]!) as Record<string, unknown>;
  assert.equal(second['level'], 40);
  assert.equal(second['gpid'], '1.3');
});

test('errors are serialised with their type, message and stack', () => {
  const { stream, writes } = capture();
  const log = createLogger({ role: 'meta', destination: stream, env: {} });
  log.error({ err: new Error('zk session expired') }, 'leader lock lost');
  const line = JSON.parse(writes[0]!) as { err: { type: string; message: string; stack: string } };
  assert.equal(line.err.type, 'Error');
  assert.equal(line.err.message, 'zk session expired');
  assert.match(line.err.stack, /zk session expired/);
});

test('upstream level names work, and PEGASUS_LOG_LEVEL overrides the configured level', () => {
  assert.equal(parseLogLevel('LOG_LEVEL_WARNING'), 'warn');
  assert.equal(parseLogLevel('log_level_debug'), 'debug');
  assert.equal(parseLogLevel('Error'), 'error');
  assert.equal(resolveLogLevel('LOG_LEVEL_INFO', {}), 'info');
  assert.equal(resolveLogLevel('LOG_LEVEL_INFO', { PEGASUS_LOG_LEVEL: 'debug' }), 'debug');
  assert.equal(resolveLogLevel(undefined, {}), 'info');
  assert.throws(() => resolveLogLevel('info', { PEGASUS_LOG_LEVEL: 'loud' }), (e: unknown) => isPegasusError(e, 'ERR_INVALID_PARAMETERS') && /unknown log level 'loud'/.test(e.message));

  const { stream, writes } = capture();
  const log = createLogger({ role: 'meta', level: 'LOG_LEVEL_WARNING', destination: stream, env: { PEGASUS_LOG_LEVEL: 'debug' } });
  log.debug('now visible');
  assert.equal(writes.length, 1);
  assert.equal((JSON.parse(writes[0]!) as { level: number }).level, 20);
});

test('pretty output is one readable line per event with the bindings', async () => {
  const { stream, writes } = capture();
  const log = createLogger({ role: 'replica', node: 'n1:34801', pretty: true, destination: stream, env: {} });
  log.child({ gpid: '2.0', ballot: 1 }).info('opened');
  // pino-pretty writes through a stream pipeline; let it drain.
  await new Promise((resolve) => setImmediate(resolve));
  const text = writes.join('');
  assert.equal(text.trimEnd().split('\n').length, 1);
  assert.match(text, /INFO/);
  assert.match(text, /opened/);
  assert.match(text, /"gpid":"2\.0"/);
  assert.match(text, /"node":"n1:34801"/);
  assert.doesNotMatch(text, /\u001b\[/, 'no colour codes when not writing to a terminal');
});
