/**
 * The segment rule language: a JSON tree, discriminated by `type`. This file is the contract
 * between the validator (rules.ts), the SQL compiler (compile.ts), the in-memory reference
 * evaluator (reference.ts) and the membership engine. Semantics are documented in
 * docs/segments.md; every operator means the same on SQLite, PostgreSQL and the reference.
 */

/** Comparison operators on a trait, a profile field or an event property. */
export type CompareOp =
  | 'eq' // equal: a string value compares as text, a number numerically (the stored value must be a JSON number), a boolean with a JSON boolean
  | 'neq' // not eq; true when the value is absent
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte' // numbers numerically, strings by Unicode code point (binary)
  | 'in' // eq to any element of `value` (an array of strings/numbers/booleans, 1-500 elements)
  | 'not_in' // not in; true when absent
  | 'contains' // a string containing `value` (case-sensitive), or an array with `value` as an element
  | 'exists' // present and not null
  | 'not_exists';

/** Date operators (the stored value is an ISO-8601 date or date-time; compared as local dates in the workspace time zone). */
export type DateOp =
  | 'before' // date < `value` (YYYY-MM-DD)
  | 'after' // date > `value`
  | 'within_last_days' // today - days <= date <= today
  | 'within_next_days' // today <= date <= today + days
  | 'more_than_days_ago' // date < today - days
  | 'birthday_in_days'; // month-day falls in [today, today + days] (days 0-366), year ignored

export type Scalar = string | number | boolean;

export interface TraitRule {
  type: 'trait';
  /** Top-level trait name. */
  key: string;
  op: CompareOp | DateOp;
  value?: Scalar | Scalar[];
  days?: number;
}

/** Built-in profile columns (purchase aggregates and activity). Times are epoch ms in storage; rules give ISO dates. */
export type ProfileField = 'order_count' | 'total_spent_fen' | 'first_purchase_at' | 'last_purchase_at' | 'first_seen_at' | 'last_seen_at';

export interface ProfileFieldRule {
  type: 'profile';
  field: ProfileField;
  /** Numeric fields: eq/neq/lt/lte/gt/gte/in/exists/not_exists. Time fields: exists/not_exists and the date operators. */
  op: CompareOp | DateOp;
  value?: Scalar | Scalar[];
  days?: number;
}

/** A tag by id, or by name (group defaults to "default"). */
export type TagRef = { id: string } | { group?: string; name: string };

export interface TagRule {
  type: 'tag';
  tags: TagRef[]; // 1-100
  match: 'all' | 'any';
}

/** A filter on an event's `properties` (top-level property name). */
export interface PropertyFilter {
  property: string;
  op: CompareOp;
  value?: Scalar | Scalar[];
}

/** Relative (`lastDays`) or absolute (ISO date-times, from inclusive, to exclusive). */
export type EventWindow = { lastDays: number } | { from: string; to: string };

export interface EventRule {
  type: 'event';
  /** Event name (`track` events' `event`), e.g. "Order Completed". */
  event: string;
  /** Default: at least 1. */
  count?: { op: 'at_least' | 'at_most' | 'exactly'; value: number };
  /** Default: all time. */
  window?: EventWindow;
  where?: PropertyFilter[];
}

/** Performed at least once (matching `where`), and the latest such event is more than `days` days old. */
export interface LastPerformedRule {
  type: 'last_performed';
  event: string;
  moreThanDays: number;
  where?: PropertyFilter[];
}

export interface NeverPerformedRule {
  type: 'never_performed';
  event: string;
  where?: PropertyFilter[];
}

export const RFM_CELLS = [
  'important_value',
  'important_develop',
  'important_retain',
  'important_winback',
  'general_value',
  'general_develop',
  'general_retain',
  'general_winback',
] as const;
export type RfmCell = (typeof RFM_CELLS)[number];

export interface RfmRule {
  type: 'rfm';
  cells: RfmCell[];
}

export const LIFECYCLE_STAGES = ['prospect', 'new', 'active', 'loyal', 'silent', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export interface LifecycleRule {
  type: 'lifecycle';
  stages: LifecycleStage[];
}

export const COMMUNITY_ROLES = ['koc', 'active', 'lurker'] as const;
export type CommunityRole = (typeof COMMUNITY_ROLES)[number];

export interface CommunityRoleRule {
  type: 'community_role';
  roles: CommunityRole[];
}

/** Consent as recorded on the profile (`context.consent.categoryPreferences` keys, e.g. "marketing_sms"). */
export interface ConsentRule {
  type: 'consent';
  key: string;
  state: 'granted' | 'denied' | 'unknown';
}

/** Member of another saved segment (rule or static). Cycles are refused when saving. */
export interface SegmentRule {
  type: 'segment';
  segmentId: string;
}

/**
 * Stable random bucket: bucket = (first 8 hex digits of md5(salt + ":" + profile id) as an
 * unsigned 32-bit integer) mod 100; matches when from <= bucket < to. Holdout groups use this.
 */
export interface BucketRule {
  type: 'bucket';
  from: number;
  to: number;
  salt?: string;
}

export interface AndRule {
  type: 'and';
  rules: Rule[];
}
export interface OrRule {
  type: 'or';
  rules: Rule[];
}
export interface NotRule {
  type: 'not';
  rule: Rule;
}

export type Rule =
  | AndRule
  | OrRule
  | NotRule
  | TraitRule
  | ProfileFieldRule
  | TagRule
  | EventRule
  | LastPerformedRule
  | NeverPerformedRule
  | RfmRule
  | LifecycleRule
  | CommunityRoleRule
  | ConsentRule
  | SegmentRule
  | BucketRule;

/** What compiling and evaluating a rule needs besides the rule. */
export interface RuleContext {
  workspaceId: string;
  /** Evaluation time, epoch ms. */
  now: number;
  /** IANA zone for date operators (workspace setting; default Asia/Shanghai). */
  timeZone: string;
}
