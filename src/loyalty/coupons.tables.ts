import type { Millis } from '../platform/db/schema.js';

/**
 * The coupon tables (migration 0029_loyalty_coupons): templates, coupons (one row per code) and
 * redemptions. Owned by `src/loyalty/`; see docs/loyalty.md, "Coupons".
 */

/** What a coupon takes off an order. */
export type CouponKind = 'fixed' | 'percent' | 'threshold' | 'free_item';

/** A template's state: active templates issue; paused ones do not (issued coupons stay usable); archived ones are hidden from the list. */
export type TemplateStatus = 'active' | 'paused' | 'archived';

/** Where a coupon stands: a generated code nobody holds yet, a member's unused coupon, one used on an order, or one taken back unused (voided). */
export type CouponStatus = 'unassigned' | 'issued' | 'redeemed' | 'voided';

/** How a coupon came to its holder. */
export type IssueChannel = 'generated' | 'api' | 'journey' | 'claim_link' | 'code';

/** A coupon template: the offer, its validity, stacking and limits. */
export interface CouponTemplatesTable {
  workspace_id: string;
  id: string;
  /** A name callers may use instead of the id (journeys' `couponTemplateId: "birthday"`); unique per workspace, or null. */
  key: string | null;
  name: string;
  description: string | null;
  kind: CouponKind;
  /** fixed and threshold: fen taken off. */
  amount_fen: number | null;
  /** percent: percent taken off (1-99). */
  percent_off: number | null;
  /** percent: the most it takes off, in fen, or null. */
  cap_fen: number | null;
  /** The order amount (fen) from which the coupon applies; 0 for any order. */
  threshold_fen: number;
  /** free_item: the product (product_id or sku) given free. */
  item_key: string | null;
  /** Fixed window: valid from / until (epoch ms), or null. */
  valid_from: Millis | null;
  valid_until: Millis | null;
  /** Relative window: valid for this many local days from issue (the issue day is day 1), or null. */
  valid_days: number | null;
  /** True when it may be used on an order together with other stackable coupons. */
  stackable: number;
  /** Coupons of this template usable on one order. */
  max_per_order: number;
  /** Coupons of this template one member may hold over time, or null for no limit. */
  per_person_limit: number | null;
  /** The global limit: coupons of this template that may exist (issued and generated), or null for no limit. */
  stock: number | null;
  /** Coupons created so far (issued or generated): counted under the template's lock, so stock cannot oversell. */
  created_count: number;
  code_prefix: string;
  status: TemplateStatus;
  created_at: Millis;
  updated_at: Millis;
}

/** A coupon: one code, unassigned (generated) or held by a member. */
export interface CouponsTable {
  workspace_id: string;
  id: string;
  template_id: string;
  /** Unique per workspace; upper case, without separators. */
  code: string;
  profile_id: string | null;
  status: CouponStatus;
  channel: IssueChannel;
  /** The idempotency key of the issue (null for generated codes). */
  issue_key: string | null;
  /** The code generation batch it came from, for generated codes. */
  batch_id: string | null;
  reason: string | null;
  /** When it was issued or claimed (null while unassigned). */
  issued_at: Millis | null;
  valid_from: Millis | null;
  valid_until: Millis | null;
  /** The redemption in force, while redeemed. */
  redemption_id: string | null;
  /** When it was voided (taken back unused: a referral reward of a refunded order, a catalogue redemption reversed), and why (0042). */
  voided_at: Millis | null;
  void_reason: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** A use of a coupon on an order; reversed (not deleted) when the order is refunded or cancelled. */
export interface CouponRedemptionsTable {
  workspace_id: string;
  id: string;
  coupon_id: string;
  template_id: string;
  profile_id: string;
  order_id: string;
  order_amount_fen: number;
  discount_fen: number;
  idempotency_key: string;
  request_hash: string;
  redeemed_at: Millis;
  reversed_at: Millis | null;
  reverse_reason: string | null;
}

/** The coupon tables, merged into platform's DB type. */
export interface CouponsDB {
  coupon_templates: CouponTemplatesTable;
  coupons: CouponsTable;
  coupon_redemptions: CouponRedemptionsTable;
}

// These tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends CouponsDB {}
}
