/**
 * Cluster and table commands (upstream src/shell/commands/{table_management,node_management,
 * misc}.cpp): cluster_info, nodes, ls, app, create, drop, recall, rename and the app envs. Reads print
 * aligned tables, or JSON with `-j|--json`.
 */
import { AppStatus, NodeStatus, type AppInfo } from '../idl/meta.ts';
import { formatRpcAddress, isValidRpcAddress, type RpcAddress as DsnAddress } from '../idl/thrift/dsn.ts';
import { UsageError, expectPositionals, flag, hasFlag, intFlag, parseIntArg } from './args.ts';
import type { ShellCommand } from './command.ts';
import type { ShellContext } from './context.ts';
import { formatEpochSeconds, formatJson, formatPairs, formatTable, type Cell } from './format.ts';
import { waitAppReady } from './wait-ready.ts';

const JSON_FLAG = flag('j', 'json');
const DETAILED = flag('d', 'detailed');

const APP_STATUS_NAMES = new Map<number, string>(Object.entries(AppStatus).map(([name, value]) => [value, name]));
const NODE_STATUS_NAMES = new Map<number, string>(Object.entries(NodeStatus).map(([name, value]) => [value, name]));

export function appStatusName(status: number): string {
  return APP_STATUS_NAMES.get(status) ?? `status_${status}`;
}

function addressText(address: DsnAddress): string {
  return isValidRpcAddress(address) ? formatRpcAddress(address) : '-';
}

/** `-s` of ls: upstream's lower-case status names. */
const LS_STATUS: Record<string, number> = {
  all: AppStatus.AS_INVALID,
  available: AppStatus.AS_AVAILABLE,
  creating: AppStatus.AS_CREATING,
  dropping: AppStatus.AS_DROPPING,
  dropped: AppStatus.AS_DROPPED,
};

export function parseEnvs(text: string): Map<string, string> {
  const envs = new Map<string, string>();
  for (const item of text.split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`env ${JSON.stringify(item)} is not key=value`);
    envs.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return envs;
}

export function appRow(app: AppInfo): Cell[] {
  const dropped = app.status === AppStatus.AS_DROPPED;
  return [
    app.appId,
    appStatusName(app.status),
    app.appName,
    app.appType,
    app.partitionCount,
    app.maxReplicaCount,
    app.isStateful,
    formatEpochSeconds(app.createSecond),
    dropped ? formatEpochSeconds(app.dropSecond) : '-',
    dropped ? formatEpochSeconds(app.expireSecond) : '-',
    app.envs.size,
  ];
}

export const LS_HEADER = ['app_id', 'status', 'app_name', 'app_type', 'partition_count', 'replica_count', 'is_stateful', 'create_time', 'drop_time', 'drop_expire', 'envs_count'];

function appJson(app: AppInfo): Record<string, unknown> {
  return { ...app, status: appStatusName(app.status), envs: Object.fromEntries(app.envs) };
}

const clusterInfo: ShellCommand = {
  name: 'cluster_info',
  help: 'get the information of the cluster',
  usage: '[-j|--json]',
  flags: [JSON_FLAG],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    const pairs = await ctx.admin.clusterInfo();
    ctx.out(hasFlag(args, 'json') ? formatJson(Object.fromEntries(pairs)) : formatPairs(pairs));
  },
};

const nodes: ShellCommand = {
  name: 'nodes',
  help: 'get the node status of the cluster',
  usage: '[-d|--detailed] [-j|--json] [-s|--status all|alive|unalive]',
  flags: [DETAILED, JSON_FLAG, flag('s', 'status', true)],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    const statusText = args.flags.get('status') ?? 'all';
    const status = { all: NodeStatus.NS_INVALID, alive: NodeStatus.NS_ALIVE, unalive: NodeStatus.NS_UNALIVE }[statusText];
    if (status === undefined) throw new UsageError(`invalid status ${JSON.stringify(statusText)}`);
    const infos = await ctx.admin.listNodes(status);
    const counts = new Map<string, { primary: number; secondary: number }>();
    for (const info of infos) counts.set(addressText(info.node), { primary: 0, secondary: 0 });
    // Replica counts come from every available table's partition map, as upstream's `nodes` computes them.
    for (const app of await ctx.admin.listApps(AppStatus.AS_AVAILABLE)) {
      const config = await ctx.admin.queryConfig(app.appName);
      for (const p of config.partitions) {
        const primary = counts.get(addressText(p.primary));
        if (primary !== undefined) primary.primary++;
        for (const s of p.secondaries) {
          const secondary = counts.get(addressText(s));
          if (secondary !== undefined) secondary.secondary++;
        }
      }
    }
    const rows = infos
      .map((info) => {
        const address = addressText(info.node);
        const c = counts.get(address) ?? { primary: 0, secondary: 0 };
        return { address, status: NODE_STATUS_NAMES.get(info.status) ?? `status_${info.status}`, replica_count: c.primary + c.secondary, primary_count: c.primary, secondary_count: c.secondary };
      })
      .sort((a, b) => a.address.localeCompare(b.address));
    if (hasFlag(args, 'json')) {
      ctx.out(formatJson(hasFlag(args, 'detailed') ? rows : rows.map(({ address, status }) => ({ address, status }))));
      return;
    }
    const alive = rows.filter((r) => r.status === 'NS_ALIVE').length;
    const table = hasFlag(args, 'detailed')
      ? formatTable(['address', 'status', 'replica_count', 'primary_count', 'secondary_count'], rows.map((r) => [r.address, r.status, r.replica_count, r.primary_count, r.secondary_count]))
      : formatTable(['address', 'status'], rows.map((r) => [r.address, r.status]));
    ctx.out(`${table}\n${formatPairs([['total_node_count', rows.length], ['alive_node_count', alive], ['unalive_node_count', rows.length - alive]])}`);
  },
};

