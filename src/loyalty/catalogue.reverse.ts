/**
 * Catalogue redemptions read back and reversed by an admin (a reward returned, a mistake undone).
 * A reversal is one transaction under the member's account lock: the coupon the redemption issued
 * is voided (refused with CATALOGUE_COUPON_USED, changing nothing, if it was used), the points come
 * back as an `adjust` credit keyed `siyu:catalogue-reverse:<redemption>` (expiring under the
 * workspace's policy, as a checkout reversal's do), the unit goes back to the item's stock, and
 * `Reward Redemption Reversed` is recorded. Reversing again answers the reversal already made.
 */
import { sql } from 'kysely';
import { recordSystemEvents, resolveProfileId } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { findItem } from './catalogue.service.js';
import type { CatalogueRedemptionsTable } from './catalogue.tables.js';
import { findCouponById } from './coupons.repo.js';
import { voidCouponInTrx } from './coupons.void.js';
import type { LoyaltyDeps } from './deps.js';
import { GROWTH_EVENTS } from './event-names.js';
import { type Conn, lockAccount, num } from './ledger.repo.js';
import { postEntry } from './ledger.service.js';
import { MemberApiError } from './member-api.errors.js';
import { defaultExpiry } from './settings.service.js';

/** A redemption as the admin lists show it. */
export interface RedemptionRowView {
  id: string;
  itemId: string;
  profileId: string;
  points: number;
  entryId: string;
  couponId: string | null;
  couponCode: string | null;
  status: 'redeemed' | 'reversed';
  reversedAt: string | null;
  reverseEntryId: string | null;
  reverseReason: string | null;
  createdAt: string;
}

const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(num(ms)).toISOString());

function rowView(r: CatalogueRedemptionsTable, couponCode: string | null): RedemptionRowView {
  return {
    id: r.id,
    itemId: r.item_id,
    profileId: r.profile_id,
    points: num(r.points),
    entryId: r.entry_id,
    couponId: r.coupon_id,
    couponCode,
    status: r.reversed_at == null ? 'redeemed' : 'reversed',
    reversedAt: iso(r.reversed_at),
    reverseEntryId: r.reverse_entry_id ?? null,
    reverseReason: r.reverse_reason ?? null,
    createdAt: iso(r.created_at)!,
  };
}

async function codesOf(db: Conn, ws: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('coupons').select(['id', 'code']).where('workspace_id', '=', ws).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.code]));
}

/** An item's redemptions, newest first (`profileId` for one member's). */
export async function listRedemptions(
  deps: LoyaltyDeps,
  ws: string,
  itemId: string,
  q: { limit: number; cursor?: string; profileId?: string },
): Promise<Page<RedemptionRowView>> {
  const db = deps.database.db;
  await findItem(db, ws, itemId);
  let sel = db.selectFrom('loyalty_catalogue_redemptions').selectAll().where('workspace_id', '=', ws).where('item_id', '=', itemId);
  if (q.profileId) sel = sel.where('profile_id', '=', q.profileId);
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const codes = await codesOf(
    db,
    ws,
    rows.flatMap((r) => (r.coupon_id ? [r.coupon_id] : [])),
  );
  return pageOf(
    rows,
    q.limit,
    (r) => rowView(r, r.coupon_id ? (codes.get(r.coupon_id) ?? null) : null),
    (r) => [r.id],
  );
}

async function findRedemptionRow(db: Conn, ws: string, id: string): Promise<CatalogueRedemptionsTable> {
  const r = await db.selectFrom('loyalty_catalogue_redemptions').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!r) throw new MemberApiError('CATALOGUE_REDEMPTION_NOT_FOUND', `no catalogue redemption "${id}" in this workspace`, { id });
  return r;
}

/** Reverses a redemption (see the file's comment); answers it as it now is, the member's balance, and whether it was reversed before. */
export async function reverseRedemption(
  deps: LoyaltyDeps,
  ws: string,
  id: string,
  reason: string,
): Promise<{ redemption: RedemptionRowView; balance: number; replayed: boolean }> {
  const { database } = deps;
  const tz = await workspaceTimeZone(database.db, ws, deps.defaultTimeZone);
  return withRetries(database, () => database.db.transaction().execute((trx) => reverseInTrx(trx, deps, ws, id, reason, tz)), 8);
}

async function reverseInTrx(trx: Conn, deps: LoyaltyDeps, ws: string, id: string, reason: string, tz: string) {
  const { dialect } = deps.database;
  const now = deps.now();
  const first = await findRedemptionRow(trx, ws, id);
  // The member may have been merged into another profile since: their points moved to the survivor.
  const profileId = (await resolveProfileId(trx, ws, first.profile_id)) ?? first.profile_id;
  const account = await lockAccount(trx, dialect, ws, profileId, now);
  const r = await findRedemptionRow(trx, ws, id);
  const code = r.coupon_id ? ((await findCouponById(trx, ws, r.coupon_id))?.code ?? null) : null;
  if (r.reversed_at != null) return { redemption: rowView(r, code), balance: account.balance, replayed: true };
  if (code !== null) {
    const v = await voidCouponInTrx(trx, dialect, ws, code, `catalogue redemption ${id} reversed: ${reason}`, now);
    if (v?.outcome === 'used') {
      throw new MemberApiError(
        'CATALOGUE_COUPON_USED',
        `redemption ${id} cannot be reversed: its coupon ${code} was used on order ${v.orderId} at ${new Date(v.redeemedAt).toISOString()}`,
        { couponCode: code, orderId: v.orderId },
      );
    }
  }
  const item = await findItem(trx, ws, r.item_id);
  const credit = await postEntry(
    trx,
    dialect,
    {
      workspaceId: ws,
      profileId,
      kind: 'adjust',
      points: num(r.points),
      reason: `reward returned: ${item.name} (${reason})`,
      source: { type: 'api', id: `catalogue:${id}` },
      idempotencyKey: `siyu:catalogue-reverse:${id}`,
      defaultExpiresAt: await defaultExpiry(trx, ws, now, tz),
    },
    now,
  );
  const set = { reversed_at: now, reverse_entry_id: credit.entry.id, reverse_reason: reason };
  await trx.updateTable('loyalty_catalogue_redemptions').set(set).where('workspace_id', '=', ws).where('id', '=', id).execute();
  await trx
    .updateTable('loyalty_catalogue_items')
    .set({ redeemed_count: sql`redeemed_count - 1`, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('id', '=', r.item_id)
    .where('redeemed_count', '>', 0)
    .execute();
  await recordSystemEvents(trx, dialect, [
    {
      workspaceId: ws,
      profileId,
      event: GROWTH_EVENTS.rewardRedemptionReversed,
      eventId: `${id}:reversed`,
      at: now,
      properties: { redemption_id: id, item_id: item.id, item_name: item.name, points: num(r.points), coupon_id: r.coupon_id, reason },
    },
  ]);
  return { redemption: rowView({ ...r, ...set }, code), balance: credit.entry.balanceAfter, replayed: false };
}
