import { errorClass } from '../platform/errors.js';

/** The loyalty module's expected failures. */
export const LoyaltyError = errorClass('loyalty', {
  /** A spend or a negative adjustment larger than the member's balance: nothing was posted. */
  INSUFFICIENT_POINTS: 409,
  /** An idempotency key already used by a different request in this workspace. */
  IDEMPOTENCY_CONFLICT: 409,
  /** Points that would take a balance past the largest safe integer (details name the limit). */
  POINTS_OUT_OF_RANGE: 400,
  /** No earning rule with that id in this workspace. */
  EARNING_RULE_NOT_FOUND: 404,
  /** A rule version that cannot be applied (a campaign ending before it starts, a kind changed between versions). */
  EARNING_RULE_INVALID: 400,
  /** A check-in asked of a workspace with no active check-in rule. */
  CHECKIN_NOT_CONFIGURED: 409,
});