const ls: ShellCommand = {
  name: 'ls',
  help: 'list all apps',
  usage: '[-a|--all] [-d|--detailed] [-j|--json] [-s|--status all|available|creating|dropping|dropped]',
  flags: [flag('a', 'all'), DETAILED, JSON_FLAG, flag('s', 'status', true)],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    const statusText = args.flags.get('status');
    const status = statusText === undefined ? AppStatus.AS_INVALID : LS_STATUS[statusText];
    if (status === undefined) throw new UsageError(`invalid status ${JSON.stringify(statusText)}`);
    let apps = await ctx.admin.listApps(status);
    // Without -a or -s, dropped tables stay hidden, as upstream.
    if (!hasFlag(args, 'all') && statusText === undefined) apps = apps.filter((a) => a.status !== AppStatus.AS_DROPPED);
    apps.sort((a, b) => a.appId - b.appId);
    if (hasFlag(args, 'json')) {
      ctx.out(formatJson(apps.map(appJson)));
      return;
    }
    ctx.out(formatTable(LS_HEADER, apps.map(appRow)));
    ctx.out(`\n${formatPairs([['total_app_count', apps.length]])}`);
  },
};

const app: ShellCommand = {
  name: 'app',
  help: 'get the partition information of an app',
  usage: '<app_name> [-d|--detailed] [-j|--json]',
  flags: [DETAILED, JSON_FLAG],
  async run(ctx, args) {
    const [name] = expectPositionals(args, 1, 1) as [string];
    const config = await ctx.admin.queryConfig(name);
    const info = (await ctx.admin.listApps(AppStatus.AS_AVAILABLE)).find((a) => a.appName === name);
    const partitions = config.partitions.map((p) => ({
      pidx: p.pid.partitionIndex,
      ballot: p.ballot,
      replica_count: `${(isValidRpcAddress(p.primary) ? 1 : 0) + p.secondaries.length}/${p.maxReplicaCount}`,
      primary: addressText(p.primary),
      secondaries: p.secondaries.map(addressText),
    }));
    const summary: Array<[string, Cell]> = [
      ['app_name', name],
      ['app_id', config.appId],
      ['partition_count', config.partitionCount],
      ['max_replica_count', info?.maxReplicaCount ?? partitions[0]?.replica_count.split('/')[1] ?? '-'],
    ];
    if (hasFlag(args, 'json')) {
      ctx.out(formatJson({ ...Object.fromEntries(summary), ...(hasFlag(args, 'detailed') ? { partitions } : {}) }));
      return;
    }
    ctx.out(formatPairs(summary));
    if (!hasFlag(args, 'detailed')) return;
    ctx.out(`\n${formatTable(['pidx', 'ballot', 'replica_count', 'primary', 'secondaries'], partitions.map((p) => [p.pidx, p.ballot, p.replica_count, p.primary, `[${p.secondaries.join(',')}]`]))}`);
    const healthy = config.partitions.filter((p) => isValidRpcAddress(p.primary) && p.secondaries.length + 1 >= p.maxReplicaCount).length;
    ctx.out(`\n${formatPairs([['fully_healthy_partition_count', healthy], ['unhealthy_partition_count', config.partitions.length - healthy]])}`);
  },
};

const create: ShellCommand = {
  name: 'create',
  help: 'create an app',
  usage: '<app_name> [-p|--partition_count num] [-r|--replica_count num] [-e|--envs k1=v1,k2=v2...]',
  flags: [flag('p', 'partition_count', true), flag('r', 'replica_count', true), flag('e', 'envs', true)],
  async run(ctx, args) {
    const [name] = expectPositionals(args, 1, 1) as [string];
    const partitionCount = intFlag(args, 'partition_count', 4, 1, 65536);
    const replicaCount = intFlag(args, 'replica_count', 3, 1, 64);
    const envs = parseEnvs(args.flags.get('envs') ?? '');
    const appId = await ctx.admin.createApp(name, partitionCount, replicaCount, envs);
    ctx.out(`create app "${name}" succeed (app_id ${appId}), waiting for app ready`);
    await waitAppReady(ctx.admin, name);
    await ctx.forgetTables();
    ctx.out(`app "${name}" is ready now`);
  },
};

