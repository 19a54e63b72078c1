/**
 * INI text → a frozen, typed `PegasusConfig`: defaults, then the profile, then the file; every value
 * checked against its spec, then the relationships between keys. Pure (no file access), so tests and
 * `--print-config` use the same path as the servers.
 */
import type { ConfigValues, PegasusConfig, ServerRole, ValueOrigin } from './config-types.ts';
import { deriveConfig } from './derive.ts';
import {
  CLUSTER_ID,
  CLUSTER_META_SERVERS,
  CLUSTERS,
  DUPLICATION_GROUP,
  TABLE_SECTION_PREFIX,
  TABLE_SPEC,
} from './dynamic-sections.ts';
import { checkInvariants } from './invariants.ts';
import type { ConfigValue, KeySpec } from './key-spec.ts';
import { parseValue } from './parse-value.ts';
import { ConfigError, type ConfigProblem } from './problems.ts';
import { PROFILE_OVERRIDES, type ConfigProfile } from './profiles.ts';
import { readIni, type IniEntry } from './read-ini.ts';
import { SCHEMA, UPSTREAM_KEYS_NOT_USED, UPSTREAM_SECTIONS_NOT_USED } from './schema.ts';

export interface ParseOptions {
  readonly role: ServerRole;
  readonly profile?: ConfigProfile;
  /** Names the text in messages (`<name>:<line>`); a file path when the text came from a file. */
  readonly sourceName?: string;
}

export interface ParsedConfig {
  readonly config: PegasusConfig;
  /** Problems that do not stop the process; report them at start. */
  readonly warnings: readonly ConfigProblem[];
}

type MutableSection = Record<string, ConfigValue>;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function specOf(section: Readonly<Record<string, KeySpec>>, key: string): KeySpec | undefined {
  return Object.hasOwn(section, key) ? section[key] : undefined;
}

