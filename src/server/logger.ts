import pino, { type Logger } from 'pino';
import type { Config } from '../platform/config.js';

/** Fields that never reach a log line (keys, secrets, auth headers). */
export const REDACTED_PATHS = ['req.headers.authorization', 'writeKey', '*.writeKey', 'secretKey', '*.secretKey', 'key', '*.secret', 'secret'];

/**
 * The process logger: JSON lines, or human-readable lines when stdout is a terminal (pino-pretty,
 * unless SIYU_LOG_FORMAT=json says otherwise). Nothing secret is logged (`REDACTED_PATHS`).
 */
export function createLogger(config: Pick<Config, 'logLevel'> & { logFormat?: 'json' | 'pretty' }): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  const pretty = config.logFormat === 'pretty';
  if (!pretty) return pino(options);
  return pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }));
}
