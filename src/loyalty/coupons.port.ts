/** What loyalty offers the journeys' award step for coupons (the root puts it in journeys' `LoyaltyPort.issueCoupon`). */
import type { Kysely } from 'kysely';
import { resolveProfileId } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { issueInTrx } from './coupons.issue.js';
import { findTemplate } from './coupons.repo.js';
import type { Conn } from './ledger.repo.js';

/** The input of a coupon award (the shape of journeys' `LoyaltyPort.issueCoupon`). */
export interface CouponAwardInput {
  workspaceId: string;
  profileId: string;
  /** The template's id or key (recipes name templates by key, e.g. "birthday"). */
  couponTemplateId: string;
  reason: string;
  idempotencyKey: string;
  now: number;
}

/**
 * Issues a coupon inside the caller's transaction (a journey step's), idempotent by the step's key:
 * a retried step issues one coupon. A profile merged away receives it on its survivor; a refusal (no
 * such template or profile, out of stock, the member's limit reached, the template paused) is
 * answered as `{ ok: false, reason }`, which the step records as failed. The code goes into the
 * journey's context (`{{ data.coupon_code }}`).
 */
export function issueCouponWith(dialect: Dialect, defaultTimeZone: string) {
  return async (trx: Kysely<any>, input: CouponAwardInput): Promise<{ ok: true; couponCode?: string } | { ok: false; reason: string }> => {
    // The port's transaction is untyped (journeys does not know loyalty's tables); it is a transaction over the whole database.
    const db = trx as Conn;
    const profileId = await resolveProfileId(db, input.workspaceId, input.profileId);
    if (profileId === undefined) return { ok: false, reason: `no profile ${input.profileId}` };
    const timeZone = await workspaceTimeZone(db, input.workspaceId, defaultTimeZone);
    try {
      const r = await issueInTrx(
        db,
        dialect,
        {
          workspaceId: input.workspaceId,
          profileId,
          template: input.couponTemplateId,
          channel: 'journey',
          idempotencyKey: input.idempotencyKey,
          reason: input.reason,
          timeZone,
        },
        input.now,
      );
      return { ok: true, couponCode: r.coupon.code };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, reason: `${err.code}: ${err.message}` };
      throw err;
    }
  };
}

/**
 * Why a template cannot issue coupons now, in words that complete "coupons of template X, …" (for
 * journeys' publish warnings), or undefined when it can (the root fills `LoyaltyPort.couponTemplateProblem`).
 */
export function couponTemplateProblemWith(dialect: Dialect) {
  return async (db: Kysely<any>, input: { workspaceId: string; couponTemplateId: string }): Promise<string | undefined> => {
    const t = await findTemplate(db as Conn, dialect, input.workspaceId, input.couponTemplateId);
    if (!t) return 'which does not exist in this workspace (create it with that key: POST /v1/loyalty/coupon-templates)';
    if (t.status !== 'active') return `which is ${t.status}`;
    if (t.stock !== null && t.created_count >= t.stock) return `whose stock of ${t.stock} is used up`;
    return undefined;
  };
}