function lineOf(problem: ConfigProblem): number {
  const match = /:(\d+)$/.exec(problem.where);
  return match === null ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

export function parseConfig(text: string, options: ParseOptions): ParsedConfig {
  const profile = options.profile ?? 'production';
  const name = options.sourceName ?? '<config>';
  const doc = readIni(text);
  const problems: ConfigProblem[] = [];
  const report = (severity: ConfigProblem['severity'], section: string, key: string | undefined, line: number | undefined, message: string): void => {
    problems.push({ severity, section, key, where: line === undefined ? name : `${name}:${line}`, message });
  };

  const values: Record<string, MutableSection> = {};
  const origins: Record<string, Record<string, ValueOrigin>> = {};
  const fixed: Readonly<Record<string, Readonly<Record<string, KeySpec>>>> = SCHEMA;
  for (const [section, keys] of Object.entries(fixed)) {
    values[section] = {};
    origins[section] = {};
    for (const [key, spec] of Object.entries(keys)) {
      values[section][key] = spec.default;
      origins[section][key] = 'default';
    }
  }
  for (const [section, overrides] of Object.entries(PROFILE_OVERRIDES[profile])) {
    for (const [key, value] of Object.entries(overrides ?? {})) {
      values[section]![key] = value as ConfigValue;
      origins[section]![key] = 'profile';
    }
  }
  const group: Record<string, number> = {};
  const clusters: Record<string, readonly string[]> = {};
  const tables: Record<string, MutableSection> = {};
  origins[DUPLICATION_GROUP] = {};
  origins[CLUSTERS] = {};

  const assign = (spec: KeySpec, entry: IniEntry, set: (value: ConfigValue) => void): void => {
    const parsed = parseValue(spec, entry.text);
    if (parsed.ok) set(parsed.value);
    else report('error', entry.section, entry.key, entry.line, parsed.error);
  };

  for (const entry of doc.entries) {
    const { section, key } = entry;
    const fixedSection = Object.hasOwn(fixed, section) ? fixed[section] : undefined;
    if (fixedSection !== undefined) {
      const spec = specOf(fixedSection, key);
      if (spec === undefined) {
        const upstreamOnly = UPSTREAM_KEYS_NOT_USED[section]?.includes(key) === true;
        report('warning', section, key, entry.line, upstreamOnly ? 'upstream key not used by pegasus-ts, ignored' : 'unknown key, ignored');
        continue;
      }
      assign(spec, entry, (value) => {
        values[section]![key] = value;
        origins[section]![key] = 'file';
      });
    } else if (section === DUPLICATION_GROUP) {
      assign(CLUSTER_ID, entry, (value) => {
        group[key] = value as number;
        origins[DUPLICATION_GROUP]![key] = 'file';
      });
    } else if (section === CLUSTERS) {
      assign(CLUSTER_META_SERVERS, entry, (value) => {
        clusters[key] = value as readonly string[];
        origins[CLUSTERS]![key] = 'file';
      });
    } else if (section.startsWith(TABLE_SECTION_PREFIX) && section.length > TABLE_SECTION_PREFIX.length) {
      const spec = specOf(TABLE_SPEC, key);
      if (spec === undefined) {
        report('warning', section, key, entry.line, 'unknown key, ignored');
        continue;
      }
      assign(spec, entry, (value) => {
        (tables[section] ??= {})[key] = value;
        (origins[section] ??= {})[key] = 'file';
      });
    } else if (section === '') {
      report('warning', section, key, entry.line, 'key outside any section, ignored');
    }
  }

  // Section-level reports, once per section rather than once per key of upstream's long config.ini.
  for (const [section, line] of doc.sections) {
    if (Object.hasOwn(fixed, section) || section === DUPLICATION_GROUP || section === CLUSTERS) continue;
    if (section.startsWith(TABLE_SECTION_PREFIX) && section.length > TABLE_SECTION_PREFIX.length) {
      tables[section] ??= {};
      origins[section] ??= {};
      continue;
    }
    const upstreamOnly = UPSTREAM_SECTIONS_NOT_USED.some((pattern) => pattern.test(section));
    report('warning', section, undefined, line, upstreamOnly ? 'upstream section not used by pegasus-ts, ignored' : 'unknown section, ignored');
  }
  for (const entry of doc.repeated) {
    report('warning', entry.section, entry.key, entry.line, `set more than once; the last value (line ${entry.line ?? '?'}) wins`);
  }

  const tableValues: Record<string, MutableSection> = {};
  for (const [section, set] of Object.entries(tables)) {
    const table: MutableSection = {};
    for (const [key, spec] of Object.entries(TABLE_SPEC)) table[key] = set[key] ?? spec.default;
    const suffix = section.slice(TABLE_SECTION_PREFIX.length);
    if (table.app_name === '') table.app_name = suffix;
    tableValues[suffix] = table;
  }

  // Every value now has its spec's type; the schema's mapped type cannot follow the loops above.
  const typed = {
    ...values,
    [DUPLICATION_GROUP]: group,
    [CLUSTERS]: clusters,
    'meta_server.apps': tableValues,
  } as unknown as ConfigValues;

  // Relationships are checked only between valid values: a bad value would make them report noise.
  if (!problems.some((p) => p.severity === 'error')) {
    for (const violation of checkInvariants(typed, options.role)) {
      const line = violation.key === undefined ? doc.sections.get(violation.section) : doc.entries.find((e) => e.section === violation.section && e.key === violation.key)?.line;
      report('error', violation.section, violation.key, line, violation.message);
    }
  }
  // In file order, so the operator reads them top to bottom.
  problems.sort((a, b) => lineOf(a) - lineOf(b));
  if (problems.some((p) => p.severity === 'error')) throw new ConfigError(problems);

  const config: PegasusConfig = {
    role: options.role,
    profile,
    sourceName: options.sourceName,
    values: typed,
    origins,
    derived: deriveConfig(typed, options.role),
  };
  return { config: deepFreeze(config), warnings: Object.freeze(problems) };
}
