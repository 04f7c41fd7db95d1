import type { Millis } from '../platform/db/schema.js';

/**
 * Tables of migration 0035_loyalty_catalogue: the reward catalogue and its redemptions, deduction
 * at checkout (settings and one row per order), lotteries (their prize tables and every draw).
 * Owned by `src/loyalty/`.
 */

/** What a catalogue item gives: a coupon of a template, or a reward the brand hands over (physical or virtual). */
export type CatalogueKind = 'coupon' | 'physical' | 'virtual';
/** An item or a lottery: active ones can be redeemed/drawn; paused and archived ones cannot. */
export type OfferStatus = 'active' | 'paused' | 'archived';

/** A reward members buy with points. `redeemed_count` never passes `stock` (a check constraint, and the conditional update that counts). */
export interface CatalogueItemsTable {
  workspace_id: string;
  id: string;
  name: string;
  description: string | null;
  kind: CatalogueKind;
  coupon_template_id: string | null;
  /** Points one unit costs. */
  points: number;
  /** Units offered in all; null for unlimited. */
  stock: number | null;
  redeemed_count: number;
  per_member_limit: number | null;
  status: OfferStatus;
  created_at: Millis;
  updated_at: Millis;
}

/** One redemption of a catalogue item: the points spent (a ledger entry) and, for a coupon item, the coupon issued. */
export interface CatalogueRedemptionsTable {
  workspace_id: string;
  id: string;
  item_id: string;
  profile_id: string;
  points: number;
  entry_id: string;
  coupon_id: string | null;
  /** Unique per workspace (member requests are keyed `member:<profile>:<key>`). */
  idempotency_key: string;
  created_at: Millis;
  /** When an admin reversed it (points given back, stock restored, its coupon voided), the credit, and why (0042). */
  reversed_at?: Millis | null;
  reverse_entry_id?: string | null;
  reverse_reason?: string | null;
}

/** The workspace's deduction at checkout: `points_per_yuan` points pay ¥1; caps per order in percent of the total and/or fen. */
export interface CheckoutSettingsTable {
  workspace_id: string;
  points_per_yuan: number;
  max_percent: number | null;
  max_fen: number | null;
  updated_at: Millis;
}

/** Points deducted from one order (one row per order): applied, then reversed if the order is refunded or cancelled. */
export interface CheckoutDeductionsTable {
  workspace_id: string;
  order_id: string;
  profile_id: string;
  points: number;
  amount_fen: number;
  order_total_fen: number;
  entry_id: string;
  status: 'applied' | 'reversed';
  reverse_entry_id: string | null;
  reverse_reason: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** A lottery: cost per draw, draws per member per local day, and the prize that stands in for one out of stock. */
export interface LotteriesTable {
  workspace_id: string;
  id: string;
  name: string;
  status: OfferStatus;
  cost_points: number;
  daily_limit: number | null;
  fallback_prize_id: string;
  created_at: Millis;
  updated_at: Millis;
}

/** What a prize gives. */
export type PrizeKind = 'none' | 'points' | 'coupon' | 'physical';

/** One line of a lottery's prize table: its probability in parts per million (the lines sum to 1,000,000). */
export interface LotteryPrizesTable {
  workspace_id: string;
  lottery_id: string;
  id: string;
  position: number;
  name: string;
  kind: PrizeKind;
  ppm: number;
  stock: number | null;
  won_count: number;
  points: number | null;
  coupon_template_id: string | null;
}

/** One draw, recorded whatever it gave. */
export interface LotteryDrawsTable {
  workspace_id: string;
  id: string;
  lottery_id: string;
  profile_id: string;
  /** The local day of the draw (daily limits count it). */
  day: string;
  /** The prize the random number fell on. */
  rolled_prize_id: string;
  /** The prize given: the rolled one, or the fallback when the rolled one was out of stock. */
  prize_id: string;
  cost_points: number;
  spend_entry_id: string | null;
  award_entry_id: string | null;
  coupon_id: string | null;
  idempotency_key: string;
  created_at: Millis;
}

/** The catalogue's, checkout's and lotteries' tables. */
export interface CatalogueDB {
  loyalty_catalogue_items: CatalogueItemsTable;
  loyalty_catalogue_redemptions: CatalogueRedemptionsTable;
  loyalty_checkout_settings: CheckoutSettingsTable;
  loyalty_checkout_deductions: CheckoutDeductionsTable;
  loyalty_lotteries: LotteriesTable;
  loyalty_lottery_prizes: LotteryPrizesTable;
  loyalty_lottery_draws: LotteryDrawsTable;
}

declare module '../platform/db/schema.js' {
  interface DB extends CatalogueDB {}
}
