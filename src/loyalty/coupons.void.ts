/**
 * Voiding a coupon: taking back one that was given and not used (a referral reward whose order was
 * refunded, a catalogue redemption reversed). An unused coupon turns `voided` (kept, with when and
 * why; redeeming it is refused with COUPON_VOIDED) and "Coupon Voided" is recorded on its holder's
 * timeline; a used one cannot be taken back, and the caller learns on which order it was used.
 * Runs in the caller's transaction, under the coupon's row lock, so a redemption racing the void
 * either commits first (the coupon is used) or waits and finds it voided.
 */
import { recordSystemEvents, resolveProfileId } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import type { CouponsTable } from './coupons.tables.js';
import { findCouponByCode, findRedemption, updateCoupon } from './coupons.repo.js';
import { COUPON_EVENTS } from './event-names.js';
import type { Conn } from './ledger.repo.js';

/** What a void came to: voided now, voided before, or used (with the order), so not reclaimable. */
export type VoidOutcome =
  | { outcome: 'voided' | 'already_voided'; code: string; couponId: string }
  | { outcome: 'used'; code: string; couponId: string; orderId: string; redeemedAt: number };

/** Voids the coupon of `code` unless it was used (see the file's comment); undefined when there is no such coupon. */
export async function voidCouponInTrx(trx: Conn, dialect: Dialect, ws: string, code: string, reason: string, now: number): Promise<VoidOutcome | undefined> {
  const c = await findCouponByCode(trx, dialect, ws, code, true);
  if (!c) return undefined;
  const base = { code: c.code, couponId: c.id };
  if (c.status === 'voided') return { outcome: 'already_voided', ...base };
  if (c.status === 'redeemed') {
    const r = (await findRedemption(trx, ws, c.redemption_id!))!;
    return { outcome: 'used', ...base, orderId: r.order_id, redeemedAt: r.redeemed_at };
  }
  const set: Partial<CouponsTable> = { status: 'voided', voided_at: now, void_reason: reason, updated_at: now };
  await updateCoupon(trx, ws, c.id, set);
  if (c.profile_id !== null) {
    // Its holder may have been merged into another profile since: the event goes on the live one.
    const profileId = (await resolveProfileId(trx, ws, c.profile_id)) ?? c.profile_id;
    await recordSystemEvents(trx, dialect, [
      {
        workspaceId: ws,
        profileId,
        event: COUPON_EVENTS.voided,
        eventId: `${c.id}:voided`,
        at: now,
        properties: { coupon_id: c.id, code: c.code, template_id: c.template_id, reason },
      },
    ]);
  }
  return { outcome: 'voided', ...base };
}
