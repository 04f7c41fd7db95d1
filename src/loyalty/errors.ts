import { errorClass } from '../platform/errors.js';

/** The loyalty module's expected failures. */
export const LoyaltyError = errorClass('loyalty', {
  /** A spend or a negative adjustment larger than the member's balance: nothing was posted. */
  INSUFFICIENT_POINTS: 409,
  /** An idempotency key already used by a different request in this workspace. */
  IDEMPOTENCY_CONFLICT: 409,
  /** Points that would take a balance past the largest safe integer (details name the limit). */
  POINTS_OUT_OF_RANGE: 400,
  /** No coupon template with that id or key in this workspace. */
  COUPON_TEMPLATE_NOT_FOUND: 404,
  /** A template key already used by another template of the workspace. */
  COUPON_TEMPLATE_KEY_TAKEN: 409,
  /** A template that is paused or archived issues no coupons. */
  COUPON_TEMPLATE_INACTIVE: 409,
  /** The template's stock (its global limit) is used up. */
  COUPON_OUT_OF_STOCK: 409,
  /** The member already holds as many coupons of the template as it allows one person. */
  COUPON_LIMIT_REACHED: 409,
  /** No coupon with that code in this workspace. */
  COUPON_NOT_FOUND: 404,
  /** The coupon belongs to another member. */
  COUPON_NOT_OWNED: 403,
  /** The coupon was already used on an order (details name it). */
  COUPON_ALREADY_REDEEMED: 409,
  /** The coupon was taken back unused (details say why) and cannot be used. */
  COUPON_VOIDED: 409,
  /** A generated code already claimed by a member. */
  COUPON_ALREADY_CLAIMED: 409,
  /** Outside the coupon's validity window: not valid yet, or expired. */
  COUPON_NOT_VALID_NOW: 409,
  /** The order is below the coupon's threshold. */
  COUPON_THRESHOLD_NOT_MET: 409,
  /** The coupon cannot be combined with the coupons already on the order. */
  COUPON_NOT_STACKABLE: 409,
  /** A free-item coupon on an order whose lines do not include the item. */
  COUPON_ITEM_NOT_IN_ORDER: 409,
  /** A reversal of a coupon that is not redeemed on that order. */
  COUPON_NOT_REDEEMED: 409,
  /** A claim link that is malformed, forged or expired. */
  COUPON_CLAIM_LINK_INVALID: 400,
  /** No earning rule with that id in this workspace. */
  EARNING_RULE_NOT_FOUND: 404,
  /** A rule version that cannot be applied (a campaign ending before it starts, a kind changed between versions). */
  EARNING_RULE_INVALID: 400,
  /** A check-in asked of a workspace with no active check-in rule. */
  CHECKIN_NOT_CONFIGURED: 409,
  /** A tier program that cannot apply as written (thresholds not rising, keys repeated, a rolling window without months). */
  TIER_PROGRAM_INVALID: 400,
  /** No tier with that key in the workspace's program. */
  TIER_NOT_FOUND: 404,
  /** A tier key already in the program. */
  TIER_KEY_TAKEN: 409,
  /** A tier that members hold (qualified or paid) cannot be removed. */
  TIER_IN_USE: 409,
  /** A paid membership of another tier is still running for the member. */
  PAID_MEMBERSHIP_CONFLICT: 409,
  /** The order already paid for a membership period. */
  PAID_MEMBERSHIP_ORDER_USED: 409,
  /** No referral code like that in this workspace. */
  REFERRAL_CODE_NOT_FOUND: 404,
  /** A staff referral code asked for that another owner already has. */
  REFERRAL_CODE_TAKEN: 409,
  /** A tier-days reward with no tier module wired in (the programme refuses it; a grant records it as failed). */
  TIER_DAYS_UNAVAILABLE: 409,
});
