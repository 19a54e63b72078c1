/**
 * Data commands on the `use`d table (upstream src/shell/commands/data_operations.cpp), with upstream's
 * names, positionals and flags. Keys and values are typed as shell arguments (see tokenize.ts for quoting
 * and `\xNN`) and printed escaped (format.ts).
 */
import { CheckType, FilterType, type PegasusScanner, type ScanOptions } from '../client/index.ts';
import { UsageError, boolFlag, expectPositionals, flag, hasFlag, intFlag, parseIntArg, type ParsedArgs } from './args.ts';
import type { ShellCommand } from './command.ts';
import type { ShellContext } from './context.ts';
import { escapeBytes, formatRecord } from './format.ts';
import { argBytes } from './tokenize.ts';
import { epochNowSeconds } from '../base/value-schema.ts';

const INT32_MAX = 2 ** 31 - 1;

/** `anywhere|prefix|postfix` of the filter flags. */
export function filterTypeOf(text: string | undefined): number {
  switch (text) {
    case undefined:
      return FilterType.FT_NO_FILTER;
    case 'anywhere':
      return FilterType.FT_MATCH_ANYWHERE;
    case 'prefix':
      return FilterType.FT_MATCH_PREFIX;
    case 'postfix':
      return FilterType.FT_MATCH_POSTFIX;
    default:
      throw new UsageError(`invalid filter type ${JSON.stringify(text)}: anywhere, prefix or postfix`);
  }
}

/** upstream's check_type names: `not_exist`, `bytes_less`, `int_greater_or_equal`, ... */
export function checkTypeOf(text: string): number {
  const value = (CheckType as Record<string, number>)[`CT_VALUE_${text.toUpperCase()}`];
  if (value === undefined) throw new UsageError(`invalid check_type ${JSON.stringify(text)}`);
  return value;
}

function opts(ctx: ShellContext): { timeoutMs: number } {
  return { timeoutMs: ctx.timeoutMs };
}

function records(ctx: ShellContext, hashKey: Buffer, kvs: ReadonlyArray<{ sortKey: Buffer; value: Buffer }>, noValue: boolean): void {
  for (const kv of kvs) ctx.out(formatRecord(hashKey, kv.sortKey, noValue ? undefined : kv.value, ctx.escapeAll));
}

const set: ShellCommand = {
  name: 'set',
  help: 'set value',
  usage: '<hash_key> <sort_key> <value> [ttl_in_seconds]',
  flags: [],
  async run(ctx, args) {
    const [hk, sk, value, ttl] = expectPositionals(args, 3, 4) as [string, string, string, string?];
    const ttlSeconds = ttl === undefined ? 0 : parseIntArg(ttl, 'ttl_in_seconds', 0, INT32_MAX);
    await (await ctx.table()).set(argBytes(hk), argBytes(sk), argBytes(value), { ...opts(ctx), ttlSeconds });
    ctx.out('OK');
  },
};

const multiSet: ShellCommand = {
  name: 'multi_set',
  help: 'set multiple values for a single hash key',
  usage: '<hash_key> <sort_key> <value> [sort_key value...]',
  flags: [],
  async run(ctx, args) {
    const [hk, ...rest] = expectPositionals(args, 3, Number.MAX_SAFE_INTEGER) as [string, ...string[]];
    if (rest.length % 2 !== 0) throw new UsageError('sort keys and values must come in pairs');
    const kvs: Array<[Buffer, Buffer]> = [];
    for (let i = 0; i < rest.length; i += 2) kvs.push([argBytes(rest[i]!), argBytes(rest[i + 1]!)]);
    await (await ctx.table()).multiSet(argBytes(hk), kvs, opts(ctx));
    ctx.out('OK');
  },
};

const get: ShellCommand = {
  name: 'get',
  help: 'get value',
  usage: '<hash_key> <sort_key>',
  flags: [],
  async run(ctx, args) {
    const [hk, sk] = expectPositionals(args, 2, 2) as [string, string];
    const value = await (await ctx.table()).get(argBytes(hk), argBytes(sk), opts(ctx));
    ctx.out(value === undefined ? 'Not found' : `"${escapeBytes(value, ctx.escapeAll)}"`);
  },
};

