import type { IncomingMessage } from 'node:http';
import pino, { type Logger } from 'pino';
import { maskText } from '../compliance/index.js';
import type { Config } from '../platform/config.js';

/** Fields that never reach a log line (keys, secrets, auth headers). */
export const REDACTED_PATHS = ['req.headers.authorization', 'writeKey', '*.writeKey', 'secretKey', '*.secretKey', 'key', '*.secret', 'secret'];

/** Query parameters whose values are credentials or signed material (WeCom's signature and echo, OAuth codes, tokens). */
const SECRET_PARAM = /secret|password|token|key|signature|echostr|^code$|ticket|sig$/i;
/** Paths whose segment after the prefix is a bearer capability: survey answer links, tracked links, the SDK settings' write key. */
const CAPABILITY = /^(\/(?:s|r|o|u)\/|\/v1\/projects\/)([^/?]+)/;

/**
 * A request URL as the log keeps it (issue #19): phones and emails in the path and the query
 * masked (`/v1/profiles/phone:+86…`), a capability token cut to its first 6 characters, and the
 * values of query parameters that name a secret, token, key or signature replaced by `[redacted]`.
 */
export function logUrl(url: string): string {
  const q = url.indexOf('?');
  const path = maskText((q < 0 ? url : url.slice(0, q)).replace(CAPABILITY, (_m, prefix: string, token: string) => `${prefix}${token.slice(0, 6)}…`));
  if (q < 0) return path;
  const parts: string[] = [];
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) parts.push(`${maskText(k)}=${SECRET_PARAM.test(k) ? '[redacted]' : maskText(v)}`);
  return `${path}?${parts.join('&')}`;
}

/** What a request log line says of the request (Fastify's fields, with the URL made safe by {@link logUrl}). */
function requestSerializer(req: { method?: string; url?: string; host?: string; hostname?: string; ip?: string; socket?: IncomingMessage['socket'] }) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : logUrl(req.url),
    host: req.host ?? req.hostname,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/**
 * The process logger: JSON lines, or human-readable lines when stdout is a terminal (pino-pretty,
 * unless SIYU_LOG_FORMAT=json says otherwise). Nothing secret is logged (`REDACTED_PATHS`), and
 * request URLs are logged masked (`logUrl`); test/e2e/log-secrets.test.ts greps a real server's log.
 */
export function createLogger(config: Pick<Config, 'logLevel'> & { logFormat?: 'json' | 'pretty' }): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { req: requestSerializer } };
  const pretty = config.logFormat === 'pretty';
  if (!pretty) return pino(options);
  return pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }));
}
