/**
 * Data recovery commands (upstream src/shell/commands/recovery.cpp): `ddd_diagnose` lists the partitions
 * whose replicas all dropped out and for which the meta would not choose a primary on its own, with each
 * dropped replica's state and the meta's reason. Upstream's `-d/-a/-s` (recommend a primary and propose it)
 * and `-o` are not here yet: they need the propose RPC.
 */
import type { DddPartitionInfo } from '../idl/meta.ts';
import { formatRpcAddress, isValidRpcAddress, type RpcAddress as DsnAddress } from '../idl/thrift/dsn.ts';
import { UsageError, expectPositionals, flag } from './args.ts';
import type { ShellCommand } from './command.ts';
import { formatEpochMs } from './format.ts';

function addressText(address: DsnAddress): string {
  return isValidRpcAddress(address) ? formatRpcAddress(address) : '-';
}

/** `-g`: `app_id.partition_index`, or `app_id` for every partition of the table (upstream's gpid::parse_from, then %d). */
export function parseGpidArg(text: string): { appId: number; partitionIndex: number } {
  const m = /^(-?\d+)(?:\.(-?\d+))?$/.exec(text);
  if (m === null) throw new UsageError(`invalid gpid ${text}`);
  return { appId: Number(m[1]), partitionIndex: m[2] === undefined ? -1 : Number(m[2]) };
}

/** upstream's report, line for line (drop times in UTC). */
export function formatDddPartitions(partitions: readonly DddPartitionInfo[]): string {
  const lines = [`Total ${partitions.length} ddd partitions:`, ''];
  partitions.forEach((p, i) => {
    const drops = p.config.lastDrops.map(addressText);
    const latest = drops[drops.length - 1];
    const secondLatest = drops.length > 1 ? drops[drops.length - 2] : undefined;
    const mark = (node: string): string => (node === latest ? '  <== the latest' : node === secondLatest ? '  <== the secondary latest' : '');
    lines.push(`(${i + 1}) ${p.config.pid.appId}.${p.config.pid.partitionIndex}`);
    lines.push(`    config: ballot(${p.config.ballot}), last_committed(${p.config.lastCommittedDecree})`);
    lines.push('    ----');
    p.dropped.forEach((d, j) => {
      const node = addressText(d.node);
      lines.push(
        `    dropped[${j}]: node(${node}), drop_time(${formatEpochMs(d.dropTimeMs)}), alive(${d.isAlive}), collected(${d.isCollected}), ` +
          `ballot(${d.ballot}), last_committed(${d.lastCommittedDecree}), last_prepared(${d.lastPreparedDecree})${mark(node)}`,
      );
    });
    lines.push('    ----');
    drops.forEach((node, j) => lines.push(`    last_drops[${j}]: node(${node})${mark(node)}`));
    lines.push('    ----');
    lines.push(`    ddd_reason: ${p.reason}`);
    lines.push('');
  });
  lines.push('Diagnose ddd done.');
  return lines.join('\n');
}

const dddDiagnose: ShellCommand = {
  name: 'ddd_diagnose',
  help: 'diagnose three-dead partitions',
  usage: '[-g|--gpid appid|appid.pidx]',
  flags: [flag('g', 'gpid', true)],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    const gpidText = args.flags.get('gpid');
    const { appId, partitionIndex } = gpidText === undefined ? { appId: -1, partitionIndex: -1 } : parseGpidArg(gpidText);
    ctx.out(formatDddPartitions(await ctx.admin.dddDiagnose(appId, partitionIndex)));
  },
};

export const RECOVERY_COMMANDS: readonly ShellCommand[] = [dddDiagnose];
