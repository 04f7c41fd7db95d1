/**
 * The referral passes' reading of the CDP's events: one durable cursor per workspace and event name
 * (job_state `loyalty.referrals`), a page per transaction, re-reading a little before the cursor
 * for events committed late (everything the passes do is keyed, so a re-read gives nothing twice).
 * Several workers: the workspace's cursor row is claimed with SKIP LOCKED, as the rules engine does.
 */
import { type StoredEvent, trackEventsAfter } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import type { LoyaltyDeps } from './deps.js';
import type { Conn } from './ledger.repo.js';

const STATE = 'loyalty.referrals';
const PAGE = 500;
/** Re-read before the cursor: events committed late (see rules.engine.ts). */
export const OVERLAP_MS = 10 * 60_000;

interface Cursors {
  cursors: Record<string, { ts: number; id: string }>;
}

/**
 * Applies `apply` to the events named `name` after the cursor `key` (from `start` when it has
 * none), one page per transaction, and answers the sum of what each page reported.
 */
export async function readAfterCursor<R extends { [K in keyof R]: number }>(
  deps: Pick<LoyaltyDeps, 'database' | 'now'>,
  ws: string,
  at: { key: string; name: string; start: number },
  empty: () => R,
  apply: (trx: Conn, rows: StoredEvent[], now: number) => Promise<R>,
): Promise<R> {
  const report = empty();
  let after: { timestamp: number; messageId: string } | undefined;
  for (;;) {
    const { done, r } = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const state = await lockJobState<Cursors>(trx, deps.database.dialect, ws, STATE, { cursors: {} }, now, { skipLocked: true });
        if (!state) return { done: true, r: empty() };
        const from = after ?? { timestamp: Math.max(at.start, (state.cursors[at.key]?.ts ?? at.start) - OVERLAP_MS), messageId: '' };
        const rows = await trackEventsAfter(trx, ws, at.name, from, PAGE);
        const r = await apply(trx, rows, now);
        if (rows.length > 0) {
          const last = rows[rows.length - 1]!;
          const prev = state.cursors[at.key];
          if (!prev || last.timestamp > prev.ts || (last.timestamp === prev.ts && last.messageId > prev.id))
            state.cursors[at.key] = { ts: last.timestamp, id: last.messageId };
          await writeJobState(trx, ws, STATE, state, now);
          after = { timestamp: last.timestamp, messageId: last.messageId };
        }
        return { done: rows.length < PAGE, r };
      }),
    );
    for (const k of Object.keys(report) as (keyof R)[]) (report[k] as number) += r[k];
    if (done) return report;
  }
}
