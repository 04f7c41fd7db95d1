import type { JsonColumn } from '../platform/db/column-values.js';
import type { Millis } from '../platform/db/schema.js';

/**
 * The tiers' tables (migration 0033_loyalty_tiers): the workspace's versioned tier program, each
 * member's tier state, the tier history and the paid memberships bought. Owned by `src/loyalty/`,
 * part of {@link import('./schema.js').LoyaltyDB}.
 */

/** One version of a workspace's tier program (the highest version is in force). */
export interface LoyaltyTierProgramsTable {
  workspace_id: string;
  version: number;
  /** JSON TierProgram: basis, window, evaluation, grace days, tiers with their benefits. */
  definition: JsonColumn;
  created_at: Millis;
}

/** A member's tier state; the row is what tier changes of one member lock. */
export interface LoyaltyMembersTable {
  workspace_id: string;
  profile_id: string;
  /** The tier in force: the higher of the qualified and the paid one; null for none. */
  tier_key: string | null;
  /** The tier the member's points or spend qualifies for (kept until an evaluation date after the grace period). */
  qualified_key: string | null;
  /** The qualification value last computed (points earned, or net spend in fen, in the window). */
  value: number;
  /** Set at an evaluation date that found the member below their qualified tier: downgraded when it passes unless they qualify again. */
  grace_until: Millis | null;
  /** The tier of the paid membership in force, and its end. */
  paid_key: string | null;
  paid_until: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

/** Why a member's tier changed. */
export type TierChangeReason = 'qualified' | 'evaluation' | 'paid_purchase' | 'paid_expired' | 'merge' | 'referral_reward' | 'program_change';

/** One change of a member's tier in force (append-only). */
export interface LoyaltyTierHistoryTable {
  workspace_id: string;
  id: string;
  profile_id: string;
  from_key: string | null;
  to_key: string | null;
  reason: TierChangeReason;
  /** The qualification value when it changed. */
  value: number;
  note: string | null;
  created_at: Millis;
}

/** A paid membership bought (a purchase or a renewal) or given (tier days), one row per request. */
export interface LoyaltyPaidMembershipsTable {
  workspace_id: string;
  id: string;
  profile_id: string;
  tier_key: string;
  /** `reward`: tier days given as a referral reward (no order: `order_id` is `tier-days:<key>`, amount 0). */
  kind: 'purchase' | 'renewal' | 'reward';
  order_id: string;
  amount_fen: number;
  starts_at: Millis;
  ends_at: Millis;
  idempotency_key: string;
  request_hash: string;
  created_at: Millis;
}

/** The tiers' tables. */
export interface TiersDB {
  loyalty_tier_programs: LoyaltyTierProgramsTable;
  loyalty_members: LoyaltyMembersTable;
  loyalty_tier_history: LoyaltyTierHistoryTable;
  loyalty_paid_memberships: LoyaltyPaidMembershipsTable;
}
