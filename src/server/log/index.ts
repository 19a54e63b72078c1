/** Structured process logging (pino). */
export { childLogger, createLogger, type LogBindings, type Logger, type LoggerOptions } from './logger.ts';
export { LOG_LEVEL_ENV, LOG_LEVELS, parseLogLevel, resolveLogLevel, type LogLevel } from './log-level.ts';
