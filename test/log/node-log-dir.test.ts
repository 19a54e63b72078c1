/**
 * NodeLogDir's two ways of appending: synchronously on the event loop (the usual one) and on the thread pool
 * (after a slow write). Both must lay the same bytes down in order, whatever mix of them a file sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeLogDir } from '../../src/log/node-log-dir.ts';

async function appendAndRead(options: { syncWriteSlowMs?: number }): Promise<{ written: Buffer; read: Buffer }> {
  const path = await mkdtemp(join(tmpdir(), 'pegasus-node-log-dir-'));
  try {
    const dir = await NodeLogDir.open(join(path, 'plog'), options);
    const handle = await dir.create('log.1.0');
    const chunks: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const parts = [Buffer.alloc(i % 7, i), Buffer.from(`mutation ${i};`), Buffer.alloc(0)];
      chunks.push(...parts);
      await handle.append(parts);
    }
    // One append at a time (the plog keeps one write outstanding): a second one meanwhile is a bug, and loud.
    const first = handle.append([Buffer.from('last')]);
    await assert.rejects(handle.append([Buffer.from('overlapping')]), /an append started before the previous one finished/);
    await first;
    chunks.push(Buffer.from('last'));
    await handle.sync();
    await handle.close();
    return { written: Buffer.concat(chunks), read: await dir.read('log.1.0') };
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

test('synchronous appends lay the bytes down in order', async () => {
  const { written, read } = await appendAndRead({});
  assert.ok(read.equals(written));
});

test('after a slow write the appends go to the thread pool and the bytes are the same', async () => {
  const { written, read } = await appendAndRead({ syncWriteSlowMs: -1 });
  assert.ok(read.equals(written));
});
