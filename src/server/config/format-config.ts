/**
 * `pegasus <role> --print-config`: every effective value as INI text that `loadConfig` reads back to the
 * same values, each marked with where it came from (upstream's default, the test profile, or the file).
 */
import ini from 'ini';
import type { PegasusConfig, ValueOrigin } from './config-types.ts';
import { CLUSTERS, DUPLICATION_GROUP, TABLE_SECTION_PREFIX, TABLE_SPEC } from './dynamic-sections.ts';
import type { ConfigValue, KeySpec } from './key-spec.ts';
import { formatValue } from './parse-value.ts';
import { SCHEMA } from './schema.ts';

export interface FormatOptions {
  /** Add each key's one-line description above it. */
  readonly descriptions?: boolean;
}

const ORIGIN_LABEL: Readonly<Record<ValueOrigin, string>> = {
  default: 'default',
  profile: 'profile',
  file: 'file',
};

function keyLines(key: string, value: ConfigValue, origin: ValueOrigin, spec: KeySpec | undefined, options: FormatOptions): string[] {
  const lines: string[] = [];
  if (options.descriptions === true && spec !== undefined) lines.push(`  ; ${spec.description}`);
  const text = ini.safe(formatValue(value));
  const note = origin === 'default' && spec?.codeDefault !== undefined ? `${ORIGIN_LABEL[origin]} (upstream code: ${spec.codeDefault})` : ORIGIN_LABEL[origin];
  // `ini` drops a trailing comment after a quoted value together with the closing quote, so a quoted
  // value gets its mark on the line above instead.
  if (text.startsWith('"')) {
    lines.push(`  ; ${note}`, `  ${key} = ${text}`);
  } else {
    lines.push(`  ${`${key} = ${text}`.padEnd(60)} ; ${note}`);
  }
  return lines;
}

export function formatEffectiveConfig(config: PegasusConfig, options: FormatOptions = {}): string {
  const out: string[] = [
    '; pegasus-ts effective configuration',
    `; role = ${config.role}, profile = ${config.profile}, file = ${config.sourceName ?? '(none)'}`,
    '; each value says where it came from: default (upstream\'s shipped config.ini), profile (the test profile), file',
  ];
  const originOf = (section: string, key: string): ValueOrigin => config.origins[section]?.[key] ?? 'default';
  const fixed: Readonly<Record<string, Readonly<Record<string, KeySpec>>>> = SCHEMA;
  const bySection: ReadonlyMap<string, unknown> = new Map(Object.entries(config.values));

  for (const [section, keys] of Object.entries(fixed)) {
    out.push('', `[${section}]`);
    const sectionValues = bySection.get(section) as Readonly<Record<string, ConfigValue>>;
    for (const [key, spec] of Object.entries(keys)) {
      out.push(...keyLines(key, sectionValues[key]!, originOf(section, key), spec, options));
    }
  }

  out.push('', `[${DUPLICATION_GROUP}]`);
  const group = Object.entries(config.values[DUPLICATION_GROUP]);
  if (group.length === 0) out.push(`  ; empty: this cluster (${config.values.replication.cluster_name}) has id ${config.derived.localClusterId}`);
  for (const [name, id] of group) out.push(...keyLines(name, id, originOf(DUPLICATION_GROUP, name), undefined, options));

  out.push('', `[${CLUSTERS}]`);
  const clusters = Object.entries(config.values[CLUSTERS]);
  if (clusters.length === 0) out.push('  ; empty: no remote cluster');
  for (const [name, servers] of clusters) out.push(...keyLines(name, servers, originOf(CLUSTERS, name), undefined, options));

  for (const [suffix, table] of Object.entries(config.values['meta_server.apps'])) {
    const section = `${TABLE_SECTION_PREFIX}${suffix}`;
    out.push('', `[${section}]`);
    const tableValues: Readonly<Record<string, ConfigValue>> = table;
    for (const [key, spec] of Object.entries(TABLE_SPEC)) {
      out.push(...keyLines(key, tableValues[key]!, originOf(section, key), spec, options));
    }
  }
  return `${out.join('\n')}\n`;
}
