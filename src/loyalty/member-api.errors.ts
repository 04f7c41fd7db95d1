import { errorClass } from '../platform/errors.js';

/**
 * The failures of the member-facing API and of what members spend points on (catalogue, checkout,
 * lotteries, group-buys). A class of its own beside `LoyaltyError` (same domain, distinct codes).
 */
export const MemberApiError = errorClass('loyalty', {
  /** No `Authorization: Bearer <member token>` on a member route. */
  MEMBER_TOKEN_MISSING: 401,
  /** A member token that is malformed, forged, of another workspace, or names a profile that no longer exists. */
  MEMBER_TOKEN_INVALID: 401,
  /** A member token past its expiry: mint a new one. */
  MEMBER_TOKEN_EXPIRED: 401,
  /** Too many requests with one member token in a minute. */
  MEMBER_RATE_LIMITED: 429,
  /** No catalogue item with that id in this workspace. */
  CATALOGUE_ITEM_NOT_FOUND: 404,
  /** A paused or archived item cannot be redeemed. */
  CATALOGUE_ITEM_INACTIVE: 409,
  /** Every unit of the item has been redeemed. */
  CATALOGUE_OUT_OF_STOCK: 409,
  /** The member has redeemed the item as many times as it allows one member. */
  CATALOGUE_LIMIT_REACHED: 409,
  /** An item that cannot be (a coupon item without a usable template). */
  CATALOGUE_ITEM_INVALID: 400,
  /** No catalogue redemption with that id in this workspace. */
  CATALOGUE_REDEMPTION_NOT_FOUND: 404,
  /** The redemption's coupon was already used on an order: the redemption cannot be reversed (details name the order). */
  CATALOGUE_COUPON_USED: 409,
  /** Deduction at checkout is not set up in this workspace (PUT /v1/loyalty/checkout/settings). */
  CHECKOUT_NOT_CONFIGURED: 409,
  /** The order already has points deducted with other numbers, or was reversed. */
  CHECKOUT_ORDER_CONFLICT: 409,
  /** More points than the order's cap allows. */
  CHECKOUT_CAP_EXCEEDED: 409,
  /** No lottery with that id in this workspace. */
  LOTTERY_NOT_FOUND: 404,
  /** A prize table whose probabilities do not sum to 1,000,000 ppm, without exactly one fallback, or otherwise unusable. */
  LOTTERY_INVALID: 400,
  /** A paused or archived lottery cannot be drawn. */
  LOTTERY_INACTIVE: 409,
  /** The member has drawn as many times today as the lottery allows. */
  LOTTERY_DAILY_LIMIT: 409,
  /** No group-buy campaign with that id in this workspace. */
  GROUP_BUY_CAMPAIGN_NOT_FOUND: 404,
  /** A campaign that is paused, archived or past its end takes no new groups. */
  GROUP_BUY_CAMPAIGN_INACTIVE: 409,
  /** No group with that code in this workspace. */
  GROUP_BUY_NOT_FOUND: 404,
  /** The group is full, formed, or cancelled. */
  GROUP_BUY_CLOSED: 409,
  /** The member is in the group already, or is the same person as a member (One ID, or a shared phone, unionid or device). */
  GROUP_BUY_SELF_JOIN: 409,
});
