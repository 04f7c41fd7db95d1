/**
 * A workspace's points settings: the default expiry policy of credits posted without an expiry
 * (rules, check-ins, API earnings that name none) and how many days ahead the `Points Expiring`
 * notice is recorded.
 */
import { parseJson } from '../platform/db/database.js';
import { localParts, startOfLocalDate } from '../platform/time.js';
import { DAY_MS } from '../platform/time.js';
import type { Conn } from './ledger.repo.js';

/** When credits expire: never, at the end of the local year `years` after the year earned (0: this year), or `days` after earning. */
export type ExpiryPolicy = { kind: 'none' } | { kind: 'end_of_year'; years: number } | { kind: 'days'; days: number };

/** A workspace's points settings. */
export interface LoyaltySettings {
  expiry: ExpiryPolicy;
  noticeDays: number;
}

/** The settings of a workspace without its own: points expire at the end of the year after the one they were earned in; notice 30 days ahead. */
export const DEFAULT_SETTINGS: LoyaltySettings = Object.freeze({ expiry: { kind: 'end_of_year' as const, years: 1 }, noticeDays: 30 });

/** The settings of a workspace (the defaults where it set none). */
export async function loyaltySettings(db: Conn, ws: string): Promise<LoyaltySettings> {
  const row = await db.selectFrom('loyalty_settings').select(['expiry_policy', 'notice_days']).where('workspace_id', '=', ws).executeTakeFirst();
  return row ? { expiry: parseJson<ExpiryPolicy>(row.expiry_policy), noticeDays: Number(row.notice_days) } : DEFAULT_SETTINGS;
}

/** Replaces a workspace's settings. */
export async function saveLoyaltySettings(db: Conn, ws: string, s: LoyaltySettings, now: number): Promise<void> {
  await db
    .insertInto('loyalty_settings')
    .values({ workspace_id: ws, expiry_policy: JSON.stringify(s.expiry), notice_days: s.noticeDays, updated_at: now })
    .onConflict((oc) =>
      oc.column('workspace_id').doUpdateSet((eb) => ({
        expiry_policy: eb.ref('excluded.expiry_policy'),
        notice_days: eb.ref('excluded.notice_days'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** The largest notice horizon of any workspace, in days (the notice pass reads lots up to it, then applies each workspace's own). */
export async function largestNoticeDays(db: Conn): Promise<number> {
  const r = await db
    .selectFrom('loyalty_settings')
    .select((eb) => eb.fn.max<number>('notice_days').as('n'))
    .executeTakeFirst();
  return Math.max(DEFAULT_SETTINGS.noticeDays, Number(r?.n ?? 0));
}

/**
 * When a credit earned at `earnedAt` expires under `policy`, in time zone `tz` (null: never).
 * `end_of_year` with years 1: earned any day of 2026, it expires at 2028-01-01 00:00 local, the
 * end of 2027.
 */
export function expiryUnder(policy: ExpiryPolicy, earnedAt: number, tz: string): number | null {
  if (policy.kind === 'none') return null;
  if (policy.kind === 'days') return earnedAt + policy.days * DAY_MS;
  const year = localParts(earnedAt, tz).year + policy.years + 1;
  return startOfLocalDate(`${String(year).padStart(4, '0')}-01-01`, tz);
}

/** The expiry a credit posted now gets from the workspace's policy. */
export async function defaultExpiry(db: Conn, ws: string, now: number, tz: string): Promise<number | null> {
  return expiryUnder((await loyaltySettings(db, ws)).expiry, now, tz);
}
