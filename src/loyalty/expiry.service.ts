/**
 * The expiry job across accounts: expires the lots whose time has come (one `expire` entry per
 * lot, through the ledger's per-account step) and records the `Points Expiring` notice N days
 * ahead, once per lot. Safe with several worker processes on PostgreSQL: accounts and lots are
 * claimed with `FOR UPDATE SKIP LOCKED` (dialect.claim), so two workers never take the same rows
 * and neither waits for the other; on SQLite the single writer serialises them.
 */
import { sql } from 'kysely';
import { recordSystemEvents } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import { withRetries } from '../platform/db/database.js';
import { DAY_MS } from '../platform/time.js';
import { POINTS_EVENTS } from './event-names.js';
import { type AccountRow, type Conn, num } from './ledger.repo.js';
import { expireAccounts } from './expiry.bulk.js';
import { DEFAULT_SETTINGS, largestNoticeDays } from './settings.service.js';

/** What an expiry run did. */
export interface ExpiryReport {
  /** Accounts whose due lots were expired. */
  accounts: number;
  /** Lots expired (one `expire` entry each). */
  lots: number;
  /** Points expired. */
  points: number;
  /** `Points Expiring` notices recorded. */
  notices: number;
}

/** Options of {@link runExpiry}. */
export interface ExpiryOptions {
  /** Only this workspace. */
  workspaceId?: string;
  /** Accounts per transaction (default 200). */
  batchSize?: number;
  /** Stop between batches when this says so (a stopping worker). */
  stopped?: () => boolean;
}

/**
 * Accounts with a lot due at `now`, up to `limit` distinct ones, earliest-due first (index
 * loyalty_entries_open_lots; of one workspace, loyalty_entries_open_lots_ws), read from at most `limit * 4` due lots; `more` is false when those
 * were all the due lots there are.
 */
async function dueAccounts(
  db: Conn,
  now: number,
  limit: number,
  ws?: string,
): Promise<{ keys: { workspace_id: string; profile_id: string }[]; more: boolean }> {
  let q = db.selectFrom('loyalty_entries').select(['workspace_id', 'profile_id']).where('remaining', '>', 0).where('expires_at', '<=', now);
  if (ws) q = q.where('workspace_id', '=', ws);
  const rows = await q
    .orderBy('expires_at')
    .limit(limit * 4)
    .execute();
  const seen = new Map<string, { workspace_id: string; profile_id: string }>();
  for (const r of rows) seen.set(`${r.workspace_id}\u0000${r.profile_id}`, r);
  return { keys: [...seen.values()].slice(0, limit), more: rows.length === limit * 4 };
}

/** Claims the accounts among `keys` that no other transaction holds (SKIP LOCKED on PostgreSQL). */
async function claimAccounts(trx: Conn, database: Database, keys: { workspace_id: string; profile_id: string }[]): Promise<AccountRow[]> {
  const byWs = new Map<string, string[]>();
  for (const k of keys) byWs.set(k.workspace_id, [...(byWs.get(k.workspace_id) ?? []), k.profile_id]);
  const out: AccountRow[] = [];
  for (const [ws, ids] of byWs) {
    const q = trx.selectFrom('loyalty_accounts').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).orderBy('profile_id');
    for (const a of await database.dialect.claim(q).execute()) {
      out.push({ ...a, balance: num(a.balance), pending: num(a.pending), lifetime_earned: num(a.lifetime_earned), last_seq: num(a.last_seq) });
    }
  }
  return out;
}

/**
 * Expires every lot due at `now` (in one workspace or all), a batch of accounts per transaction,
 * then records the notices of lots expiring soon. Running it twice expires once (each lot's
 * `expire` entry is keyed by the lot, and an expired lot has nothing left).
 */
