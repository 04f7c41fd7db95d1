/**
 * The segment rule language: a JSON tree, discriminated by `type`. This file is the contract
 * between the validator (rule-validation.ts), the SQL compiler (compile.ts), the in-memory reference
 * evaluator (reference.ts) and the membership engine. Semantics are documented in
 * docs/segments-rules.md; every operator means the same on SQLite, PostgreSQL and the reference.
 * Every node is two-valued (true or false, never unknown): an absent value makes a comparison
 * false, and `not` of it true.
 */

/** Comparison operators on a trait, a profile field or an event property. */
export type CompareOp =
  | 'eq' // equal, types strict: a string value matches only an equal JSON string (binary), a number only a JSON number (numerically), a boolean only that JSON boolean
  | 'neq' // not eq; true when the value is absent
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte' // numbers numerically, strings by Unicode code point (binary)
  | 'in' // eq to any element of `value` (an array of strings/numbers/booleans, 1-500 elements)
  | 'not_in' // not in; true when absent
  | 'contains' // a string containing `value` (case-sensitive substring, no wildcards; value a non-empty string), or an array with an element eq to `value`
  | 'exists' // present and not null
  | 'not_exists';

/**
 * Date operators on local calendar dates; "today" is the local date of `now` in the workspace
 * time zone. A trait's date is the first 10 characters of a string starting with YYYY-MM-DD, as
 * written (no offset conversion; anything else never matches); a time field's date is the local
 * date of the instant.
 */
export type DateOp =
  | 'before' // date < `value` (YYYY-MM-DD)
  | 'after' // date > `value`
  | 'within_last_days' // today - days <= date <= today
  | 'within_next_days' // today <= date <= today + days
  | 'more_than_days_ago' // date < today - days
  | 'birthday_in_days'; // month-day falls in [today, today + days] (days 0-366), year ignored; 02-29 counts on 02-28 in other years. Traits only.

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
  /** Numeric fields: eq/neq/lt/lte/gt/gte/in/not_in/exists/not_exists. Time fields: exists/not_exists and the date operators except birthday_in_days. */
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

/** Relative (`lastDays`: the rolling window [now - lastDays x 24 h, now]) or absolute (ISO date-times with an offset, from inclusive, to exclusive). */
export type EventWindow = { lastDays: number } | { from: string; to: string };

export interface EventRule {
  type: 'event';
  /** Event name (`track` events' `event`; page and screen views never count), e.g. "Order Completed". */
  event: string;
  /** Default: at least 1. */
  count?: { op: 'at_least' | 'at_most' | 'exactly'; value: number };
  /** Default: all time. */
  window?: EventWindow;
  where?: PropertyFilter[];
}

/** Performed at least once (matching `where`), and the latest such event is older than now - moreThanDays x 24 h. */
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
  /** Default "". */
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
  /**
   * Set when the rule is evaluated over a range of profile ids at once (a full recompute chunk,
   * `after < id <= upTo`): tag, score and segment conditions then read their own table once for
   * the range (an uncorrelated `p.id in (...)`) instead of probing it once per profile.
   */
  range?: { after: string; upTo?: string };
  /**
   * Set when the rule is evaluated over every profile of the workspace in one query (a full
   * recompute's scan): event conditions too read the events table once (`p.id in (select
   * profile_id ... group by profile_id having count(*) ...)`), like a hand-written query would.
   */
  wholeWorkspace?: boolean;
}
