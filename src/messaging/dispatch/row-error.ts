/**
 * A row whose processing threw (not a provider's answer: a corrupt row, a render that fails
 * unexpectedly, a database error in one workspace) is backed off like a retryable failure, with
 * its reason on the row, so it neither stalls the queue nor comes back every pass: `attempts + 1`,
 * reason `error: <message>`, error code `INTERNAL`, due again after 30 s, 1 min, 2 min … (≤ 1 h).
 * Out of attempts (`maxAttempts`), a queued or held row is `failed`; a `sending` row whose
 * recovery keeps failing is `unknown` (its provider call may have happened).
 */
import { mdb } from '../deps.js';
import { DEFAULT_SETTINGS, loadSettings } from '../settings.js';
import { backoff, type DispatchContext, type DispatchStats, dueQuery, type RowKey, updateRow } from './types.js';

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The workspace's attempt budget; the default when its settings cannot be read (they may be what fails). */
async function maxAttemptsOf(ctx: DispatchContext, ws: string): Promise<number> {
  try {
    return (await loadSettings(ctx.deps, ws)).maxAttempts;
  } catch {
    return DEFAULT_SETTINGS.maxAttempts;
  }
}

/**
 * Records a failed attempt at processing a due row in a transaction of its own (unless another
 * worker took the row or it is no longer due); false when that could not be written either.
 */
export async function recordRowError(ctx: DispatchContext, key: RowKey, err: unknown, stats: DispatchStats): Promise<boolean> {
  const { deps } = ctx;
  const reason = `error: ${errorText(err)}`.slice(0, 500);
  deps.log.error({ err, workspaceId: key.workspaceId, messageId: key.id }, 'messaging: processing a message failed; it is backed off');
  try {
    const maxAttempts = await maxAttemptsOf(ctx, key.workspaceId);
    await mdb(deps.database.db)
      .transaction()
      .execute(async (trx) => {
        const now = deps.now();
        const row = await deps.database.dialect.claim(dueQuery(trx, now, key).selectAll()).executeTakeFirst();
        if (!row) return;
        const attempts = row.attempts + 1;
        const final = attempts >= maxAttempts;
        const sending = row.status === 'sending';
        const due = now + backoff(attempts);
        const set = final
          ? { status: sending ? 'unknown' : 'failed', lease_until: null }
          : { status: sending ? 'sending' : 'queued', next_attempt_at: due, lease_until: sending ? due : null };
        await updateRow(trx, row, { ...set, attempts, reason, error_code: 'INTERNAL' }, now);
        stats.claimed++;
        stats.errors++;
        if (final) stats[sending ? 'unknown' : 'failed']++;
      });
    return true;
  } catch (e) {
    deps.log.error({ err: e, workspaceId: key.workspaceId, messageId: key.id }, 'messaging: recording a failed attempt failed');
    return false;
  }
}
