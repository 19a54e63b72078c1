/** `ddd_diagnose` against an in-process meta (the meta tests' fake Env), and its -g parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigType } from '../../src/idl/replication.ts';
import { createReply, type RpcCall, type RpcCallResult, type RpcChannel } from '../../src/rpc/transport.ts';
import { parseGpidArg } from '../../src/shell/commands-recovery.ts';
import { ShellContext } from '../../src/shell/context.ts';
import { runLine } from '../../src/shell/runner.ts';
import { MetaHarness, META_ADDRESS } from '../meta/harness.ts';

const A = '127.0.0.1:34801';
const B = '127.0.0.1:34802';

/** Delivers the shell's calls straight to the harness meta's handlers. */
function channelTo(h: MetaHarness): RpcChannel {
  return {
    async call(_address: string, call: RpcCall): Promise<RpcCallResult> {
      const handler = h.handlers.lookup(call.name);
      if (handler === undefined) return { errorName: 'ERR_HANDLER_NOT_FOUND' };
      let result: RpcCallResult = { errorName: 'ERR_TIMEOUT' };
      const request = { name: call.name, seqid: 1, header: { gpid: call.gpid, partitionHash: 0n, clientTimeoutMs: 0, isBackupRequest: false }, args: call.args, oneway: false, remote: '127.0.0.1:2' };
      await handler(request, createReply(request, (errorName, body) => (result = body === undefined ? { errorName } : { errorName, result: body })));
      return result;
    },
    close: () => Promise.resolve(),
  };
}

test('-g takes app_id.partition_index or app_id', () => {
  assert.deepEqual(parseGpidArg('3.7'), { appId: 3, partitionIndex: 7 });
  assert.deepEqual(parseGpidArg('3'), { appId: 3, partitionIndex: -1 });
  assert.throws(() => parseGpidArg('x.1'), /invalid gpid x\.1/);
});

test('ddd_diagnose lists a DDD partition with its dropped replicas and the reason, filtered by -g', async () => {
  const h = await MetaHarness.started();
  await h.beacon(A);
  await h.beacon(B);
  await h.createApp('t', 1, 2);
  for (let i = 0; i < 2; i++) {
    await h.carryOutProposals();
    await h.tick(1000, [A, B]);
  }
  // B leaves the group, then A dies: every member gone, last_drops [B, A], and A is not back.
  await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, B);
  await h.tick(6000, [B]);
  let printed = '';
  const ctx = new ShellContext(channelTo(h), [META_ADDRESS], { out: (t) => (printed += t) });
  try {
    assert.ok(await runLine(ctx, 'ddd_diagnose'));
    const lines = printed.split('\n');
    assert.equal(lines[0], 'Total 1 ddd partitions:');
    assert.equal(lines[2], '(1) 1.0');
    assert.equal(lines[3], '    config: ballot(4), last_committed(0)');
    assert.match(printed, /dropped\[0\]: node\(127\.0\.0\.1:34802\), drop_time\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\), alive\(true\), collected\(false\), ballot\(-1\), last_committed\(-1\), last_prepared\(-1\)  <== the secondary latest/);
    assert.match(printed, /dropped\[1\]: node\(127\.0\.0\.1:34801\), .*alive\(false\).*  <== the latest/);
    assert.match(printed, /last_drops\[0\]: node\(127\.0\.0\.1:34802\)  <== the secondary latest\n    last_drops\[1\]: node\(127\.0\.0\.1:34801\)  <== the latest/);
    assert.match(printed, /ddd_reason: the last dropped node\(127\.0\.0\.1:34801\) hasn't come back yet\n/);
    assert.match(printed, /Diagnose ddd done\.\n$/);
    printed = '';
    assert.ok(await runLine(ctx, 'ddd_diagnose -g 2'));
    assert.match(printed, /^Total 0 ddd partitions:/);
    printed = '';
    assert.ok(await runLine(ctx, 'ddd_diagnose --gpid 1.0'));
    assert.match(printed, /^Total 1 ddd partitions:/);
  } finally {
    await ctx.close();
  }
});
