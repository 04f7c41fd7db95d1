/**
 * The segment rule language, gathered: limits and operators (rule-limits.ts), validation
 * (rule-validation.ts), the published JSON Schema (rule-schema.ts), one-line summaries
 * (rule-describe.ts) and the small questions other code asks of a valid rule (rule-queries.ts).
 * Semantics: docs/segments-rules.md.
 *
 * Deprecated shim: nothing in segments imports it (its files import the real ones). It stays only
 * for other modules that still import it directly (journeys, until they import index.ts); then it goes.
 * @deprecated Import from `src/segments/index.ts`.
 */
export { COMPARE_OPS, DATE_OPS, PROFILE_FIELDS, RULE_LIMITS, RULE_TYPES } from './rule-limits.js';
export type { RuleError } from './rule-checks.js';
export { validateRule } from './rule-validation.js';
export { RULE_JSON_SCHEMA } from './rule-schema.js';
export { describeRule, type RuleLanguage } from './rule-describe.js';
export { isTimeDependent, referencedSegments, walkRule } from './rule-queries.js';
