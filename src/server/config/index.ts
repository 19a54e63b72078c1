/** Configuration of a pegasus-ts process: upstream's INI sections and keys, defaults, profiles, checks. */
export type { ConfigValues, DataDir, DerivedConfig, PegasusConfig, ServerRole, ValueOrigin } from './config-types.ts';
export type { DynamicValues, TableDeclaration } from './dynamic-sections.ts';
export { formatEffectiveConfig, type FormatOptions } from './format-config.ts';
export { parseHostPort, type HostPort } from './host-port.ts';
export type { ConfigValue, KeySpec, KeyType } from './key-spec.ts';
export { loadConfig, type ConfigSource, type LoadOptions } from './load-config.ts';
export { parseConfig, type ParseOptions, type ParsedConfig } from './parse-config.ts';
export { ConfigError, describeProblem, type ConfigProblem } from './problems.ts';
export { CONFIG_PROFILES, TEST_PROFILE, type ConfigProfile } from './profiles.ts';
export { SCHEMA, UPSTREAM_LOG_LEVELS, type FixedValues, type SectionName, type UpstreamLogLevel } from './schema.ts';
