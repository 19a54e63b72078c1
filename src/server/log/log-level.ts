/**
 * The log level: `PEGASUS_LOG_LEVEL` wins over `[core] logging_start_level`, so an operator can turn on
 * debug output for one run without editing the file. Both accept pino's names and upstream's `LOG_LEVEL_*`.
 */
import { PegasusError } from '../../base/error-code.ts';
import type { UpstreamLogLevel } from '../config/schema.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_LEVEL_ENV = 'PEGASUS_LOG_LEVEL';

const FROM_UPSTREAM: Readonly<Record<UpstreamLogLevel, LogLevel>> = {
  LOG_LEVEL_DEBUG: 'debug',
  LOG_LEVEL_INFO: 'info',
  LOG_LEVEL_WARNING: 'warn',
  LOG_LEVEL_ERROR: 'error',
  LOG_LEVEL_FATAL: 'fatal',
};

function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

export function parseLogLevel(text: string): LogLevel {
  const lower = text.trim().toLowerCase();
  if (isLogLevel(lower)) return lower;
  const upstream = Object.entries(FROM_UPSTREAM).find(([name]) => name.toLowerCase() === lower);
  if (upstream !== undefined) return upstream[1];
  throw new PegasusError(
    'ERR_INVALID_PARAMETERS',
    `unknown log level '${text}': expected one of ${LOG_LEVELS.join(', ')} or ${Object.keys(FROM_UPSTREAM).join(', ')}`,
  );
}

export function resolveLogLevel(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const fromEnv = env[LOG_LEVEL_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseLogLevel(fromEnv);
  return configured === undefined ? 'info' : parseLogLevel(configured);
}
