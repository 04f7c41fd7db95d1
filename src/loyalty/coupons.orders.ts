/** Redemption through the API (each its own transaction, retried on a concurrent writer) and reversal by the API or by an order change. */
import { withRetries } from '../platform/db/database.js';
import { normaliseCode } from './coupons.codes.js';
import { type OrderLineIn, type RedemptionView, redeemInTrx, redemptionsOf, redemptionView, reverseInTrx } from './coupons.redeem.js';
import { activeRedemptionIdsOfOrders, findCouponByCode } from './coupons.repo.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import type { Conn } from './ledger.repo.js';
import type { Dialect } from '../platform/db/database.js';

/** A redemption as the API takes it. */
export interface RedeemBody {
  code: string;
  profile: string;
  orderId: string;
  orderAmountFen: number;
  lines?: OrderLineIn[];
  idempotencyKey: string;
}

/** Redeems a coupon for the member a reference names against an order; answers the discount. */
export async function redeemCoupon(deps: LoyaltyDeps, ws: string, b: RedeemBody): Promise<{ redemption: RedemptionView; replayed: boolean }> {
  const profileId = await deps.resolveProfile(ws, b.profile);
  const db = deps.database;
  const code = normaliseCode(b.code);
  const req = {
    workspaceId: ws,
    profileId,
    profileRef: b.profile,
    code,
    orderId: b.orderId,
    orderAmountFen: b.orderAmountFen,
    ...(b.lines ? { lines: b.lines } : {}),
    idempotencyKey: b.idempotencyKey,
    defaultTimeZone: deps.defaultTimeZone,
  };
  // Retried: on PostgreSQL the same key sent twice at once for two codes races on the unique key (the retry answers a conflict).
  const r = await withRetries(db, () => db.db.transaction().execute((trx) => redeemInTrx(trx, db.dialect, req, deps.now())), 8);
  return { redemption: redemptionView(r.redemption, r.code), replayed: r.replayed };
}

/**
 * Reverses the redemption of a code on an order (the shop refunded or cancelled it): the coupon is
 * the member's to use again. Reversing again answers the reversed redemption (`replayed`).
 */
export async function reverseCoupon(
  deps: LoyaltyDeps,
  ws: string,
  b: { code: string; orderId: string; reason: string },
): Promise<{ redemption: RedemptionView; replayed: boolean }> {
  const db = deps.database;
  const code = normaliseCode(b.code);
  return withRetries(db, () =>
    db.db.transaction().execute(async (trx) => {
      const c = await findCouponByCode(trx, db.dialect, ws, code, true);
      if (!c) throw new LoyaltyError('COUPON_NOT_FOUND', `no coupon with code ${code} in this workspace`, { code });
      const [latest] = await redemptionsOf(trx, ws, c.id, b.orderId);
      if (!latest) throw new LoyaltyError('COUPON_NOT_REDEEMED', `coupon ${code} was never redeemed on order ${b.orderId}`, { code, orderId: b.orderId });
      const r = await reverseInTrx(trx, db.dialect, ws, latest.id, b.reason, deps.now());
      return { redemption: redemptionView(r.redemption, r.code), replayed: !r.reversed };
    }),
  );
}

/** Reverses every redemption in force on the given orders, inside the caller's transaction; returns how many it reversed. */
export async function reverseForOrders(
  trx: Conn,
  dialect: Dialect,
  ws: string,
  orders: readonly { orderId: string; reason: string }[],
  now: number,
): Promise<number> {
  const reasons = new Map(orders.map((o) => [o.orderId, o.reason]));
  let n = 0;
  for (const r of await activeRedemptionIdsOfOrders(trx, ws, [...reasons.keys()])) {
    if ((await reverseInTrx(trx, dialect, ws, r.id, reasons.get(r.orderId)!, now)).reversed) n++;
  }
  return n;
}
