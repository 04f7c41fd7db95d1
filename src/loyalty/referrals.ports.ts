/**
 * Ports the referral programme uses and other parts of loyalty fill when they exist: tier days
 * (the tier work gives a member days of a tier) and the group-buys a member led (for the KOC
 * score). Both are optional in LoyaltyDeps; without them tier-day rewards fail with
 * TIER_DAYS_UNAVAILABLE and group-buys count 0.
 */
import type { Kysely } from 'kysely';

/** What a tier-days grant is asked. */
export interface TierDaysGrant {
  workspaceId: string;
  profileId: string;
  days: number;
  reason: string;
  /** Unique per workspace: a retried grant has one effect. */
  idempotencyKey: string;
  now: number;
}

/** Gives (and, optionally, takes back) days of a tier, inside the caller's transaction. */
export interface TierDaysPort {
  /** Grants the days; answers a reference kept on the reward (to revoke it by). */
  grant(trx: Kysely<any>, input: TierDaysGrant): Promise<{ reference: string }>;
  /** Takes back a grant (the qualifying order was refunded); absent, tier days stay given. */
  revoke?(trx: Kysely<any>, input: { workspaceId: string; reference: string; reason: string; now: number }): Promise<void>;
}

/** How many group-buys each profile led that formed (profiles with none may be absent). */
export type GroupBuysLedPort = (workspaceId: string, profileIds: readonly string[]) => Promise<Map<string, number>>;
