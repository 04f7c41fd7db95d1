/**
 * A fan-out chunk that throws (not a failure of the broadcast itself such as an archived template,
 * which fails it at once: a corrupt row, a database error in one workspace, a bug) is backed off
 * with its reason, so it neither stalls the worker for every other broadcast nor comes back every
 * pass: `error` says why, `retry_at` when it is tried again (30 s, 1 min, 2 min … at most 1 h), and
 * after MAX_CHUNK_FAILURES consecutive failures (about an hour of trying) the broadcast is `failed`
 * with that error. A chunk that commits clears the count.
 */
import { bdb } from './broadcasts.repo.js';
import type { BroadcastsDeps } from './deps.js';

/** Consecutive failed chunks before the broadcast fails: 30 s + 1 + 2 + 4 + 8 + 16 + 32 min of back-off in between. */
export const MAX_CHUNK_FAILURES = 8;

/** The wait after the `failures`-th consecutive failure: 30 s doubling, at most 1 h. */
export const chunkBackoff = (failures: number): number => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, failures - 1));

/** What recording a failed chunk did: backed off, failed for good, or nothing (the broadcast left the fan-out, or another worker holds it). */
export type ChunkFailureState = 'retrying' | 'failed' | 'skipped';

/** Records a failed chunk of a broadcast still fanning out, in a transaction of its own. */
export async function recordChunkFailure(
  deps: Pick<BroadcastsDeps, 'database' | 'now' | 'log'>,
  ws: string,
  id: string,
  err: unknown,
): Promise<ChunkFailureState> {
  const message = err instanceof Error ? err.message : String(err);
  const error = `error: ${message}`.slice(0, 1000);
  return deps.database.db.transaction().execute(async (trx) => {
    const now = deps.now();
    const q = bdb(trx)
      .selectFrom('broadcasts')
      .select(['failures'])
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .where('status', 'in', ['scheduled', 'sending']);
    const row = await deps.database.dialect.claim(q).executeTakeFirst();
    if (!row) return 'skipped';
    const failures = row.failures + 1;
    const final = failures >= MAX_CHUNK_FAILURES;
    await bdb(trx)
      .updateTable('broadcasts')
      .set(
        final
          ? { status: 'failed', failures, error, retry_at: null, finished_at: now, updated_at: now }
          : { failures, error, retry_at: now + chunkBackoff(failures), updated_at: now },
      )
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
    deps.log[final ? 'error' : 'warn']({ err, workspaceId: ws, broadcastId: id, failures }, final ? 'broadcast failed' : 'broadcast chunk failed; backed off');
    return final ? 'failed' : 'retrying';
  });
}