const drop: ShellCommand = {
  name: 'drop',
  help: 'drop an app',
  usage: '<app_name> [-r|--reserve_seconds num]',
  flags: [flag('r', 'reserve_seconds', true)],
  async run(ctx, args) {
    const [name] = expectPositionals(args, 1, 1) as [string];
    const reserve = args.flags.has('reserve_seconds') ? intFlag(args, 'reserve_seconds', 0, 0) : undefined;
    await ctx.admin.dropApp(name, reserve);
    await ctx.forgetTables();
    ctx.out(`drop app "${name}" succeed`);
  },
};

const recall: ShellCommand = {
  name: 'recall',
  help: 'recall a dropped app',
  usage: '<app_id> [new_app_name]',
  flags: [],
  async run(ctx, args) {
    const [idText, newName = ''] = expectPositionals(args, 1, 2) as [string, string?];
    const info = await ctx.admin.recallApp(parseIntArg(idText, 'app_id', 1), newName);
    ctx.out(`recall app ${info.appId} succeed (name "${info.appName}", partition_count ${info.partitionCount}), waiting for app ready`);
    await waitAppReady(ctx.admin, info.appName);
    await ctx.forgetTables();
    ctx.out(`app "${info.appName}" is ready now`);
  },
};

const rename: ShellCommand = {
  name: 'rename',
  help: 'rename an app',
  usage: '<old_app_name> <new_app_name>',
  flags: [],
  async run(ctx, args) {
    const [oldName, newName] = expectPositionals(args, 2, 2) as [string, string];
    await ctx.admin.renameApp(oldName, newName);
    await ctx.forgetTables();
    if (ctx.currentApp === oldName) ctx.currentApp = newName;
    ctx.out(`rename app "${oldName}" to "${newName}" succeed`);
  },
};

function currentAppOf(ctx: ShellContext): string {
  if (ctx.currentApp === undefined) throw new UsageError('no table selected: run "use <app_name>" first');
  return ctx.currentApp;
}

const getAppEnvs: ShellCommand = {
  name: 'get_app_envs',
  help: 'get the envs of the current app',
  usage: '[-j|--json]',
  flags: [JSON_FLAG],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    const envs = [...(await ctx.admin.appEnvs(currentAppOf(ctx)))].sort(([a], [b]) => a.localeCompare(b));
    ctx.out(hasFlag(args, 'json') ? formatJson(Object.fromEntries(envs)) : formatTable(['key', 'value'], envs));
  },
};

const setAppEnvs: ShellCommand = {
  name: 'set_app_envs',
  help: 'set envs of the current app',
  usage: '<key> <value> [key value...]',
  flags: [],
  async run(ctx, args) {
    const pairs = args.positionals;
    if (pairs.length === 0 || pairs.length % 2 !== 0) throw new UsageError('expected key value pairs');
    const keys = pairs.filter((_, i) => i % 2 === 0);
    const values = pairs.filter((_, i) => i % 2 === 1);
    await ctx.admin.setAppEnvs(currentAppOf(ctx), keys, values);
    ctx.out('set app envs succeed');
  },
};

const delAppEnvs: ShellCommand = {
  name: 'del_app_envs',
  help: 'delete envs of the current app',
  usage: '<key> [key...]',
  flags: [],
  async run(ctx, args) {
    const keys = expectPositionals(args, 1, Number.MAX_SAFE_INTEGER);
    await ctx.admin.delAppEnvs(currentAppOf(ctx), keys);
    ctx.out('del app envs succeed');
  },
};

const clearAppEnvs: ShellCommand = {
  name: 'clear_app_envs',
  help: 'clear envs of the current app',
  usage: '<-a|--all> <-p|--prefix str>',
  flags: [flag('a', 'all'), flag('p', 'prefix', true)],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    const prefix = args.flags.get('prefix');
    if (hasFlag(args, 'all') === (prefix !== undefined)) throw new UsageError('give exactly one of -a and -p');
    await ctx.admin.clearAppEnvs(currentAppOf(ctx), prefix ?? '');
    ctx.out('clear app envs succeed');
  },
};

export const ADMIN_COMMANDS: readonly ShellCommand[] = [clusterInfo, nodes, ls, app, create, drop, recall, rename, getAppEnvs, setAppEnvs, delAppEnvs, clearAppEnvs];