const del: ShellCommand = {
  name: 'del',
  help: 'delete a key',
  usage: '<hash_key> <sort_key>',
  flags: [],
  async run(ctx, args) {
    const [hk, sk] = expectPositionals(args, 2, 2) as [string, string];
    await (await ctx.table()).del(argBytes(hk), argBytes(sk), opts(ctx));
    ctx.out('OK');
  },
};

const multiGet: ShellCommand = {
  name: 'multi_get',
  help: 'get multiple values for a single hash key',
  usage: '<hash_key> [sort_key...]',
  flags: [],
  async run(ctx, args) {
    const [hk, ...sortKeys] = expectPositionals(args, 1, Number.MAX_SAFE_INTEGER) as [string, ...string[]];
    const hashKey = argBytes(hk);
    const result = await (await ctx.table()).multiGet(hashKey, sortKeys.map(argBytes), opts(ctx));
    records(ctx, hashKey, result.kvs, false);
    ctx.out(`\n${result.kvs.length} key-value pairs got, fetch ${result.complete ? 'completed' : 'not completed'}.`);
  },
};

const RANGE_FLAGS = [
  flag('a', 'start_inclusive', true),
  flag('b', 'stop_inclusive', true),
  flag('s', 'sort_key_filter_type', true),
  flag('y', 'sort_key_filter_pattern', true),
];

const multiGetRange: ShellCommand = {
  name: 'multi_get_range',
  help: 'get multiple values under sort key range for a single hash key',
  usage:
    '<hash_key> <start_sort_key> <stop_sort_key> [-a|--start_inclusive true|false] [-b|--stop_inclusive true|false] ' +
    '[-s|--sort_key_filter_type anywhere|prefix|postfix] [-y|--sort_key_filter_pattern str] [-n|--max_count num] [-i|--no_value] [-r|--reverse]',
  flags: [...RANGE_FLAGS, flag('n', 'max_count', true), flag('i', 'no_value'), flag('r', 'reverse')],
  async run(ctx, args) {
    const [hk, start, stop] = expectPositionals(args, 3, 3) as [string, string, string];
    const hashKey = argBytes(hk);
    const noValue = hasFlag(args, 'no_value');
    const result = await (await ctx.table()).multiGet(hashKey, undefined, {
      ...opts(ctx),
      startSortKey: argBytes(start),
      stopSortKey: argBytes(stop),
      startInclusive: boolFlag(args, 'start_inclusive', true),
      stopInclusive: boolFlag(args, 'stop_inclusive', false),
      sortKeyFilterType: filterTypeOf(args.flags.get('sort_key_filter_type')),
      sortKeyFilterPattern: argBytes(args.flags.get('sort_key_filter_pattern') ?? ''),
      maxFetchCount: intFlag(args, 'max_count', -1, -1, INT32_MAX),
      maxFetchSize: -1,
      noValue,
      reverse: hasFlag(args, 'reverse'),
    });
    records(ctx, hashKey, result.kvs, noValue);
    ctx.out(`\n${result.kvs.length} key-value pairs got, fetch ${result.complete ? 'completed' : 'not completed'}.`);
  },
};

const multiGetSortkeys: ShellCommand = {
  name: 'multi_get_sortkeys',
  help: 'get multiple sort keys for a single hash key',
  usage: '<hash_key>',
  flags: [],
  async run(ctx, args) {
    const [hk] = expectPositionals(args, 1, 1) as [string];
    const hashKey = argBytes(hk);
    const result = await (await ctx.table()).multiGet(hashKey, undefined, { ...opts(ctx), noValue: true, maxFetchCount: -1, maxFetchSize: -1 });
    for (const kv of result.kvs) ctx.out(`"${escapeBytes(kv.sortKey, ctx.escapeAll)}"`);
    ctx.out(`\n${result.kvs.length} sort keys got, fetch ${result.complete ? 'completed' : 'not completed'}.`);
  },
};

const multiDel: ShellCommand = {
  name: 'multi_del',
  help: 'delete multiple values for a single hash key',
  usage: '<hash_key> <sort_key> [sort_key...]',
  flags: [],
  async run(ctx, args) {
    const [hk, ...sortKeys] = expectPositionals(args, 2, Number.MAX_SAFE_INTEGER) as [string, ...string[]];
    const count = await (await ctx.table()).multiDel(argBytes(hk), sortKeys.map(argBytes), opts(ctx));
    ctx.out(`OK, ${count} keys deleted.`);
  },
};

