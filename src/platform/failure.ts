/**
 * Failures of background jobs as operators see them in the API: a reason on one line and a
 * back-off that doubles. Shared by the workers that keep a failing job's state (segments'
 * recomputes, SCRM's operations steps).
 */

/**
 * A failure's reason as the API shows it: the error's code and message on one line, at most 500
 * characters, without URLs or `password=`-like pairs (no secret or internal address reaches a tenant).
 */
export function failureText(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' || typeof e?.code === 'number' ? `${e.code}: ` : '';
  return (code + message)
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .replace(/\b(password|passwd|pwd|secret|token|key)=\S+/gi, '$1=<redacted>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

/** The wait after the `failures`-th failure in a row: `firstMs`, doubling, at most `maxMs`. */
export function doublingDelayMs(failures: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1));
}
