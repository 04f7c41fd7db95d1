/**
 * The limits, operators and formats of the segment rule language, shared by its validator
 * (rule-validation.ts) and its JSON Schema (rule-schema.ts). Semantics: docs/segments-rules.md.
 */
import type { CompareOp, DateOp, ProfileField, Rule } from './rule.types.js';

/** Limits of a rule; the JSON Schema states those it can, the validator enforces all of them. */
export const RULE_LIMITS = {
  /** Nodes on the longest path from the root to a leaf (a single leaf is depth 1). */
  maxDepth: 10,
  /** Rule nodes in the whole tree (and/or/not count; tag refs and property filters do not). */
  maxNodes: 200,
  /** Characters (Unicode code points) in any string. */
  maxString: 256,
  maxInValues: 500,
  maxTags: 100,
  maxWhere: 20,
  maxDays: 3650,
  maxBirthdayDays: 366,
  maxCount: 1_000_000,
  /**
   * Elements of all lists in the tree together: tags, in/not_in values (property filters' too),
   * RFM cells, stages and roles (rule-cost.ts). Bounds the size of the compiled statement.
   */
  maxListValues: 5_000,
  /**
   * SQL parameters the compiled rule may bind, estimated from the tree before compiling
   * (rule-cost.ts; 5 per tag, 8 per trait or property condition): far under SQLite's 32,766 per
   * statement (better-sqlite3 12) and PostgreSQL's 65,535, beside the change feed's 1,000 profile
   * ids. It also bounds the subqueries PostgreSQL plans at once: about 0.4 MB of a backend's
   * memory per tag (measured on PostgreSQL 15, 20,000 profiles: 500 tags 170 MB, 1,980 tags
   * 830 MB), so at most 500 tags.
   */
  maxParameters: 2_500,
  /** Validation stops collecting after this many errors. */
  maxErrors: 50,
} as const;

/** The comparison operators. */
export const COMPARE_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'contains', 'exists', 'not_exists'] as const satisfies readonly CompareOp[];
/** The date operators. */
export const DATE_OPS = [
  'before',
  'after',
  'within_last_days',
  'within_next_days',
  'more_than_days_ago',
  'birthday_in_days',
] as const satisfies readonly DateOp[];
/** The built-in profile fields a rule can test. */
export const PROFILE_FIELDS = [
  'order_count',
  'total_spent_fen',
  'first_purchase_at',
  'last_purchase_at',
  'first_seen_at',
  'last_seen_at',
] as const satisfies readonly ProfileField[];
/** The node types of the rule language. */
export const RULE_TYPES = [
  'and',
  'or',
  'not',
  'trait',
  'profile',
  'tag',
  'event',
  'last_performed',
  'never_performed',
  'rfm',
  'lifecycle',
  'community_role',
  'consent',
  'segment',
  'bucket',
] as const satisfies readonly Rule['type'][];

/** Operators of the numeric profile fields. */
export const NUMERIC_FIELD_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'exists', 'not_exists'] as const;
// birthday_in_days is refused on time fields: it needs the local month-day of an epoch in an IANA
// zone inside SQL, which SQLite cannot compute; the other date ops compile to epoch bounds.
export const TIME_FIELD_OPS = ['exists', 'not_exists', 'before', 'after', 'within_last_days', 'within_next_days', 'more_than_days_ago'] as const;
/** The numeric profile fields (the others are times). */
export const NUMERIC_FIELDS: readonly ProfileField[] = ['order_count', 'total_spent_fen'];

/** A calendar date, YYYY-MM-DD. */
export const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An ISO 8601 date-time with seconds optional, fraction optional, and a required offset. */
export const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
// NUL cannot be stored or bound on PostgreSQL; an unpaired surrogate is not valid UTF-8.
export const BAD_CHARS_RE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
