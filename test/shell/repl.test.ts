/** The interactive mode on a (fake) terminal: prompt, commands, exit, and the history file written back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { TcpRpcChannel } from '../../src/rpc/tcp/rpc-channel.ts';
import { ShellContext } from '../../src/shell/context.ts';
import { runRepl } from '../../src/shell/repl.ts';

test('the REPL prompts, runs commands, stops at exit and appends to the bounded history file', { timeout: 10_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pegasus-repl-'));
  const historyFile = join(dir, 'history');
  await writeFile(historyFile, 'ls\n');
  // Port 1 refuses connections at once: table-name completion fails quietly, as it must.
  const channel = new TcpRpcChannel();
  let printed = '';
  const ctx = new ShellContext(channel, ['127.0.0.1:1'], { out: (t) => (printed += t) });
  const input = new PassThrough();
  const output = new PassThrough();
  let echoed = '';
  output.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
  try {
    const done = runRepl(ctx, { input, output, historyFile });
    input.write('timeout 250\n');
    input.write('escape_all true\n');
    input.write('exit\n');
    input.write('version\n');
    await done;
    assert.match(echoed, /pegasus » /);
    assert.match(printed, /timeout: 250 ms\nescape_all: true\n/);
    assert.doesNotMatch(printed, /Pegasus Shell \(pegasus-ts\) \d/, 'nothing runs after exit');
    assert.equal(ctx.timeoutMs, 250);
    assert.equal(await readFile(historyFile, 'utf8'), 'ls\ntimeout 250\nescape_all true\nexit\n');
  } finally {
    await ctx.close();
    await channel.close();
    await rm(dir, { recursive: true, force: true });
  }
});
