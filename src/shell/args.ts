/**
 * Flag parsing for shell commands, in upstream's getopt style: `-p 8`, `--partition_count 8`,
 * `--partition_count=8`, flags anywhere among the positionals, `--` ends flags. Pure, so every command's
 * syntax is unit-tested without a cluster.
 */

export interface FlagSpec {
  /** One letter, without the dash. */
  readonly short: string;
  /** Upstream's long name, without the dashes. */
  readonly long: string;
  /** True when the flag takes a value (`-p 8`); false for a switch (`-d`). */
  readonly value: boolean;
}

export interface ParsedArgs {
  readonly positionals: string[];
  /** Keyed by the long name; a switch maps to 'true'. */
  readonly flags: Map<string, string>;
}

/** A usage mistake: the runner prints it with the command's synopsis. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(args: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = specs.find((s) => s.long === name);
      if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      spec = specs.find((s) => s.short === arg[1]);
      if (spec === undefined) throw new UsageError(`unknown option ${arg}`);
    } else {
      // Values such as "-5" (an incr step) are positionals, not flags.
      positionals.push(arg);
      continue;
    }
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`option --${spec.long} takes no value`);
      flags.set(spec.long, 'true');
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`option --${spec.long} needs a value`);
    flags.set(spec.long, value);
  }
  return { positionals, flags };
}

export function flag(short: string, long: string, value = false): FlagSpec {
  return { short, long, value };
}

/** A whole number flag within [min, max], or the default when absent. */
export function intFlag(parsed: ParsedArgs, long: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const text = parsed.flags.get(long);
  if (text === undefined) return fallback;
  return parseIntArg(text, long, min, max);
}

export function parseIntArg(text: string, what: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${what} must be an integer, not ${JSON.stringify(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${what} must be in [${min}, ${max}], not ${text}`);
  return value;
}

/** `true|false` flags such as `--start_inclusive`. */
export function boolFlag(parsed: ParsedArgs, long: string, fallback: boolean): boolean {
  const text = parsed.flags.get(long);
  if (text === undefined) return fallback;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new UsageError(`--${long} must be true or false, not ${JSON.stringify(text)}`);
}

export function hasFlag(parsed: ParsedArgs, long: string): boolean {
  return parsed.flags.has(long);
}

/** Exactly `min..max` positionals, else a UsageError naming what is missing or extra. */
export function expectPositionals(parsed: ParsedArgs, min: number, max: number): string[] {
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`missing arguments (${n} given, ${min} needed)`);
  if (n > max) throw new UsageError(`too many arguments (${n} given, at most ${max})`);
  return parsed.positionals;
}
