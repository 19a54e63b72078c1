/**
 * How one configuration key is declared: its type, its default, its bounds and a one-line description.
 * The schema (schema.ts) is a table of these, so parsing, checking, `--print-config` and the docs all
 * read the same declaration and cannot drift apart.
 */

export type KeyType = 'string' | 'int' | 'bool' | 'list' | 'size';

interface SpecBase {
  readonly description: string;
  /**
   * Upstream's default in code when it differs from the shipped production `config.ini` (our default).
   * Printed by `--print-config` so an operator reading upstream's source is not surprised.
   */
  readonly codeDefault?: string;
}

export interface IntSpec extends SpecBase {
  readonly type: 'int';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
}

/** Bytes; accepts a plain integer (upstream's form) or a binary suffix (`64M`, `10GiB`). */
export interface SizeSpec extends SpecBase {
  readonly type: 'size';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
}

export interface BoolSpec extends SpecBase {
  readonly type: 'bool';
  readonly default: boolean;
}

export interface StringSpec extends SpecBase {
  readonly type: 'string';
  readonly default: string;
  /** The only accepted values, when the key is an enumeration upstream. */
  readonly choices?: readonly string[];
  /** Extra check; returns why the value is wrong, or undefined. */
  readonly check?: (value: string) => string | undefined;
}

/** Comma-separated, trimmed, empty items dropped (upstream's `split_args(..., ',')`). */
export interface ListSpec extends SpecBase {
  readonly type: 'list';
  readonly default: readonly string[];
  /** Checks one item; returns why it is wrong, or undefined. */
  readonly checkItem?: (item: string) => string | undefined;
}

export type KeySpec = IntSpec | SizeSpec | BoolSpec | StringSpec | ListSpec;

export type ValueOf<S> = S extends IntSpec | SizeSpec
  ? number
  : S extends BoolSpec
    ? boolean
    : S extends ListSpec
      ? readonly string[]
      : S extends StringSpec
        ? string
        : never;

export type ConfigValue = number | boolean | string | readonly string[];

type Extras<S> = Omit<S, 'type' | 'default' | 'description'>;

export function int(value: number, description: string, extras: Extras<IntSpec> = {}): IntSpec {
  return { type: 'int', default: value, description, ...extras };
}

export function size(bytes: number, description: string, extras: Extras<SizeSpec> = {}): SizeSpec {
  return { type: 'size', default: bytes, description, ...extras };
}

export function bool(value: boolean, description: string, extras: Extras<BoolSpec> = {}): BoolSpec {
  return { type: 'bool', default: value, description, ...extras };
}

export function str(value: string, description: string, extras: Extras<StringSpec> = {}): StringSpec {
  return { type: 'string', default: value, description, ...extras };
}

export function list(value: readonly string[], description: string, extras: Extras<ListSpec> = {}): ListSpec {
  return { type: 'list', default: value, description, ...extras };
}
