import type { JsonColumn } from '../platform/db/column-values.js';
import type { Millis } from '../platform/db/schema.js';

/**
 * The earning side's tables (migration 0028_loyalty_rules): the workspace's points settings,
 * versioned earning rules, what the rules awarded (with the holds of order points) and check-ins.
 * Owned by `src/loyalty/`, part of {@link import('./schema.js').LoyaltyDB}.
 */

/** A workspace's points settings; a workspace without a row has the defaults (expiry at the end of the year after earning, notice 30 days ahead). */
export interface LoyaltySettingsTable {
  workspace_id: string;
  /** JSON ExpiryPolicy: `{ kind: 'none' }`, `{ kind: 'end_of_year', years }` or `{ kind: 'days', days }`. */
  expiry_policy: JsonColumn;
  /** Days before expiry that the `Points Expiring` notice is recorded. */
  notice_days: number;
  updated_at: Millis;
}

/** The kinds of earning rules. */
export type RuleKind = 'order' | 'event' | 'birthday' | 'checkin';

/** One version of an earning rule; the highest active version of an id is the one applied. */
export interface LoyaltyRulesTable {
  workspace_id: string;
  id: string;
  version: number;
  kind: RuleKind;
  name: string;
  /** `active` until deactivated (a newer version leaves older ones active but unused). */
  status: 'active' | 'inactive';
  /** JSON: the rule's definition, validated by its kind's schema (rules.schemas.ts). */
  definition: JsonColumn;
  created_at: Millis;
  deactivated_at: Millis | null;
}

/** Where an award stands: credited, held until its order's return window closes, released from the hold, or nothing given. */
export type AwardStatus = 'awarded' | 'pending' | 'released' | 'none';

/**
 * What a rule gave for one subject (an event, an order, a birthday year, a check-in day): one row
 * per (rule, subject), so nothing is awarded twice whatever the retries; also the count the limits
 * read, and for orders the hold (`pending`) and what refunds took back (`clawed`).
 */
export interface LoyaltyAwardsTable {
  workspace_id: string;
  rule_id: string;
  /** `event:<message id>`, `order:<order id>`, `birthday:<profile id>:<year>`, `checkin:<profile id>:<date>` (unique per workspace and rule). */
  subject_key: string;
  rule_version: number;
  profile_id: string;
  status: AwardStatus;
  /** Points the rule gave (after limits), before refunds. */
  points: number;
  /** Points refunds took back (from the hold, or from the balance once released). */
  clawed: number;
  order_id: string | null;
  /** Pending awards: when the hold is released. */
  release_at: Millis | null;
  /** The ledger entry of the credit (at award, or at release). */
  entry_id: string | null;
  /** Why the award is smaller than the rule's figure (a limit), or nothing. */
  note: string | null;
  /** The subject's time (event time; the day's start for check-ins): limits count by it. */
  at: Millis;
  created_at: Millis;
}

/** One check-in of a member on a local date, with the streak it made. */
export interface LoyaltyCheckinsTable {
  workspace_id: string;
  profile_id: string;
  /** Local date in the workspace's time zone (YYYY-MM-DD). */
  day: string;
  streak: number;
  points: number;
  entry_id: string | null;
  created_at: Millis;
}

/** The earning tables, merged into the loyalty module's database type. */
export interface EarningDB {
  loyalty_settings: LoyaltySettingsTable;
  loyalty_rules: LoyaltyRulesTable;
  loyalty_awards: LoyaltyAwardsTable;
  loyalty_checkins: LoyaltyCheckinsTable;
}