const incr: ShellCommand = {
  name: 'incr',
  help: 'increment value of a key',
  usage: '<hash_key> <sort_key> [increment]',
  flags: [],
  async run(ctx, args) {
    const [hk, sk, step = '1'] = expectPositionals(args, 2, 3) as [string, string, string?];
    if (!/^-?\d+$/.test(step)) throw new UsageError(`increment must be an integer, not ${JSON.stringify(step)}`);
    const value = await (await ctx.table()).incr(argBytes(hk), argBytes(sk), BigInt(step), opts(ctx));
    ctx.out(value.toString());
  },
};

const checkAndSet: ShellCommand = {
  name: 'check_and_set',
  help: 'atomically check and set value',
  usage:
    '<hash_key> [-c|--check_sort_key str] [-t|--check_type not_exist|not_exist_or_empty|exist|not_empty|match_anywhere|match_prefix|match_postfix|' +
    'bytes_less|bytes_less_or_equal|bytes_equal|bytes_greater_or_equal|bytes_greater|int_less|int_less_or_equal|int_equal|int_greater_or_equal|int_greater] ' +
    '[-o|--check_operand str] [-s|--set_sort_key str] [-v|--set_value str] [-l|--set_value_ttl_seconds num] [-r|--return_check_value]',
  flags: [
    flag('c', 'check_sort_key', true),
    flag('t', 'check_type', true),
    flag('o', 'check_operand', true),
    flag('s', 'set_sort_key', true),
    flag('v', 'set_value', true),
    flag('l', 'set_value_ttl_seconds', true),
    flag('r', 'return_check_value'),
  ],
  async run(ctx, args) {
    const [hk] = expectPositionals(args, 1, 1) as [string];
    const need = (name: string): string => {
      const value = args.flags.get(name);
      if (value === undefined) throw new UsageError(`--${name} is required`);
      return value;
    };
    const checkSortKey = argBytes(need('check_sort_key'));
    const checkType = checkTypeOf(need('check_type'));
    const returnCheckValue = hasFlag(args, 'return_check_value');
    const result = await (await ctx.table()).checkAndSet(
      argBytes(hk),
      checkSortKey,
      checkType,
      argBytes(args.flags.get('check_operand') ?? ''),
      argBytes(need('set_sort_key')),
      argBytes(need('set_value')),
      { ...opts(ctx), ttlSeconds: intFlag(args, 'set_value_ttl_seconds', 0, 0, INT32_MAX), returnCheckValue },
    );
    ctx.out(result.setSucceed ? 'Set succeed.' : 'Set failed, because check not passed.');
    if (returnCheckValue) {
      ctx.out(result.checkValue !== undefined ? `Check value: "${escapeBytes(result.checkValue, ctx.escapeAll)}"` : 'Check value not exist.');
    }
  },
};

const exist: ShellCommand = {
  name: 'exist',
  help: 'check value exist',
  usage: '<hash_key> <sort_key>',
  flags: [],
  async run(ctx, args) {
    const [hk, sk] = expectPositionals(args, 2, 2) as [string, string];
    ctx.out((await (await ctx.table()).exist(argBytes(hk), argBytes(sk), opts(ctx))) ? 'True' : 'False');
  },
};

const count: ShellCommand = {
  name: 'count',
  help: 'get sort key count for a single hash key',
  usage: '<hash_key>',
  flags: [],
  async run(ctx, args) {
    const [hk] = expectPositionals(args, 1, 1) as [string];
    ctx.out(String(await (await ctx.table()).sortKeyCount(argBytes(hk), opts(ctx))));
  },
};

const ttl: ShellCommand = {
  name: 'ttl',
  help: 'query ttl for a specific key',
  usage: '<hash_key> <sort_key>',
  flags: [],
  async run(ctx, args) {
    const [hk, sk] = expectPositionals(args, 2, 2) as [string, string];
    const seconds = await (await ctx.table()).ttl(argBytes(hk), argBytes(sk), opts(ctx));
    ctx.out(seconds === undefined ? 'Not found' : seconds < 0 ? 'Infinite' : String(seconds));
  },
};

const SCAN_FLAGS = [
  flag('s', 'sort_key_filter_type', true),
  flag('y', 'sort_key_filter_pattern', true),
  flag('z', 'batch_size', true),
  flag('n', 'max_count', true),
  flag('t', 'timeout_ms', true),
  flag('d', 'detailed'),
  flag('i', 'no_value'),
];