export async function runExpiry(database: Database, now: number, opts: ExpiryOptions = {}): Promise<ExpiryReport> {
  const report: ExpiryReport = { accounts: 0, lots: 0, points: 0, notices: 0 };
  const batch = opts.batchSize ?? 200;
  for (;;) {
    if (opts.stopped?.()) return report;
    const { keys: due, more } = await dueAccounts(database.db, now, batch, opts.workspaceId);
    if (due.length === 0) break;
    const claimed = await withRetries(database, () =>
      database.db.transaction().execute(async (trx) => {
        const accounts = await claimAccounts(trx, database, due);
        const r = { accounts: 0, lots: 0, points: 0 };
        for (const ws of new Set(accounts.map((a) => a.workspace_id))) {
          const entries = await expireAccounts(
            trx,
            database.dialect,
            ws,
            accounts.filter((a) => a.workspace_id === ws),
            now,
          );
          r.accounts += new Set(entries.map((e) => e.profile_id)).size;
          r.lots += entries.length;
          r.points -= entries.reduce((s, e) => s + e.amount, 0);
        }
        return { claimed: accounts.length, ...r };
      }),
    );
    report.accounts += claimed.accounts;
    report.lots += claimed.lots;
    report.points += claimed.points;
    // Every due account is held by other workers: they will expire them; do not spin on them.
    // Fewer accounts than a batch is not the end when they had more due lots than the read took.
    if (claimed.claimed === 0 || (due.length < batch && !more)) break;
  }
  report.notices = await recordNotices(database, now, opts);
  return report;
}

/**
 * Records `Points Expiring` on the timeline of each member with a lot that expires within their
 * workspace's notice days (once per lot: the event id is `<lot id>:expiring`, and the lot's
 * `notified_at` is set in the same transaction), so a journey triggered by the event can remind them.
 */
export async function recordNotices(database: Database, now: number, opts: ExpiryOptions = {}): Promise<number> {
  const horizon = now + (await largestNoticeDays(database.db)) * DAY_MS;
  let total = 0;
  for (;;) {
    if (opts.stopped?.()) return total;
    const n = await withRetries(database, () =>
      database.db.transaction().execute(async (trx) => {
        // Within the horizon of the lot's own workspace (its settings, else the default); the largest horizon lets the index bound the scan.
        const ownDays = sql<number>`coalesce((select s.notice_days from loyalty_settings s where s.workspace_id = loyalty_entries.workspace_id), ${DEFAULT_SETTINGS.noticeDays})`;
        let q = trx
          .selectFrom('loyalty_entries')
          .select(['workspace_id', 'id', 'profile_id', 'remaining', 'expires_at', ownDays.as('notice_days')])
          .where('remaining', '>', 0)
          .where('expires_at', '>', now)
          .where('expires_at', '<=', horizon)
          .where(sql<boolean>`expires_at <= cast(${now} as bigint) + ${ownDays} * cast(${DAY_MS} as bigint)`)
          .where('notified_at', 'is', null);
        if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
        const lots = await database.dialect.claim(q.orderBy('expires_at').limit(opts.batchSize ?? 500)).execute();
        await recordSystemEvents(
          trx,
          database.dialect,
          lots.map((l) => ({
            workspaceId: l.workspace_id,
            profileId: l.profile_id,
            event: POINTS_EVENTS.expiring,
            eventId: `${l.id}:expiring`,
            at: now,
            properties: {
              points: num(l.remaining),
              expires_at: new Date(num(l.expires_at)).toISOString(),
              entry_id: l.id,
              notice_days: num(l.notice_days),
            },
          })),
        );
        // One update per workspace for the batch's lots, not one per lot.
        for (const ws of new Set(lots.map((l) => l.workspace_id))) {
          const ids = lots.filter((l) => l.workspace_id === ws).map((l) => l.id);
          await trx.updateTable('loyalty_entries').set({ notified_at: now }).where('workspace_id', '=', ws).where('id', 'in', ids).execute();
        }
        const due = lots;
        return { noticed: due.length };
      }),
    );
    total += n.noticed;
    if (n.noticed < (opts.batchSize ?? 500)) return total;
  }
}
