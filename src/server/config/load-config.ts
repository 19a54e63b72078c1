/** Reads a process's INI file (or takes its text) and parses it; the entry point servers call at start. */
import { readFileSync } from 'node:fs';
import { PegasusError } from '../../base/error-code.ts';
import { parseConfig, type ParseOptions, type ParsedConfig } from './parse-config.ts';

/** A file to read, or INI text (with an optional name for messages). No source = pure defaults. */
export type ConfigSource = { readonly path: string } | { readonly text: string; readonly name?: string };

export type LoadOptions = Omit<ParseOptions, 'sourceName'>;

function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const missing = cause instanceof Error && 'code' in cause && cause.code === 'ENOENT';
    throw new PegasusError(
      missing ? 'ERR_PATH_NOT_FOUND' : 'ERR_FILE_OPERATION_FAILED',
      `cannot read config file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * Throws `ConfigError` (ERR_INVALID_PARAMETERS, every error listed) when a value is invalid; unknown
 * sections and keys come back as `warnings` for the caller to log.
 */
export function loadConfig(source: ConfigSource | undefined, options: LoadOptions): ParsedConfig {
  if (source === undefined) return parseConfig('', options);
  if ('path' in source) return parseConfig(readSource(source.path), { ...options, sourceName: source.path });
  return parseConfig(source.text, { ...options, ...(source.name === undefined ? {} : { sourceName: source.name }) });
}
