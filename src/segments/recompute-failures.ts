/**
 * Failed recomputes: a segment whose full recompute (or whose evaluation by the change feed) throws
 * is backed off (30 s, doubling to 1 h) with its reason recorded on its row, and skipped by the
 * worker and the feed until then, so the other segments and workspaces go on. After 8 failures in
 * a row the API shows it as failed; it is still retried hourly. A success, a rule change or a
 * requested recompute clears it. Operators: docs/operations.md, "A segment that keeps failing".
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { isStatementTimeout } from '../platform/db/statement-limits.js';
import { doublingDelayMs, failureText } from '../platform/failure.js';
import type { SegmentsSqlDB } from './schema.js';

/** The back-off of a failing segment. */
export const RECOMPUTE_BACKOFF = {
  /** Wait after the first failure; doubles with each further one. */
  firstMs: 30_000,
  maxMs: 3_600_000,
  /** Failures in a row after which the segment shows as failed (`recompute.state`). */
  failedAfter: 8,
} as const;

/** The wait after the `failures`-th failure in a row. */
export function retryDelayMs(failures: number): number {
  return doublingDelayMs(failures, RECOMPUTE_BACKOFF.firstMs, RECOMPUTE_BACKOFF.maxMs);
}

/** The columns of a segment that is not failing (a success, a rule change, a requested recompute). */
export const NO_FAILURES = { recompute_failures: 0, recompute_error: null, recompute_failed_at: null, recompute_retry_at: null } as const;

/**
 * A failure's reason as the API shows it: the error's code and message on one line, at most 500
 * characters, without URLs or `password=`-like pairs; a statement timeout in words.
 */
export function failureReason(err: unknown, timeoutMs?: number): string {
  if (isStatementTimeout(err))
    return `a query ran longer than ${timeoutMs ? `${timeoutMs / 1000} s ` : 'its limit '}and was stopped (SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS): simplify the rule or raise the limit`;
  return failureText(err);
}

/**
 * Records a failure of the segment's recompute or evaluation at `now`: one more failure and the
 * next try after the back-off, unless it is backing off already (a failure the feed and a
 * recompute both met counts once; the reason is updated). A segment without a recompute pending
 * gets one, so that the changes the feed skips meanwhile are covered when it succeeds. Returns the
 * failures in a row and the next try; undefined if the segment is gone or not active.
 */
export async function recordRecomputeFailure(
  db: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ws: string,
  segmentId: string,
  reason: string,
  now: number,
): Promise<{ failures: number; retryAt: number } | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await dialect
      .forUpdate(
        trx
          .selectFrom('segments')
          .select(['status', 'kind', 'version', 'recompute_version', 'recompute_failures', 'recompute_retry_at'])
          .where('workspace_id', '=', ws)
          .where('id', '=', segmentId),
      )
      .executeTakeFirst();
    if (!row || row.status !== 'active' || row.kind !== 'rule') return undefined;
    const retrying = row.recompute_retry_at !== null && Number(row.recompute_retry_at) > now;
    const failures = retrying ? row.recompute_failures : row.recompute_failures + 1;
    const retryAt = retrying ? Number(row.recompute_retry_at) : now + retryDelayMs(failures);
    await trx
      .updateTable('segments')
      .set({
        recompute_failures: failures,
        recompute_error: reason,
        recompute_failed_at: now,
        recompute_retry_at: retryAt,
        ...(row.recompute_version === null ? { recompute_version: row.version, recompute_cursor: null, recompute_started_at: now } : {}),
      })
      .where('workspace_id', '=', ws)
      .where('id', '=', segmentId)
      .execute();
    return { failures, retryAt };
  });
}
