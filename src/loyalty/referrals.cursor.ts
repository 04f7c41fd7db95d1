/**
 * The referral passes' reading of the CDP's events: one durable cursor per workspace and event name
 * (job_state `loyalty.referrals`) in storage order, so an order or refund sent hours after its
 * event time is still read; a page per transaction, re-reading a little before the cursor for
 * events committed late (everything the passes do is keyed, so a re-read gives nothing twice).
 * Several workers: the workspace's cursor row is claimed with SKIP LOCKED, as the rules engine does.
 */
import { type StoredEvent, trackEventsReceivedAfter } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import type { LoyaltyDeps } from './deps.js';
import type { Conn } from './ledger.repo.js';

const STATE = 'loyalty.referrals';
const PAGE = 500;
/** Re-read before the cursor: events committed late (see rules.engine.ts). */
export const OVERLAP_MS = 10 * 60_000;

/** Per cursor key, the last event read: `received` in storage order; `cursors` (event time) is the one of before 0042, where it starts from. */
interface Cursors {
  cursors: Record<string, { ts: number; id: string }>;
  received?: Record<string, { at: number; id: string }>;
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
  let after: { receivedAt: number; messageId: string } | undefined;
  for (;;) {
    const { done, r } = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const state = await lockJobState<Cursors>(trx, deps.database.dialect, ws, STATE, { cursors: {} }, now, { skipLocked: true });
        if (!state) return { done: true, r: empty() };
        const received = (state.received ??= {});
        const from = after ?? { receivedAt: Math.max(at.start, received[at.key]?.at ?? state.cursors[at.key]?.ts ?? at.start) - OVERLAP_MS, messageId: '' };
        const rows = await trackEventsReceivedAfter(trx, ws, at.name, from, PAGE);
        const r = await apply(trx, rows, now);
        if (rows.length > 0) {
          const last = rows[rows.length - 1]!;
          const prev = received[at.key];
          if (!prev || last.receivedAt > prev.at || (last.receivedAt === prev.at && last.messageId > prev.id))
            received[at.key] = { at: last.receivedAt, id: last.messageId };
          await writeJobState(trx, ws, STATE, state, now);
          after = { receivedAt: last.receivedAt, messageId: last.messageId };
        }
        return { done: rows.length < PAGE, r };
      }),
    );
    for (const k of Object.keys(report) as (keyof R)[]) (report[k] as number) += r[k];
    if (done) return report;
  }
}
