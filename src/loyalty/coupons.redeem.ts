/**
 * Redeeming a coupon against an order, and reversing it. A redemption holds the order's lock (so
 * stacking rules see every coupon on it) and the coupon's row (so a code is used once however many
 * connections try at once); a request retried with its idempotency key answers the first
 * redemption. Discounts are integer fen and never exceed what is left of the order.
 */
import { createHash } from 'node:crypto';
import { mergedIdsOf, recordSystemEvents } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { assignInTrx } from './coupons.issue.js';
import {
  activeRedemptionsOfOrder,
  type CouponRow,
  findCouponByCode,
  findRedemption,
  findRedemptionByKey,
  findCouponById,
  findTemplateById,
  type RedemptionRow,
  redemptionFromRow,
  type TemplateRow,
  updateCoupon,
} from './coupons.repo.js';
import { LoyaltyError } from './errors.js';
import { COUPON_EVENTS } from './event-names.js';
import type { Conn } from './ledger.repo.js';

/** A product line of the order being paid (for free-item coupons). */
export interface OrderLineIn {
  key: string;
  priceFen: number;
  quantity: number;
}

/** One redemption asked for. */
export interface RedeemRequest {
  workspaceId: string;
  profileId: string;
  /** The profile as the request named it (part of the request's fingerprint). */
  profileRef: string;
  /** Normalised code. */
  code: string;
  orderId: string;
  /** The order's amount before coupons (fen). */
  orderAmountFen: number;
  lines?: OrderLineIn[];
  idempotencyKey: string;
  /** The workspace's default time zone (a generated code's relative validity starts at redemption, in the workspace's zone). */
  defaultTimeZone: string;
}

/** A redemption as the API answers it. */
export interface RedemptionView {
  id: string;
  couponId: string;
  code: string;
  templateId: string;
  profileId: string;
  orderId: string;
  orderAmountFen: number;
  discountFen: number;
  redeemedAt: string;
  reversedAt: string | null;
  reverseReason: string | null;
}

/** A redemption row as the API shows it. */
export function redemptionView(r: RedemptionRow, code: string): RedemptionView {
  return {
    id: r.id,
    couponId: r.coupon_id,
    code,
    templateId: r.template_id,
    profileId: r.profile_id,
    orderId: r.order_id,
    orderAmountFen: r.order_amount_fen,
    discountFen: r.discount_fen,
    redeemedAt: new Date(r.redeemed_at).toISOString(),
    reversedAt: r.reversed_at === null ? null : new Date(r.reversed_at).toISOString(),
    reverseReason: r.reverse_reason,
  };
}