function scanOptions(ctx: ShellContext, args: ParsedArgs): ScanOptions {
  return {
    timeoutMs: intFlag(args, 'timeout_ms', ctx.timeoutMs, 1),
    batchSize: intFlag(args, 'batch_size', 100, 1, INT32_MAX),
    sortKeyFilterType: filterTypeOf(args.flags.get('sort_key_filter_type')),
    sortKeyFilterPattern: argBytes(args.flags.get('sort_key_filter_pattern') ?? ''),
    noValue: hasFlag(args, 'no_value'),
    returnExpireTs: hasFlag(args, 'detailed'),
  };
}

/** Prints rows from the scanners in turn until `max_count` (-1 = all); `-d` adds the TTL left. */
async function printScan(ctx: ShellContext, args: ParsedArgs, scanners: PegasusScanner[]): Promise<void> {
  const maxCount = intFlag(args, 'max_count', -1, -1);
  const noValue = hasFlag(args, 'no_value');
  const detailed = hasFlag(args, 'detailed');
  const nowSeconds = epochNowSeconds(Date.now());
  let n = 0;
  try {
    outer: for (const scanner of scanners) {
      for (;;) {
        if (maxCount >= 0 && n >= maxCount) break outer;
        const entry = await scanner.next();
        if (entry === undefined) break;
        n++;
        let line = formatRecord(entry.hashKey, entry.sortKey, noValue ? undefined : entry.value, ctx.escapeAll);
        if (detailed) {
          const expire = entry.expireTsSeconds ?? 0;
          line += expire > 0 ? ` [ttl: ${Math.max(0, expire - nowSeconds)}s]` : ' [ttl: infinite]';
        }
        ctx.out(line);
      }
    }
  } finally {
    await Promise.all(scanners.map((s) => s.close()));
  }
  ctx.out(`\n${n} key-value pairs got.`);
}

const hashScan: ShellCommand = {
  name: 'hash_scan',
  help: 'scan all sorted keys for a single hash key',
  usage:
    '<hash_key> <start_sort_key> <stop_sort_key> [-a|--start_inclusive true|false] [-b|--stop_inclusive true|false] ' +
    '[-s|--sort_key_filter_type anywhere|prefix|postfix] [-y|--sort_key_filter_pattern str] [-z|--batch_size num] [-n|--max_count num] ' +
    '[-t|--timeout_ms num] [-d|--detailed] [-i|--no_value]',
  flags: [flag('a', 'start_inclusive', true), flag('b', 'stop_inclusive', true), ...SCAN_FLAGS],
  async run(ctx, args) {
    const [hk, start, stop] = expectPositionals(args, 3, 3) as [string, string, string];
    const options: ScanOptions = {
      ...scanOptions(ctx, args),
      startInclusive: boolFlag(args, 'start_inclusive', true),
      stopInclusive: boolFlag(args, 'stop_inclusive', false),
    };
    const scanner = (await ctx.table()).getScanner(argBytes(hk), argBytes(start), argBytes(stop), options);
    await printScan(ctx, args, [scanner]);
  },
};

const fullScan: ShellCommand = {
  name: 'full_scan',
  help: 'scan all hash keys',
  usage:
    '[-h|--hash_key_filter_type anywhere|prefix|postfix] [-x|--hash_key_filter_pattern str] [-s|--sort_key_filter_type anywhere|prefix|postfix] ' +
    '[-y|--sort_key_filter_pattern str] [-z|--batch_size num] [-n|--max_count num] [-t|--timeout_ms num] [-d|--detailed] [-i|--no_value]',
  flags: [flag('h', 'hash_key_filter_type', true), flag('x', 'hash_key_filter_pattern', true), ...SCAN_FLAGS],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    const options: ScanOptions = {
      ...scanOptions(ctx, args),
      hashKeyFilterType: filterTypeOf(args.flags.get('hash_key_filter_type')),
      hashKeyFilterPattern: argBytes(args.flags.get('hash_key_filter_pattern') ?? ''),
    };
    const table = await ctx.table();
    await printScan(ctx, args, await table.getUnorderedScanners(table.partitionCount, options));
  },
};

export const DATA_COMMANDS: readonly ShellCommand[] = [
  set, multiSet, get, multiGet, multiGetRange, multiGetSortkeys, del, multiDel, incr, checkAndSet, exist, count, ttl, hashScan, fullScan,
];
