/**
 * The coupons' SQL: templates (locked by every issue, so stock and per-person limits hold under
 * concurrency), coupons by code (locked by every redemption, so a code is used once), redemptions.
 * Writes run inside the caller's transaction.
 */
import { sql } from 'kysely';
import { mergedIdsOf } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import type { CouponRedemptionsTable, CouponsTable, CouponTemplatesTable } from './coupons.tables.js';
import { type Conn, num } from './ledger.repo.js';

/** A template row with its numbers as numbers. */
export type TemplateRow = CouponTemplatesTable;
/** A coupon row with its numbers as numbers. */
export type CouponRow = CouponsTable;
/** A redemption row with its numbers as numbers. */
export type RedemptionRow = CouponRedemptionsTable;

const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A template row as read (bigints may come back as strings). */
export function templateFromRow(r: TemplateRow): TemplateRow {
  return {
    ...r,
    amount_fen: optNum(r.amount_fen),
    percent_off: optNum(r.percent_off),
    cap_fen: optNum(r.cap_fen),
    threshold_fen: num(r.threshold_fen),
    valid_from: optNum(r.valid_from),
    valid_until: optNum(r.valid_until),
    valid_days: optNum(r.valid_days),
    stackable: num(r.stackable),
    max_per_order: num(r.max_per_order),
    per_person_limit: optNum(r.per_person_limit),
    stock: optNum(r.stock),
    created_count: num(r.created_count),
    created_at: num(r.created_at),
    updated_at: num(r.updated_at),
  };
}

/** A coupon row as read. */
export function couponFromRow(r: CouponRow): CouponRow {
  return {
    ...r,
    issued_at: optNum(r.issued_at),
    valid_from: optNum(r.valid_from),
    valid_until: optNum(r.valid_until),
    voided_at: optNum(r.voided_at),
    created_at: num(r.created_at),
    updated_at: num(r.updated_at),
  };
}

/** A redemption row as read. */
export function redemptionFromRow(r: RedemptionRow): RedemptionRow {
  return {
    ...r,
    order_amount_fen: num(r.order_amount_fen),
    discount_fen: num(r.discount_fen),
    redeemed_at: num(r.redeemed_at),
    reversed_at: optNum(r.reversed_at),
  };
}

/** The template an id or key names in a workspace (`lock`: held until the transaction ends). */
export async function findTemplate(db: Conn, dialect: Dialect, ws: string, ref: string, lock = false): Promise<TemplateRow | undefined> {
  const q = db
    .selectFrom('coupon_templates')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where((eb) => eb.or([eb('id', '=', ref), eb('key', '=', ref)]));
  const r = await (lock ? dialect.forUpdate(q) : q).executeTakeFirst();
  return r && templateFromRow(r);
}

/** The template of an id (a coupon's), not locked. */
export async function findTemplateById(db: Conn, ws: string, id: string): Promise<TemplateRow | undefined> {
  const r = await db.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && templateFromRow(r);
}

/** A coupon by id, not locked. */
export async function findCouponById(db: Conn, ws: string, id: string): Promise<CouponRow | undefined> {
  const r = await db.selectFrom('coupons').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && couponFromRow(r);
}

/** The coupon of a code (normalised), locked until the transaction ends when `lock`. */
export async function findCouponByCode(db: Conn, dialect: Dialect, ws: string, code: string, lock = false): Promise<CouponRow | undefined> {
  const q = db.selectFrom('coupons').selectAll().where('workspace_id', '=', ws).where('code', '=', code);
  const r = await (lock ? dialect.forUpdate(q) : q).executeTakeFirst();
  return r && couponFromRow(r);
}

/** The coupon issued with an idempotency key, if any. */
export async function findCouponByIssueKey(db: Conn, ws: string, key: string): Promise<CouponRow | undefined> {
  const r = await db.selectFrom('coupons').selectAll().where('workspace_id', '=', ws).where('issue_key', '=', key).executeTakeFirst();
  return r && couponFromRow(r);
}

/** How many coupons of a template a member (with the profiles merged into them) holds or has held (every status). */
export async function countHeld(db: Conn, ws: string, templateId: string, profileId: string): Promise<number> {
  // One ID: the coupons of profiles merged into the member are theirs (listed and redeemable by them), so they count too.
  const ids = [profileId, ...(await mergedIdsOf(db, ws, profileId))];
  const r = await db
    .selectFrom('coupons')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', ids)
    .where('template_id', '=', templateId)
    .executeTakeFirstOrThrow();
  return num(r.n);
}

/** Adds `n` to a locked template's count of coupons created. */
export async function bumpCreated(db: Conn, t: TemplateRow, n: number, now: number): Promise<void> {
  await db
    .updateTable('coupon_templates')
    .set({ created_count: sql`created_count + ${n}`, updated_at: now })
    .where('workspace_id', '=', t.workspace_id)
    .where('id', '=', t.id)
    .execute();
  t.created_count += n;
}

/** Sets fields of a coupon. */
export async function updateCoupon(db: Conn, ws: string, id: string, set: Partial<CouponRow>): Promise<void> {
  await db.updateTable('coupons').set(set).where('workspace_id', '=', ws).where('id', '=', id).execute();
}

/** The redemption made with an idempotency key, if any. */
export async function findRedemptionByKey(db: Conn, ws: string, key: string): Promise<RedemptionRow | undefined> {
  const r = await db.selectFrom('coupon_redemptions').selectAll().where('workspace_id', '=', ws).where('idempotency_key', '=', key).executeTakeFirst();
  return r && redemptionFromRow(r);
}

/** A redemption by id. */
export async function findRedemption(db: Conn, ws: string, id: string): Promise<RedemptionRow | undefined> {
  const r = await db.selectFrom('coupon_redemptions').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && redemptionFromRow(r);
}

/** The redemptions in force (not reversed) on an order, with their templates' stacking. */
export async function activeRedemptionsOfOrder(db: Conn, ws: string, orderId: string) {
  const rows = await db
    .selectFrom('coupon_redemptions as r')
    .innerJoin('coupon_templates as t', (j) => j.onRef('t.workspace_id', '=', 'r.workspace_id').onRef('t.id', '=', 'r.template_id'))
    .select(['r.id', 'r.coupon_id', 'r.template_id', 'r.discount_fen', 't.stackable', 't.name'])
    .where('r.workspace_id', '=', ws)
    .where('r.order_id', '=', orderId)
    .where('r.reversed_at', 'is', null)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    couponId: r.coupon_id,
    templateId: r.template_id,
    discountFen: num(r.discount_fen),
    stackable: num(r.stackable) === 1,
    name: r.name,
  }));
}

/** The coupons of a redemption's order reversed by an order change: the redemptions in force on `orderId`. */
export async function activeRedemptionIdsOfOrders(
  db: Conn,
  ws: string,
  orderIds: readonly string[],
): Promise<{ id: string; couponId: string; orderId: string }[]> {
  if (orderIds.length === 0) return [];
  const rows = await db
    .selectFrom('coupon_redemptions')
    .select(['id', 'coupon_id', 'order_id'])
    .where('workspace_id', '=', ws)
    .where('order_id', 'in', [...orderIds])
    .where('reversed_at', 'is', null)
    .execute();
  return rows.map((r) => ({ id: r.id, couponId: r.coupon_id, orderId: r.order_id }));
}
