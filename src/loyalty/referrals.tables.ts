import type { JsonColumn, Millis } from '../platform/db/schema.js';

/**
 * The referral tables (migration 0034_loyalty_referrals): the programme, referral codes, every
 * attribution decision with its reason, accepted referrals (one per referee), the rewards they
 * gave and staff commissions per order. Owned by `src/loyalty/`; see docs/loyalty-referrals.md.
 */

/** Who owns a referral code: a member (a profile) or a staff member (distribution, 分销). */
export type ReferrerKind = 'member' | 'staff';

/** The outcome of an attribution, or of a later check of an accepted referral. */
export type DecisionOutcome = 'accepted' | 'rejected';

/** Where a referral stands: accepted (it counts), or rejected later (the two profiles turned out to be one person). */
export type ReferralStatus = 'active' | 'rejected';

/**
 * Where a reward stands: granted, reversed (clawed back after a refund, in part or whole; a coupon
 * voided), failed (recorded with its reason), or not_reclaimable (a coupon already used when its
 * order was refunded; `note` names the order it was used on).
 */
export type RewardStatus = 'granted' | 'reversed' | 'failed' | 'not_reclaimable';

/** A workspace's referral programme (one row; `definition` is the validated programme JSON). */
export interface ReferralProgrammesTable {
  workspace_id: string;
  definition: JsonColumn;
  updated_at: Millis;
}

/** A referral code: a member's (one per profile) or a staff member's (with a commission rate). */
export interface ReferralCodesTable {
  workspace_id: string;
  code: string;
  owner_kind: ReferrerKind;
  /** The profile id (member) or the staff id (staff). */
  owner_id: string;
  /** Staff codes: commission in basis points of the order's net amount (1000 = 10%); null for members. */
  commission_bp: number | null;
  created_at: Millis;
}

/** Every attribution asked for and every later check, with its outcome and reason (the anti-fraud record). */
export interface ReferralDecisionsTable {
  workspace_id: string;
  id: string;
  code: string;
  referrer_kind: ReferrerKind;
  referrer_id: string;
  referee_id: string;
  outcome: DecisionOutcome;
  /** A stable reason code: accepted, self_referral, shared_identifier, already_known, already_referred, velocity_limit, programme_disabled. */
  reason: string;
  /** Words for people: what matched, which identifier, which limit. */
  detail: string | null;
  /** The tracked event that asked for the attribution (its `referral_code`), or null for the API. */
  message_id: string | null;
  created_at: Millis;
}

/** An accepted referral: one per referee (the primary key is the one-reward-per-referee guarantee). */
export interface ReferralsTable {
  workspace_id: string;
  /** The referee's profile id when attributed (merges are followed when it is read). */
  referee_id: string;
  code: string;
  referrer_kind: ReferrerKind;
  referrer_id: string;
  status: ReferralStatus;
  decision_id: string;
  attributed_at: Millis;
}

/** A reward a referral gave: points (a ledger entry), a coupon, or tier days. */
export interface ReferralRewardsTable {
  workspace_id: string;
  id: string;
  /** Unique per workspace: what makes the reward once (rule, referee or order, beneficiary role). */
  reward_key: string;
  referee_id: string;
  /** The profile that received it. */
  profile_id: string;
  /** The programme rule or milestone id. */
  rule_id: string;
  trigger: 'registration' | 'first_purchase' | 'purchase' | 'milestone';
  kind: 'points' | 'coupon' | 'tier_days';
  /** Points, or tier days; 1 for a coupon. */
  amount: number;
  /** Points clawed back so far (points rewards of refunded orders); 1 for a coupon voided. */
  reversed: number;
  /** The ledger entry, the coupon code or the tier port's reference. */
  reference: string | null;
  order_id: string | null;
  status: RewardStatus;
  note: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** A staff member's commission on one order of a referee they brought in. */
export interface ReferralCommissionsTable {
  workspace_id: string;
  id: string;
  staff_id: string;
  code: string;
  referee_id: string;
  order_id: string;
  order_fen: number;
  commission_bp: number;
  /** Commission on the order's amount when it completed. */
  commission_fen: number;
  /** Commission taken back by refunds (all of it once the order is refunded or cancelled). */
  reversed_fen: number;
  status: 'earned' | 'reversed';
  created_at: Millis;
  updated_at: Millis;
}

/** The referral tables, merged into platform's DB type. */
export interface ReferralsDB {
  referral_programmes: ReferralProgrammesTable;
  referral_codes: ReferralCodesTable;
  referral_decisions: ReferralDecisionsTable;
  referrals: ReferralsTable;
  referral_rewards: ReferralRewardsTable;
  referral_commissions: ReferralCommissionsTable;
}

// These tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends ReferralsDB {}
}
