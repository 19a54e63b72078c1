/** Turns the text of one INI value into the typed value its spec declares, or says why it cannot. */
import type { ConfigValue, KeySpec } from './key-spec.ts';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const INTEGER = /^[+-]?\d+$/;
const SIZE = /^(\d+)\s*(?:([KMGT])(?:i?B)?|B)?$/i;
const SIZE_UNITS: Readonly<Record<string, number>> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

function fail(error: string): Parsed<never> {
  return { ok: false, error };
}

function inRange(value: number, spec: { min?: number; max?: number }): Parsed<number> {
  if (spec.min !== undefined && value < spec.min) return fail(`${value} is below the minimum ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) return fail(`${value} is above the maximum ${spec.max}`);
  return { ok: true, value };
}

function parseInteger(text: string): Parsed<number> {
  if (!INTEGER.test(text)) return fail(`expected an integer, got '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return fail(`${text} is too large`);
  return { ok: true, value };
}

function parseSize(text: string): Parsed<number> {
  const match = SIZE.exec(text);
  if (match === null) return fail(`expected a size in bytes (e.g. 67108864 or 64M), got '${text}'`);
  const unit = match[2] === undefined ? 1 : SIZE_UNITS[match[2].toUpperCase()]!;
  const value = Number(match[1]) * unit;
  if (!Number.isSafeInteger(value)) return fail(`${text} is too large`);
  return { ok: true, value };
}

/**
 * `text` is the value as the INI parser returned it (already unquoted and stripped of comments).
 * A `%{...}` placeholder is refused: it is upstream's deployment template, never a real value.
 */
export function parseValue(spec: KeySpec, text: string): Parsed<ConfigValue> {
  const trimmed = text.trim();
  if (trimmed.includes('%{')) return fail(`'${trimmed}' holds an unexpanded %{...} placeholder from upstream's template`);
  switch (spec.type) {
    case 'int': {
      const parsed = parseInteger(trimmed);
      return parsed.ok ? inRange(parsed.value, spec) : parsed;
    }
    case 'size': {
      const parsed = parseSize(trimmed);
      return parsed.ok ? inRange(parsed.value, spec) : parsed;
    }
    case 'bool': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true') return { ok: true, value: true };
      if (lower === 'false') return { ok: true, value: false };
      return fail(`expected true or false, got '${trimmed}'`);
    }
    case 'string': {
      // Untrimmed: `ini` already trims unquoted values, so spaces left here were quoted on purpose.
      if (spec.choices !== undefined && !spec.choices.includes(text)) {
        return fail(`'${text}' is not one of ${spec.choices.join(', ')}`);
      }
      const why = spec.check?.(text);
      return why === undefined ? { ok: true, value: text } : fail(why);
    }
    case 'list': {
      const items = trimmed.split(',').map((item) => item.trim()).filter((item) => item !== '');
      for (const item of items) {
        const why = spec.checkItem?.(item);
        if (why !== undefined) return fail(why);
      }
      return { ok: true, value: Object.freeze(items) };
    }
  }
}

/** The text `parseValue` reads back as `value` (integers and sizes in plain form, lists comma-joined). */
export function formatValue(value: ConfigValue): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
