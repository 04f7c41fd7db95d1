/** Statistics per coupon template: how many were created, issued, claimed and redeemed, and what the orders that used them brought in. */
import { orderAmounts } from '../cdp/index.js';
import type { LoyaltyDeps } from './deps.js';
import { num } from './ledger.repo.js';

/** A template's statistics. */
export interface CouponStats {
  /** Coupons created from it: issued to members and generated codes. */
  created: number;
  /** Generated codes nobody has claimed yet. */
  unassigned: number;
  /** Coupons held by members (however they got them). */
  issued: number;
  /** Of those, the ones members took themselves: through a claim link or by claiming a generated code. */
  claimed: number;
  /** Coupons used on an order now (a reversed use no longer counts). */
  redeemed: number;
  /** Uses reversed because their order was refunded or cancelled (or by the API). */
  reversed: number;
  /** redeemed / issued, 0 when nothing was issued (4 decimals). */
  redemptionRate: number;
  /** Discounts given by the uses in force (fen). */
  discountFen: number;
  /** Net revenue of the orders the coupons are used on: their amount less refunds, as the CDP holds them (fen). */
  revenueFen: number;
  /** Orders with a coupon in force that the CDP has not received yet (their revenue is not counted). */
  ordersNotSeen: number;
}

/** The statistics of the given templates (every id gets an entry). */
export async function statsOfTemplates(deps: Pick<LoyaltyDeps, 'database'>, ws: string, templateIds: readonly string[]): Promise<Map<string, CouponStats>> {
  const out = new Map<string, CouponStats>();
  if (templateIds.length === 0) return out;
  const db = deps.database.db;
  for (const id of templateIds) {
    out.set(id, {
      created: 0,
      unassigned: 0,
      issued: 0,
      claimed: 0,
      redeemed: 0,
      reversed: 0,
      redemptionRate: 0,
      discountFen: 0,
      revenueFen: 0,
      ordersNotSeen: 0,
    });
  }
  const counts = await db
    .selectFrom('coupons')
    .select(['template_id', 'status', 'channel', (eb) => eb.fn.countAll().as('n')])
    .where('workspace_id', '=', ws)
    .where('template_id', 'in', [...templateIds])
    .groupBy(['template_id', 'status', 'channel'])
    .execute();
  for (const c of counts) {
    const s = out.get(c.template_id)!;
    const n = num(c.n);
    s.created += n;
    if (c.status === 'unassigned') s.unassigned += n;
    else s.issued += n;
    if (c.status === 'redeemed') s.redeemed += n;
    if (c.status !== 'unassigned' && (c.channel === 'claim_link' || c.channel === 'code')) s.claimed += n;
  }
  const uses = await db
    .selectFrom('coupon_redemptions')
    .select(['template_id', 'order_id', 'discount_fen', 'reversed_at'])
    .where('workspace_id', '=', ws)
    .where('template_id', 'in', [...templateIds])
    .execute();
  const active = uses.filter((u) => u.reversed_at === null);
  const amounts = await orderAmounts(db, ws, [...new Set(active.map((u) => u.order_id))]);
  const counted = new Set<string>();
  for (const u of uses) {
    const s = out.get(u.template_id)!;
    if (u.reversed_at !== null) {
      s.reversed++;
      continue;
    }
    s.discountFen += num(u.discount_fen);
    // An order with two coupons of one template counts once for it.
    const key = `${u.template_id}\0${u.order_id}`;
    if (counted.has(key)) continue;
    counted.add(key);
    const o = amounts.get(u.order_id);
    if (o) s.revenueFen += o.netFen;
    else s.ordersNotSeen++;
  }
  for (const s of out.values()) s.redemptionRate = s.issued === 0 ? 0 : Math.round((s.redeemed / s.issued) * 10_000) / 10_000;
  return out;
}
