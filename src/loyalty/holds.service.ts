/** The release of held order points: once an order's return window closes, what refunds left of its award is credited (awards.service.ts releaseAward). */
import type { Database } from '../platform/db/database.js';
import { withRetries } from '../platform/db/database.js';
import { releaseAward } from './awards.service.js';

/**
 * Releases every hold whose time has come (index loyalty_awards_release), a batch per transaction.
 * Each award is re-read under its account's lock, so two workers releasing at once credit once.
 */
export async function releaseDue(
  database: Database,
  now: number,
  timeZoneOf: (ws: string) => Promise<string>,
  opts: { batchSize?: number; workspaceId?: string } = {},
): Promise<number> {
  const batch = opts.batchSize ?? 200;
  let released = 0;
  for (;;) {
    let q = database.db
      .selectFrom('loyalty_awards')
      .select(['workspace_id', 'profile_id', 'rule_id', 'subject_key'])
      .where('status', '=', 'pending')
      .where('release_at', '<=', now);
    if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
    const due = await q.orderBy('release_at').limit(batch).execute();
    if (due.length === 0) return released;
    const zones = new Map<string, string>();
    for (const ws of new Set(due.map((d) => d.workspace_id))) zones.set(ws, await timeZoneOf(ws));
    const n = await withRetries(database, () =>
      database.db.transaction().execute(async (trx) => {
        let k = 0;
        for (const a of due) if (await releaseAward(trx, database.dialect, a, now, zones.get(a.workspace_id)!)) k++;
        return k;
      }),
    );
    released += n;
    if (due.length < batch || n === 0) return released;
  }
}
