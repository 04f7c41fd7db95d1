import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { Rule } from './rule.types.js';
import { describeRule } from './rule-describe.js';
import { RULE_LIMITS } from './rule-limits.js';
import { isTimeDependent, referencedSegments } from './rule-queries.js';
import { RULE_JSON_SCHEMA } from './rule-schema.js';
import { validateRule } from './rule-validation.js';

/** The errors of an invalid rule, as "path: message" lines. */
function errorsOf(input: unknown): string[] {
  const res = validateRule(input);
  if (res.ok) throw new Error(`expected ${JSON.stringify(input)} to be invalid`);
  return res.errors.map((e) => `${e.path}: ${e.message}`);
}

function valid(input: unknown): Rule {
  const res = validateRule(input);
  if (!res.ok) throw new Error(`expected valid: ${JSON.stringify(res.errors)}`);
  return res.rule;
}

const trait = (op: string, extra: object = {}) => ({ type: 'trait', key: 'city', op, ...extra });
const leaf: Rule = { type: 'trait', key: 'plan', op: 'eq', value: 'vip' };

/** One example of every node type, valid. */
const EVERY_NODE: Rule[] = [
  { type: 'trait', key: 'city', op: 'eq', value: '上海' },
  { type: 'trait', key: 'tags', op: 'in', value: ['a', 1, true] },
  { type: 'trait', key: 'name', op: 'exists' },
  { type: 'trait', key: 'birthday', op: 'birthday_in_days', days: 7 },
  { type: 'trait', key: 'signup', op: 'before', value: '2026-01-01' },
  { type: 'profile', field: 'order_count', op: 'gte', value: 3 },
  { type: 'profile', field: 'total_spent_fen', op: 'in', value: [100, 200] },
  { type: 'profile', field: 'last_purchase_at', op: 'more_than_days_ago', days: 90 },
  { type: 'profile', field: 'first_seen_at', op: 'not_exists' },
  { type: 'tag', tags: [{ id: 'tag_1' }, { name: 'VIP' }, { group: '会员', name: '金卡' }], match: 'any' },
  { type: 'event', event: 'Order Completed' },
  {
    type: 'event',
    event: 'Order Completed',
    count: { op: 'at_least', value: 3 },
    window: { lastDays: 30 },
    where: [{ property: 'amount', op: 'gt', value: 100 }],
  },
  { type: 'event', event: 'Viewed', window: { from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00Z' } },
  { type: 'last_performed', event: 'Order Completed', moreThanDays: 30, where: [{ property: 'channel', op: 'exists' }] },
  { type: 'never_performed', event: 'Order Completed' },
  { type: 'rfm', cells: ['important_value', 'general_value'] },
  { type: 'lifecycle', stages: ['new', 'active'] },
  { type: 'community_role', roles: ['koc'] },
  { type: 'consent', key: 'marketing_sms', state: 'granted' },
  { type: 'segment', segmentId: 'seg_1' },
  { type: 'bucket', from: 0, to: 10, salt: 'holdout-1' },
  { type: 'bucket', from: 90, to: 100 },
  { type: 'and', rules: [leaf, { type: 'or', rules: [leaf, { type: 'not', rule: leaf }] }] },
];

describe('validateRule', () => {
  it('accepts every node type and returns a copy holding only the known fields', () => {
    for (const rule of EVERY_NODE) {
      const out = valid(rule);
      expect(out).toEqual(rule);
      expect(out).not.toBe(rule);
    }
    const input = { type: 'and', rules: [{ ...leaf }] };
    const copy = valid(input);
    (input.rules[0] as { value: string }).value = 'changed';
    expect(copy).toEqual({ type: 'and', rules: [leaf] });
  });

  it('names the bad node by its JSON path and lists what is accepted', () => {
    const rule = { type: 'and', rules: [leaf, leaf, { type: 'trait', key: 'x', op: 'equals', value: 1 }] };
    expect(errorsOf(rule)).toEqual([
      'rule.rules[2].op: must be one of eq, neq, lt, lte, gt, gte, in, not_in, contains, exists, not_exists, before, after, within_last_days, within_next_days, more_than_days_ago, birthday_in_days (got "equals")',
    ]);
    expect(errorsOf({ type: 'segmnt', segmentId: 'x' })).toEqual([
      'rule.type: must be one of and, or, not, trait, profile, tag, event, last_performed, never_performed, rfm, lifecycle, community_role, consent, segment, bucket (got "segmnt")',
    ]);
    expect(errorsOf({ type: 'not', rule: { type: 'trait', key: 'birthday', op: 'within_next_days', days: 4000 } })).toEqual([
      'rule.rule.days: must be a whole number 0-3650 (got 4000)',
    ]);
    expect(errorsOf(trait('birthday_in_days', { days: 367 }))).toEqual(['rule.days: must be a whole number 0-366 (got 367)']);
    expect(errorsOf(trait('within_last_days', { days: 1.5 }))).toEqual(['rule.days: must be a whole number 0-3650 (got 1.5)']);
    expect(errorsOf(trait('within_last_days', { days: '7' }))).toEqual(['rule.days: must be a whole number 0-3650 (got "7")']);
  });

  it('collects every error in one pass', () => {
    const rule = {
      type: 'or',
      rules: [
        { type: 'trait', key: '', op: 'eq' },
        { type: 'event', event: 'x', count: { op: 'more', value: -1 }, window: { lastDays: 0 } },
        { type: 'bucket', from: 50, to: 50, extra: true },
      ],
    };
    expect(errorsOf(rule)).toEqual([
      'rule.rules[0].key: must be 1-256 characters (got 0)',
      'rule.rules[0].value: is required for op "eq"',
      'rule.rules[1].count.op: must be one of at_least, at_most, exactly (got "more")',
      'rule.rules[1].count.value: must be a whole number 0-1000000 (got -1)',
      'rule.rules[1].window.lastDays: must be a whole number 1-3650 (got 0)',
      'rule.rules[2].extra: is not a field of a "bucket" rule (allowed: type, from, to, salt)',
      'rule.rules[2].to: must be greater than from (50) (got 50)',
    ]);
  });

  it('refuses unknown keys everywhere, and fields the op does not use', () => {
    expect(errorsOf({ ...leaf, Value: 'x' })).toEqual(['rule.Value: is not a field of a "trait" rule (allowed: type, key, op, value, days)']);
    expect(errorsOf({ type: 'event', event: 'x', where: [{ property: 'a', op: 'eq', value: 1, type: 'string' }] })).toEqual([
      'rule.where[0].type: is not a field of a property filter (allowed: property, op, value)',
    ]);
    expect(errorsOf({ type: 'event', event: 'x', count: { op: 'at_least', value: 1, unit: 'times' } })).toEqual([
      'rule.count.unit: is not a field of a count (allowed: op, value)',
    ]);
    expect(errorsOf({ type: 'event', event: 'x', window: { lastDays: 3, from: '2026-01-01T00:00:00Z' } })).toEqual([
      'rule.window.from: is not a field of a relative window (allowed: lastDays)',
    ]);
    expect(errorsOf({ type: 'tag', match: 'any', tags: [{ name: 'VIP', color: 'red' }] })).toEqual([
      'rule.tags[0].color: is not a field of a tag reference by name (allowed: group, name)',
    ]);
    expect(errorsOf(trait('exists', { value: 1 }))).toEqual(['rule.value: is not used by op "exists"']);
    expect(errorsOf(trait('eq', { value: 1, days: 3 }))).toEqual(['rule.days: is not used by op "eq"']);
    expect(errorsOf(trait('before', { value: '2026-01-01', days: 3 }))).toEqual(['rule.days: is not used by op "before"']);
    expect(errorsOf(trait('within_last_days', { value: '2026-01-01', days: 3 }))).toEqual(['rule.value: is not used by op "within_last_days"']);
  });

  it('checks values against the op', () => {
    expect(errorsOf(trait('eq', { value: null }))).toEqual(['rule.value: must be a string, a number or a boolean (got null)']);
    expect(errorsOf(trait('eq', { value: ['a'] }))).toEqual(['rule.value: must be a single value for op "eq" (got an array; use "in" for a list)']);
    expect(errorsOf(trait('eq', { value: { a: 1 } }))).toEqual(['rule.value: must be a string, a number or a boolean (got an object)']);
    expect(errorsOf(trait('lt', { value: true }))).toEqual(['rule.value: must be a number or a string for op "lt" (got true)']);
    expect(errorsOf(trait('eq', { value: Number.POSITIVE_INFINITY }))).toEqual(['rule.value: must be a finite number (got Infinity)']);
    expect(errorsOf(trait('in', { value: [] }))).toEqual(['rule.value: must be an array of 1-500 values for op "in" (got 0 values)']);
    expect(errorsOf(trait('in', { value: Array(501).fill('a') }))).toEqual(['rule.value: must be an array of 1-500 values for op "in" (got 501 values)']);
    expect(errorsOf(trait('not_in', { value: ['a', null, 'b', [1]] }))).toEqual([
      'rule.value[1]: must be a string, a number or a boolean (got null)',
      'rule.value[3]: must be a string, a number or a boolean (got an array)',
    ]);
    expect(errorsOf(trait('contains', { value: '' }))).toEqual(['rule.value: must be 1-256 characters (got 0)']);
    expect(valid(trait('eq', { value: '' }))).toEqual(trait('eq', { value: '' }));
    expect(errorsOf(trait('before', { value: '2026-02-30' }))).toEqual(['rule.value: must be a date YYYY-MM-DD (got "2026-02-30")']);
    expect(errorsOf(trait('after', { value: '2026-1-5' }))).toEqual(['rule.value: must be a date YYYY-MM-DD (got "2026-1-5")']);
    expect(errorsOf(trait('after'))).toEqual(['rule.value: is required for op "after"']);
    expect(errorsOf(trait('birthday_in_days'))).toEqual(['rule.days: is required for op "birthday_in_days"']);
  });

  it('limits strings to 256 characters (code points), without NUL or unpaired surrogates', () => {
    expect(valid({ ...leaf, value: '😀'.repeat(256) })).toBeTruthy();
    expect(errorsOf({ ...leaf, value: '😀'.repeat(257) })).toEqual(['rule.value: must be 0-256 characters (got 257)']);
    expect(errorsOf({ ...leaf, key: 'k'.repeat(257) })).toEqual(['rule.key: must be 1-256 characters (got 257)']);
    expect(errorsOf({ ...leaf, value: 'a\u0000b' })).toEqual(['rule.value: must not contain NUL or unpaired surrogate characters']);
    expect(errorsOf({ ...leaf, value: 'a\ud83d' })).toEqual(['rule.value: must not contain NUL or unpaired surrogate characters']);
    expect(errorsOf({ ...leaf, key: '\ude00x' })).toEqual(['rule.key: must not contain NUL or unpaired surrogate characters']);
    // Hostile but legal: quotes, wildcards, SQL.
    expect(valid({ ...leaf, key: `'; drop table profiles; --`, value: '%_"\\' })).toBeTruthy();
  });

  it('checks profile fields and the ops each accepts', () => {
    expect(errorsOf({ type: 'profile', field: 'orders', op: 'eq', value: 1 })).toEqual([
      'rule.field: must be one of order_count, total_spent_fen, first_purchase_at, last_purchase_at, first_seen_at, last_seen_at (got "orders")',
    ]);
    expect(errorsOf({ type: 'profile', field: 'order_count', op: 'contains', value: 1 })).toEqual([
      'rule.op: must be one of eq, neq, lt, lte, gt, gte, in, not_in, exists, not_exists for field "order_count" (got "contains")',
    ]);
    expect(errorsOf({ type: 'profile', field: 'order_count', op: 'eq', value: '3' })).toEqual(['rule.value: must be a number (got "3")']);
    expect(errorsOf({ type: 'profile', field: 'total_spent_fen', op: 'in', value: [1, '2'] })).toEqual(['rule.value[1]: must be a number (got "2")']);
    expect(errorsOf({ type: 'profile', field: 'last_seen_at', op: 'gt', value: 1 })).toEqual([
      'rule.op: must be one of exists, not_exists, before, after, within_last_days, within_next_days, more_than_days_ago for field "last_seen_at" (got "gt")',
    ]);
    expect(errorsOf({ type: 'profile', field: 'first_purchase_at', op: 'birthday_in_days', days: 3 })[0]).toMatch(
      /^rule\.op: must be one of .* for field "first_purchase_at" \(got "birthday_in_days"\)$/,
    );
  });

  it('checks tags, events, windows, models, consent, segments and buckets', () => {
    expect(errorsOf({ type: 'tag', tags: [], match: 'any' })).toEqual(['rule.tags: must be an array of 1-100 tag references (got 0)']);
    expect(errorsOf({ type: 'tag', tags: Array(101).fill({ id: 'x' }), match: 'all' })).toEqual([
      'rule.tags: must be an array of 1-100 tag references (got 101)',
    ]);
    expect(errorsOf({ type: 'tag', tags: [{ id: 't', name: 'VIP' }], match: 'one' })).toEqual([
      'rule.match: must be one of all, any (got "one")',
      'rule.tags[0]: must be {"id"} or {"group"?, "name"}, not both',
    ]);
    expect(errorsOf({ type: 'tag', tags: [{ group: 'g' }], match: 'any' })).toEqual(['rule.tags[0].name: is required (or give the tag\'s "id")']);
    expect(errorsOf({ type: 'event' })).toEqual(['rule.event: is required']);
    expect(errorsOf({ type: 'event', event: 'x', where: Array(21).fill({ property: 'a', op: 'exists' }) })).toEqual([
      'rule.where: must be an array of 0-20 property filters (got 21)',
    ]);
    expect(errorsOf({ type: 'event', event: 'x', where: [{ property: 'a', op: 'before', value: '2026-01-01' }] })).toEqual([
      'rule.where[0].op: must be one of eq, neq, lt, lte, gt, gte, in, not_in, contains, exists, not_exists (got "before")',
    ]);
    expect(errorsOf({ type: 'event', event: 'x', window: { from: '2026-01-01', to: '2026-02-01T00:00:00' } })).toEqual([
      'rule.window.from: must be an ISO 8601 date-time with a time zone offset, e.g. 2026-01-01T00:00:00+08:00 (got "2026-01-01")',
      'rule.window.to: must be an ISO 8601 date-time with a time zone offset, e.g. 2026-01-01T00:00:00+08:00 (got "2026-02-01T00:00:00")',
    ]);
    expect(errorsOf({ type: 'event', event: 'x', window: { from: '2026-02-01T00:00:00+08:00', to: '2026-01-31T16:00:00Z' } })).toEqual([
      'rule.window.to: must be later than from (2026-02-01T00:00:00+08:00)',
    ]);
    expect(errorsOf({ type: 'event', event: 'x', window: {} })).toEqual(['rule.window: must be {"lastDays": n} or {"from": date-time, "to": date-time}']);
    expect(errorsOf({ type: 'last_performed', event: 'x' })).toEqual(['rule.moreThanDays: is required']);
    expect(errorsOf({ type: 'rfm', cells: ['vip'] })).toEqual([
      'rule.cells[0]: must be one of important_value, important_develop, important_retain, important_winback, general_value, general_develop, general_retain, general_winback (got "vip")',
    ]);
    expect(errorsOf({ type: 'lifecycle', stages: [] })[0]).toMatch(/^rule\.stages: must be an array of 1-6 of prospect, /);
    expect(errorsOf({ type: 'community_role', roles: 'koc' })[0]).toMatch(/^rule\.roles: must be an array of 1-3 of koc, active, lurker \(got "koc"\)$/);
    expect(errorsOf({ type: 'consent', key: 'sms', state: 'yes' })).toEqual(['rule.state: must be one of granted, denied, unknown (got "yes")']);
    expect(errorsOf({ type: 'segment', segmentId: 7 })).toEqual(['rule.segmentId: must be a string (got 7)']);
    expect(errorsOf({ type: 'bucket', from: -1, to: 101, salt: 3 })).toEqual([
      'rule.from: must be a whole number 0-99 (got -1)',
      'rule.to: must be a whole number 1-100 (got 101)',
      'rule.salt: must be a string (got 3)',
    ]);
    expect(valid({ type: 'bucket', from: 0, to: 100, salt: '' })).toEqual({ type: 'bucket', from: 0, to: 100, salt: '' });
  });

  it('checks structure: objects, empty lists, depth and size limits', () => {
    expect(errorsOf(null)).toEqual(['rule: must be an object (got null)']);
    expect(errorsOf([leaf])).toEqual(['rule: must be an object (got an array)']);
    expect(errorsOf({ type: 'and', rules: [] })).toEqual(['rule.rules: must be a non-empty array of rules (got an empty array)']);
    expect(errorsOf({ type: 'or' })).toEqual(['rule.rules: is required']);
    expect(errorsOf({ type: 'and', rules: [leaf, 'x'] })).toEqual(['rule.rules[1]: must be an object (got "x")']);

    const nest = (depth: number): unknown => (depth === 1 ? leaf : { type: 'not', rule: nest(depth - 1) });
    expect(valid(nest(RULE_LIMITS.maxDepth))).toBeTruthy();
    expect(errorsOf(nest(RULE_LIMITS.maxDepth + 1))).toEqual([`rule${'.rule'.repeat(10)}: is nested deeper than 10 levels`]);

    expect(valid({ type: 'or', rules: Array(199).fill(leaf) })).toBeTruthy();
    expect(errorsOf({ type: 'or', rules: Array(200).fill(leaf) })).toEqual(['rule: has more than 200 rule nodes']);

    // A cyclic object (only possible from code) stops at the depth limit instead of recursing forever.
    const cyclic: { type: string; rule?: unknown } = { type: 'not' };
    cyclic.rule = cyclic;
    expect(errorsOf(cyclic)).toHaveLength(1);

    // Errors are capped.
    const many = { type: 'or', rules: Array(150).fill({ type: 'trait' }) };
    expect(errorsOf(many)).toHaveLength(RULE_LIMITS.maxErrors);
  });

  it('limits the whole tree: list values and estimated SQL parameters (issue #14: 199 tag nodes × 100 tags)', () => {
    const tags = (n: number, from = 0) => ({ type: 'tag', match: 'any', tags: Array.from({ length: n }, (_, i) => ({ name: `t${from + i}` })) });
    const or = (...rules: unknown[]) => ({ type: 'or', rules });
    // Inside every per-node limit (200 nodes, 100 tags a node), far over the whole tree's.
    const issue = or(...Array.from({ length: 199 }, (_, i) => tags(100, i * 100)));
    expect(errorsOf(issue)).toEqual([
      'rule: has 19900 list values in all (tags, in/not_in values, cells, stages, roles); at most 5000 per rule',
      'rule: needs an estimated 99500 SQL parameters; at most 2500 per rule (each tag counts 5, each trait or property condition 8: see docs/segments-rules.md)',
    ]);
    // Parameters: 500 tags (5 each) is the most; one tag more is refused.
    expect(RULE_LIMITS.maxParameters).toBe(2_500);
    expect(valid(or(...Array.from({ length: 5 }, (_, i) => tags(100, i * 100))))).toBeTruthy();
    expect(errorsOf(or(...Array.from({ length: 5 }, (_, i) => tags(100, i * 100)), tags(1, 999)))).toEqual([
      'rule: needs an estimated 2505 SQL parameters; at most 2500 per rule (each tag counts 5, each trait or property condition 8: see docs/segments-rules.md)',
    ]);
    // List values: 10 lists of 500 is the most (cheap in parameters: a list is bound as one); one value more is refused.
    const lists = Array.from({ length: 10 }, (_, i) => trait('in', { key: `k${i}`, value: Array.from({ length: 500 }, (_, j) => `v${j}`) }));
    expect(valid(or(...lists))).toBeTruthy();
    expect(errorsOf(or(...lists, { type: 'profile', field: 'order_count', op: 'in', value: [1] }))).toEqual([
      'rule: has 5001 list values in all (tags, in/not_in values, cells, stages, roles); at most 5000 per rule',
    ]);
    // Property filters' values count too, and an event node's filters count for its parameters.
    const filters = Array.from({ length: 20 }, (_, i) => ({ property: `p${i}`, op: 'in', value: Array.from({ length: 250 }, (_, j) => j) }));
    const event = { type: 'event', event: 'x', where: filters };
    expect(valid(event)).toBeTruthy();
    expect(errorsOf(or(event, { type: 'event', event: 'y', where: [{ property: 'p', op: 'in', value: [1] }] }))[0]).toMatch(/^rule: has 5001 list values/);
    const narrow = { type: 'event', event: 'x', where: filters.map((f) => ({ ...f, value: [1] })) }; // 6 + 20 × 8 = 166 parameters
    expect(valid(or(...Array(15).fill(narrow)))).toBeTruthy();
    expect(errorsOf(or(...Array(16).fill(narrow)))).toEqual([
      'rule: needs an estimated 2656 SQL parameters; at most 2500 per rule (each tag counts 5, each trait or property condition 8: see docs/segments-rules.md)',
    ]);
  });
});

describe('RULE_JSON_SCHEMA', () => {
  const ajv = new Ajv({ strict: true, allErrors: true });
  const check = ajv.compile(RULE_JSON_SCHEMA);

  it('is a draft-07 schema that strict Ajv compiles', () => {
    expect(RULE_JSON_SCHEMA.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(JSON.parse(JSON.stringify(RULE_JSON_SCHEMA))).toEqual(RULE_JSON_SCHEMA);
  });

  it('accepts every valid example', () => {
    for (const rule of EVERY_NODE) expect(check(rule), `${JSON.stringify(rule)}: ${ajv.errorsText(check.errors)}`).toBe(true);
  });

  it('refuses what the validator refuses, where a schema can say so', () => {
    const invalid: unknown[] = [
      { ...leaf, op: 'equals' },
      { ...leaf, extra: 1 },
      { type: 'trait', key: 'x', op: 'exists', value: 1 },
      { type: 'trait', key: 'x', op: 'lt', value: true },
      { type: 'trait', key: 'x', op: 'in', value: [] },
      { type: 'trait', key: 'x', op: 'within_last_days', days: 4000 },
      { type: 'trait', key: 'x', op: 'before', value: '2026/01/01' },
      { type: 'trait', key: '', op: 'exists' },
      { type: 'profile', field: 'order_count', op: 'eq', value: '3' },
      { type: 'profile', field: 'last_seen_at', op: 'gt', value: 3 },
      { type: 'profile', field: 'last_seen_at', op: 'birthday_in_days', days: 3 },
      { type: 'tag', tags: [{ id: 'a', name: 'b' }], match: 'any' },
      { type: 'event', event: 'x', window: { lastDays: 3, from: '2026-01-01T00:00:00Z' } },
      { type: 'event', event: 'x', window: { from: '2026-01-01', to: '2026-01-02' } },
      { type: 'event', event: 'x', count: { op: 'at_least' } },
      { type: 'rfm', cells: ['vip'] },
      { type: 'bucket', from: 0, to: 101 },
      { type: 'and', rules: [] },
      { type: 'not', rule: { ...leaf, op: 'equals' } },
    ];
    for (const rule of invalid) {
      expect(validateRule(rule).ok, JSON.stringify(rule)).toBe(false);
      expect(check(rule), JSON.stringify(rule)).toBe(false);
    }
  });
});

describe('rule helpers', () => {
  it('isTimeDependent: relative dates and windows, last_performed and model outputs', () => {
    const dependent: Rule[] = [
      { type: 'trait', key: 'b', op: 'birthday_in_days', days: 3 },
      { type: 'trait', key: 'd', op: 'within_last_days', days: 3 },
      { type: 'trait', key: 'd', op: 'within_next_days', days: 3 },
      { type: 'profile', field: 'last_seen_at', op: 'more_than_days_ago', days: 30 },
      { type: 'event', event: 'x', window: { lastDays: 7 } },
      { type: 'last_performed', event: 'x', moreThanDays: 3 },
      { type: 'rfm', cells: ['general_value'] },
      { type: 'lifecycle', stages: ['new'] },
      { type: 'community_role', roles: ['koc'] },
    ];
    const fixed: Rule[] = [
      leaf,
      { type: 'trait', key: 'd', op: 'before', value: '2026-01-01' },
      { type: 'profile', field: 'last_seen_at', op: 'after', value: '2026-01-01' },
      { type: 'profile', field: 'order_count', op: 'gt', value: 3 },
      { type: 'event', event: 'x', count: { op: 'at_most', value: 2 } },
      { type: 'event', event: 'x', window: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' } },
      { type: 'never_performed', event: 'x' },
      { type: 'tag', tags: [{ name: 'x' }], match: 'any' },
      { type: 'consent', key: 'sms', state: 'granted' },
      { type: 'segment', segmentId: 's' },
      { type: 'bucket', from: 0, to: 5 },
    ];
    for (const r of dependent) expect(isTimeDependent(r), JSON.stringify(r)).toBe(true);
    for (const r of fixed) expect(isTimeDependent(r), JSON.stringify(r)).toBe(false);
    expect(isTimeDependent({ type: 'and', rules: [...fixed, { type: 'not', rule: { type: 'or', rules: [leaf, dependent[4]!] } }] })).toBe(true);
    expect(isTimeDependent({ type: 'and', rules: fixed })).toBe(false);
  });

  it('referencedSegments: each id once, in order', () => {
    const s = (id: string): Rule => ({ type: 'segment', segmentId: id });
    expect(referencedSegments({ type: 'or', rules: [s('b'), { type: 'not', rule: { type: 'and', rules: [s('a'), s('b'), leaf] } }, s('c')] })).toEqual([
      'b',
      'a',
      'c',
    ]);
    expect(referencedSegments(leaf as Rule)).toEqual([]);
  });

  it('describeRule: one line in English and Chinese', () => {
    const rule: Rule = {
      type: 'and',
      rules: [
        { type: 'trait', key: 'city', op: 'eq', value: '上海' },
        {
          type: 'or',
          rules: [
            { type: 'tag', tags: [{ name: 'VIP' }, { group: '会员', name: '金卡' }], match: 'any' },
            {
              type: 'event',
              event: 'Order Completed',
              count: { op: 'at_least', value: 3 },
              window: { lastDays: 30 },
              where: [{ property: 'amount', op: 'gt', value: 100 }],
            },
          ],
        },
        { type: 'not', rule: { type: 'consent', key: 'marketing_sms', state: 'denied' } },
      ],
    };
    expect(describeRule(rule, 'en')).toBe(
      'trait city = "上海" and (has any of the tags VIP, 会员/金卡 or performed "Order Completed" at least 3 times in the last 30 days where amount > 100) and not (consent marketing_sms is denied)',
    );
    expect(describeRule(rule, 'zh-CN')).toBe(
      '属性 city 等于 "上海" 且 (拥有任一标签 VIP、会员/金卡 或 最近 30 天内发生过事件 "Order Completed" 至少 3 次（amount 大于 100）) 且 非 (授权 marketing_sms 已拒绝)',
    );
    expect(describeRule({ type: 'rfm', cells: ['important_value', 'general_winback'] }, 'zh-CN')).toBe('RFM 分层为 重要价值客户 或 一般挽留客户');
    expect(describeRule({ type: 'profile', field: 'last_purchase_at', op: 'more_than_days_ago', days: 90 }, 'en')).toBe(
      'last purchase is more than 90 days ago',
    );
    expect(describeRule({ type: 'bucket', from: 0, to: 10, salt: 'h1' }, 'en')).toBe('random bucket 0-9 of 100 (salt "h1")');
    // Hostile names are quoted, newlines escaped: still one line, still unambiguous.
    const hostile = describeRule({ type: 'trait', key: 'a"b\nc', op: 'contains', value: "'; drop table profiles; --" }, 'en');
    expect(hostile).toBe(`trait "a\\"b\\nc" contains "'; drop table profiles; --"`);
    for (const r of EVERY_NODE) {
      for (const lang of ['en', 'zh-CN'] as const) {
        const line = describeRule(r, lang);
        expect(line.length).toBeGreaterThan(5);
        expect(line).not.toMatch(/\n|undefined|\[object/);
      }
    }
  });
});