function fingerprint(req: RedeemRequest): string {
  const parts = [req.code, req.profileRef, req.orderId, req.orderAmountFen, req.lines ?? null];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

/** The discount a template gives on what is left of an order (`base` fen), or a refusal. */
export function discountOf(t: TemplateRow, base: number, lines: OrderLineIn[] | undefined): number {
  if (t.kind === 'fixed' || t.kind === 'threshold') return Math.min(t.amount_fen!, base);
  if (t.kind === 'percent') {
    const off = Math.floor((base * t.percent_off!) / 100);
    return t.cap_fen === null ? off : Math.min(off, t.cap_fen);
  }
  const line = lines?.find((l) => l.key === t.item_key && l.quantity > 0);
  if (!line) {
    throw new LoyaltyError(
      'COUPON_ITEM_NOT_IN_ORDER',
      `this coupon gives "${t.item_key}" free, and the order's lines do not include it (give lines with key "${t.item_key}")`,
      {
        itemKey: t.item_key,
      },
    );
  }
  return Math.min(line.priceFen, base);
}

/** Checks the coupon may be used now by this member (`owned`: theirs, or a profile merged into theirs) on an order of this amount. */
function checkUsable(c: CouponRow, t: TemplateRow, req: RedeemRequest, now: number, owned: boolean): void {
  if (!owned) throw new LoyaltyError('COUPON_NOT_OWNED', `coupon ${c.code} belongs to another member`, { code: c.code });
  if (c.valid_from !== null && now < c.valid_from) {
    throw new LoyaltyError('COUPON_NOT_VALID_NOW', `coupon ${c.code} is valid from ${new Date(c.valid_from).toISOString()}`, {
      validFrom: new Date(c.valid_from).toISOString(),
    });
  }
  if (c.valid_until !== null && now >= c.valid_until) {
    throw new LoyaltyError('COUPON_NOT_VALID_NOW', `coupon ${c.code} expired at ${new Date(c.valid_until).toISOString()}`, {
      validUntil: new Date(c.valid_until).toISOString(),
    });
  }
  if (req.orderAmountFen < t.threshold_fen) {
    throw new LoyaltyError(
      'COUPON_THRESHOLD_NOT_MET',
      `coupon ${c.code} applies to orders of at least ${t.threshold_fen} fen; this order is ${req.orderAmountFen} fen`,
      {
        thresholdFen: t.threshold_fen,
        orderAmountFen: req.orderAmountFen,
      },
    );
  }
}

/** Checks the stacking rules against the coupons already on the order; returns the fen they already take off. */
async function checkStacking(trx: Conn, t: TemplateRow, req: RedeemRequest): Promise<number> {
  const others = await activeRedemptionsOfOrder(trx, req.workspaceId, req.orderId);
  if (others.length > 0 && (!t.stackable || others.some((o) => !o.stackable))) {
    const blocker = !t.stackable ? `this coupon (${t.name}) cannot be combined` : `"${others.find((o) => !o.stackable)!.name}" on it cannot be combined`;
    throw new LoyaltyError('COUPON_NOT_STACKABLE', `order ${req.orderId} already has ${others.length} coupon(s) and ${blocker} with other coupons`, {
      orderId: req.orderId,
      couponIds: others.map((o) => o.couponId),
    });
  }
  const same = others.filter((o) => o.templateId === t.id).length;
  if (same >= t.max_per_order) {
    throw new LoyaltyError(
      'COUPON_NOT_STACKABLE',
      `order ${req.orderId} already has ${same} coupon(s) of template ${t.id}, which allows ${t.max_per_order} per order`,
      {
        orderId: req.orderId,
        maxPerOrder: t.max_per_order,
      },
    );
  }
  return others.reduce((s, o) => s + o.discountFen, 0);
}

/**
 * Redeems a coupon inside the caller's transaction. A generated code nobody holds is given to the
 * redeeming member first. Refusals throw before anything is written.
 */
export async function redeemInTrx(
  trx: Conn,
  dialect: Dialect,
  req: RedeemRequest,
  now: number,
): Promise<{ redemption: RedemptionRow; code: string; replayed: boolean }> {
  const hash = fingerprint(req);
  // The order first, then the coupon (every redemption takes them in this order): coupons redeemed
  // on one order at once see each other's stacking.
  await dialect.advisoryXactLock(trx, `loyalty:coupon-order:${req.workspaceId}:${req.orderId}`);
  let c = await findCouponByCode(trx, dialect, req.workspaceId, req.code, true);
  const first = await findRedemptionByKey(trx, req.workspaceId, req.idempotencyKey);
  if (first) {
    if (first.request_hash !== hash) {
      throw new LoyaltyError(
        'IDEMPOTENCY_CONFLICT',
        `idempotency key "${req.idempotencyKey}" was used by a different redemption (${first.id}); use a new key for a new request`,
        { redemptionId: first.id },
      );
    }
    const code = c?.id === first.coupon_id ? c.code : (await findCouponById(trx, req.workspaceId, first.coupon_id))!.code;
    return { redemption: first, code, replayed: true };
  }
  if (!c) throw new LoyaltyError('COUPON_NOT_FOUND', `no coupon with code ${req.code} in this workspace`, { code: req.code });
  if (c.status === 'redeemed') {
    const r = (await findRedemption(trx, req.workspaceId, c.redemption_id!))!;
    throw new LoyaltyError('COUPON_ALREADY_REDEEMED', `coupon ${c.code} was already used on order ${r.order_id} at ${new Date(r.redeemed_at).toISOString()}`, {
      code: c.code,
      orderId: r.order_id,
      redemptionId: r.id,
    });
  }
  if (c.status === 'voided') {
    throw new LoyaltyError(
      'COUPON_VOIDED',
      `coupon ${c.code} was voided at ${new Date(c.voided_at!).toISOString()}: ${c.void_reason ?? 'no reason recorded'}`,
      {
        code: c.code,
        reason: c.void_reason,
      },
    );
  }
  if (c.status === 'unassigned') {
    // Read only here: a coupon already held needs no time zone.
    const tz = await workspaceTimeZone(trx, req.workspaceId, req.defaultTimeZone);
    c = await assignInTrx(trx, dialect, c, req.profileId, tz, now);
  }
  const t = (await findTemplateById(trx, req.workspaceId, c.template_id))!;
  // A coupon of a profile One ID merged into the redeeming member is theirs (coupons stay on the
  // profile they were issued to; the merge is read here and in the member's coupon list).
  const owned = c.profile_id === req.profileId || (c.profile_id !== null && (await mergedIdsOf(trx, req.workspaceId, req.profileId)).includes(c.profile_id));
  checkUsable(c, t, req, now, owned);
  const already = await checkStacking(trx, t, req);
  const discount = discountOf(t, Math.max(0, req.orderAmountFen - already), req.lines);
  const row: RedemptionRow = {
    workspace_id: req.workspaceId,
    id: newId('cpr', now),
    coupon_id: c.id,
    template_id: t.id,
    profile_id: req.profileId,
    order_id: req.orderId,
    order_amount_fen: req.orderAmountFen,
    discount_fen: discount,
    idempotency_key: req.idempotencyKey,
    request_hash: hash,
    redeemed_at: now,
    reversed_at: null,
    reverse_reason: null,
  };
  await trx.insertInto('coupon_redemptions').values(row).execute();
  await updateCoupon(trx, req.workspaceId, c.id, { status: 'redeemed', redemption_id: row.id, updated_at: now });
  await recordRedemptionEvent(trx, dialect, 'redeemed', row, c.code, now);
  return { redemption: row, code: c.code, replayed: false };
}

/**
 * Reverses a redemption inside the caller's transaction (locking its coupon): the coupon is the
 * member's to use again and "Coupon Reversed" is recorded. A redemption already reversed is left
 * as it is. Returns the redemption as it now is, and whether this call reversed it.
 */
export async function reverseInTrx(
  trx: Conn,
  dialect: Dialect,
  ws: string,
  redemptionId: string,
  reason: string,
  now: number,
): Promise<{ redemption: RedemptionRow; code: string; reversed: boolean }> {
  const r0 = (await findRedemption(trx, ws, redemptionId))!;
  const c = (await dialect
    .forUpdate(trx.selectFrom('coupons').select(['id', 'code', 'redemption_id']).where('workspace_id', '=', ws).where('id', '=', r0.coupon_id))
    .executeTakeFirstOrThrow())!;
  const r = (await findRedemption(trx, ws, redemptionId))!;
  if (r.reversed_at !== null) return { redemption: r, code: c.code, reversed: false };
  await trx.updateTable('coupon_redemptions').set({ reversed_at: now, reverse_reason: reason }).where('workspace_id', '=', ws).where('id', '=', r.id).execute();
  if (c.redemption_id === r.id) await updateCoupon(trx, ws, c.id, { status: 'issued', redemption_id: null, updated_at: now });
  const done = { ...r, reversed_at: now, reverse_reason: reason };
  await recordRedemptionEvent(trx, dialect, 'reversed', done, c.code, now);
  return { redemption: done, code: c.code, reversed: true };
}

/** The redemptions of a code on an order, newest first (for the reverse API). */
export async function redemptionsOf(trx: Conn, ws: string, couponId: string, orderId: string): Promise<RedemptionRow[]> {
  const rows = await trx
    .selectFrom('coupon_redemptions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('coupon_id', '=', couponId)
    .where('order_id', '=', orderId)
    .orderBy('id', 'desc')
    .execute();
  return rows.map(redemptionFromRow);
}

/** Records "Coupon Redeemed" or "Coupon Reversed" on the member's timeline, keyed by the redemption. */
async function recordRedemptionEvent(trx: Conn, dialect: Dialect, what: 'redeemed' | 'reversed', r: RedemptionRow, code: string, now: number): Promise<void> {
  await recordSystemEvents(trx, dialect, [
    {
      workspaceId: r.workspace_id,
      profileId: r.profile_id,
      event: COUPON_EVENTS[what],
      eventId: `${r.id}:${what}`,
      at: now,
      properties: {
        coupon_id: r.coupon_id,
        code,
        template_id: r.template_id,
        redemption_id: r.id,
        order_id: r.order_id,
        order_amount_fen: r.order_amount_fen,
        discount_fen: r.discount_fen,
        ...(what === 'reversed' ? { reason: r.reverse_reason } : {}),
      },
    },
  ]);
}
