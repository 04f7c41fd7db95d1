/** Recognises the errors of a database that is away or too slow right now. */

const UNAVAILABLE_CODES = new Set([
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection exceptions, too many connections, query canceled (statement timeout)
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  '57014',
  // A SQLite scan stopped by its time limit (statement-limits.ts)
  'SIYU_STATEMENT_TIMEOUT',
  // Node sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  // SQLite: the database stayed locked past busy_timeout
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_TIMEOUT',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended unexpectedly|terminating connection/i;

/**
 * True for errors that mean the database is away or too slow right now (restarting, frozen,
 * unreachable, out of connections, a statement past its timeout), not that the request was wrong:
 * the HTTP layer answers them with 503 and Retry-After, and workers retry them on their next pass.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}
