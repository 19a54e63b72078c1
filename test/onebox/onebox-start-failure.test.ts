/**
 * A start that cannot complete says which role failed, shows its log, and leaves nothing running: here a
 * replica server whose port is taken.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, pegasus, pidsOf } from './onebox-harness.ts';

test('start with a replica port taken fails naming the role, and stops the rest', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pegasus-onebox-fail-'));
  const dir = join(root, 'onebox');
  const { metaPort, replicaBasePort } = await freePorts(3);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(replicaBasePort + 1, '127.0.0.1', resolve));
  try {
    const result = await pegasus(['onebox', 'start', '--dir', dir, '--meta-port', String(metaPort), '--replica-base-port', String(replicaBasePort)], 45_000);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /^ERR_SERVICE_NOT_ACTIVE: the onebox did not start: replica2 exited with code 1$/m);
    assert.match(result.stderr, /last lines of .*replica2[/\\]pegasus\.log/);
    assert.match(result.stderr, /EADDRINUSE/);
    assert.equal(pidsOf(dir).size, 0, 'no pid file left: every started role was stopped');
    const listed = await pegasus(['onebox', 'list', '--dir', dir]);
    assert.equal(listed.stdout.match(/ stopped$/gm)?.length, 4, listed.stdout);
  } finally {
    blocker.close();
    await pegasus(['onebox', 'stop', '--dir', dir], 30_000);
    rmSync(root, { recursive: true, force: true });
  }
});
