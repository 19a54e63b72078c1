/**
 * The command table: admin and data commands plus the session ones (help, version, use, escape_all,
 * timeout, exit/quit), and lookup by name, as upstream's `commands[]` in src/shell/main.cpp.
 */
import { readFileSync } from 'node:fs';
import { UsageError, expectPositionals, parseIntArg } from './args.ts';
import { ADMIN_COMMANDS } from './commands-admin.ts';
import { DATA_COMMANDS } from './commands-data.ts';
import { RECOVERY_COMMANDS } from './commands-recovery.ts';
import type { ShellCommand } from './command.ts';

const help: ShellCommand = {
  name: 'help',
  help: 'print help info',
  usage: '[command]',
  flags: [],
  async run(ctx, args) {
    const [name] = expectPositionals(args, 0, 1);
    if (name !== undefined) {
      const command = findCommand(name);
      if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
      ctx.out(`${command.name}: ${command.help}\nUSAGE: ${command.name} ${command.usage}`.trimEnd());
      return;
    }
    ctx.out(formatHelp());
  },
};

const version: ShellCommand = {
  name: 'version',
  help: 'get the shell version',
  usage: '',
  flags: [],
  async run(ctx, args) {
    expectPositionals(args, 0, 0);
    ctx.out(`Pegasus Shell (pegasus-ts) ${packageVersion()}`);
  },
};

const use: ShellCommand = {
  name: 'use',
  help: 'set the current app used for the data access commands',
  usage: '[app_name]',
  flags: [],
  async run(ctx, args) {
    const [name] = expectPositionals(args, 0, 1);
    if (name === undefined) {
      ctx.out(ctx.currentApp === undefined ? 'no current app' : `current app: ${ctx.currentApp}`);
      return;
    }
    // Open it now so a typo fails here, not on the next data command.
    await ctx.openTable(name);
    ctx.currentApp = name;
    ctx.out('OK');
  },
};

const escapeAll: ShellCommand = {
  name: 'escape_all',
  help: 'if escape all characters when printing key/value bytes',
  usage: '[true|false]',
  flags: [],
  async run(ctx, args) {
    const [value] = expectPositionals(args, 0, 1);
    if (value !== undefined) {
      if (value !== 'true' && value !== 'false') throw new UsageError('expected true or false');
      ctx.escapeAll = value === 'true';
    }
    ctx.out(`escape_all: ${ctx.escapeAll}`);
  },
};

const timeout: ShellCommand = {
  name: 'timeout',
  help: 'default timeout in milliseconds for read/write operations',
  usage: '[time_in_ms]',
  flags: [],
  async run(ctx, args) {
    const [value] = expectPositionals(args, 0, 1);
    if (value !== undefined) ctx.timeoutMs = parseIntArg(value, 'time_in_ms', 1, 3_600_000);
    ctx.out(`timeout: ${ctx.timeoutMs} ms`);
  },
};

const exit: ShellCommand = {
  name: 'exit',
  help: 'exit shell',
  usage: '',
  flags: [],
  async run(ctx) {
    ctx.exitRequested = true;
  },
};

const quit: ShellCommand = { ...exit, name: 'quit' };

export const COMMANDS: readonly ShellCommand[] = [help, version, ...ADMIN_COMMANDS, ...RECOVERY_COMMANDS, use, escapeAll, timeout, ...DATA_COMMANDS, exit, quit];

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

export function findCommand(name: string): ShellCommand | undefined {
  return BY_NAME.get(name);
}

export function commandNames(): string[] {
  return COMMANDS.map((c) => c.name);
}

/** Upstream's `help`: every command with its synopsis, names padded to one column. */
export function formatHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return ['Usage:', ...COMMANDS.map((c) => `\t${c.name.padEnd(width + 2)}${c.usage}`.trimEnd())].join('\n') + '\n';
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
