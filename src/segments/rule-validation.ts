/**
 * The segment rule language's validation: one pass, every error with the JSON path of the bad
 * node and what would be accepted, one small check per node type. Semantics: docs/segments-rules.md.
 */
import { COMMUNITY_ROLES, LIFECYCLE_STAGES, RFM_CELLS, type CompareOp, type DateOp, type EventRule, type Rule, type TagRef } from './rule.types.js';
import {
  Checker,
  checkEventName,
  checkFilters,
  checkList,
  checkTagRef,
  checkWindow,
  compareValue,
  dateArgs,
  got,
  has,
  isDateOp,
  notUsed,
  object,
  type Obj,
  oneOf,
  onlyKeys,
  required,
  type RuleError,
  str,
  whole,
} from './rule-checks.js';
import { ruleCost } from './rule-cost.js';
import { COMPARE_OPS, DATE_OPS, NUMERIC_FIELD_OPS, NUMERIC_FIELDS, PROFILE_FIELDS, RULE_LIMITS, RULE_TYPES, TIME_FIELD_OPS } from './rule-limits.js';

const FIELDS: Record<Rule['type'], readonly string[]> = {
  and: ['type', 'rules'],
  or: ['type', 'rules'],
  not: ['type', 'rule'],
  trait: ['type', 'key', 'op', 'value', 'days'],
  profile: ['type', 'field', 'op', 'value', 'days'],
  tag: ['type', 'tags', 'match'],
  event: ['type', 'event', 'count', 'window', 'where'],
  last_performed: ['type', 'event', 'moreThanDays', 'where'],
  never_performed: ['type', 'event', 'where'],
  rfm: ['type', 'cells'],
  lifecycle: ['type', 'stages'],
  community_role: ['type', 'roles'],
  consent: ['type', 'key', 'state'],
  segment: ['type', 'segmentId'],
  bucket: ['type', 'from', 'to', 'salt'],
};

/** Checks the fields of one node of type `K` (its type and its keys are already checked). */
type NodeCheck<K extends Rule['type']> = (c: Checker, o: Obj, path: string, depth: number) => Extract<Rule, { type: K }> | undefined;

function checkGroup<K extends 'and' | 'or'>(type: K): NodeCheck<K> {
  return (c, o, path, depth) => {
    if (!required(c, o, 'rules', path, '')) return undefined;
    if (!Array.isArray(o.rules) || o.rules.length < 1)
      return c.fail(`${path}.rules`, `must be a non-empty array of rules (got ${Array.isArray(o.rules) ? 'an empty array' : got(o.rules)})`);
    const rules = o.rules.map((r, i) => checkRule(c, r, `${path}.rules[${i}]`, depth + 1));
    return rules.every((r) => r !== undefined) ? ({ type, rules: rules as Rule[] } as Extract<Rule, { type: K }>) : undefined;
  };
}

const checkTrait: NodeCheck<'trait'> = (c, o, path) => {
  const type = 'trait';
  const key = required(c, o, 'key', path, '') ? str(c, o.key, `${path}.key`) : undefined;
  if (!required(c, o, 'op', path, '')) return undefined;
  const op = oneOf(c, o.op, `${path}.op`, [...COMPARE_OPS, ...DATE_OPS]);
  if (!op) return undefined;
  if (isDateOp(op)) {
    const args = dateArgs(c, o, path, op);
    return key !== undefined && args ? { type, key, op, ...args } : undefined;
  }
  notUsed(c, o, 'days', path, op);
  const value = compareValue(c, o, path, op);
  if (key === undefined || (value === undefined && op !== 'exists' && op !== 'not_exists')) return undefined;
  return value === undefined ? { type, key, op } : { type, key, op, value };
};

const checkProfileField: NodeCheck<'profile'> = (c, o, path) => {
  const type = 'profile';
  if (!required(c, o, 'field', path, '')) return undefined;
  const field = oneOf(c, o.field, `${path}.field`, PROFILE_FIELDS);
  if (!field || !required(c, o, 'op', path, '')) return undefined;
  const numeric = NUMERIC_FIELDS.includes(field);
  const op = oneOf<CompareOp | DateOp>(c, o.op, `${path}.op`, numeric ? NUMERIC_FIELD_OPS : TIME_FIELD_OPS, ` for field "${field}"`);
  if (!op) return undefined;
  if (isDateOp(op)) {
    const args = dateArgs(c, o, path, op);
    return args && { type, field, op, ...args };
  }
  notUsed(c, o, 'days', path, op);
  const value = compareValue(c, o, path, op, true);
  if (value === undefined) return op === 'exists' || op === 'not_exists' ? { type, field, op } : undefined;
  return { type, field, op, value };
};

const checkTags: NodeCheck<'tag'> = (c, o, path) => {
  const match = required(c, o, 'match', path, '') ? oneOf(c, o.match, `${path}.match`, ['all', 'any'] as const) : undefined;
  if (!required(c, o, 'tags', path, '')) return undefined;
  const t = o.tags;
  if (!Array.isArray(t) || t.length < 1 || t.length > RULE_LIMITS.maxTags)
    return c.fail(`${path}.tags`, `must be an array of 1-${RULE_LIMITS.maxTags} tag references (got ${Array.isArray(t) ? `${t.length}` : got(t)})`);
  const tags = t.map((x, i) => checkTagRef(c, x, `${path}.tags[${i}]`));
  return match && tags.every((x) => x !== undefined) ? { type: 'tag', tags: tags as TagRef[], match } : undefined;
};

function checkCount(c: Checker, o: Obj, path: string): EventRule['count'] | undefined {
  const co = object(c, o.count, `${path}.count`);
  if (!co) return undefined;
  onlyKeys(c, co, `${path}.count`, ['op', 'value'], 'a count');
  const op = required(c, co, 'op', `${path}.count`, '') ? oneOf(c, co.op, `${path}.count.op`, ['at_least', 'at_most', 'exactly'] as const) : undefined;
  const value = required(c, co, 'value', `${path}.count`, '') ? whole(c, co.value, `${path}.count.value`, 0, RULE_LIMITS.maxCount) : undefined;
  return op && value !== undefined ? { op, value } : undefined;
}

const checkEvent: NodeCheck<'event'> = (c, o, path) => {
  const event = checkEventName(c, o, path);
  let bad = false;
  const count = has(o, 'count') ? checkCount(c, o, path) : undefined;
  bad ||= has(o, 'count') && count === undefined;
  const window = has(o, 'window') ? checkWindow(c, o.window, `${path}.window`) : undefined;
  bad ||= has(o, 'window') && window === undefined;
  const where = has(o, 'where') ? checkFilters(c, o.where, `${path}.where`) : undefined;
  bad ||= has(o, 'where') && where === undefined;
  if (event === undefined || bad) return undefined;
  return { type: 'event', event, ...(count && { count }), ...(window && { window }), ...(where && { where }) };
};

const checkLastPerformed: NodeCheck<'last_performed'> = (c, o, path) => {
  const event = checkEventName(c, o, path);
  const moreThanDays = required(c, o, 'moreThanDays', path, '') ? whole(c, o.moreThanDays, `${path}.moreThanDays`, 0, RULE_LIMITS.maxDays) : undefined;
  const where = has(o, 'where') ? checkFilters(c, o.where, `${path}.where`) : undefined;
  if (event === undefined || moreThanDays === undefined || (has(o, 'where') && !where)) return undefined;
  return { type: 'last_performed', event, moreThanDays, ...(where && { where }) };
};

const checkNeverPerformed: NodeCheck<'never_performed'> = (c, o, path) => {
  const event = checkEventName(c, o, path);
  const where = has(o, 'where') ? checkFilters(c, o.where, `${path}.where`) : undefined;
  if (event === undefined || (has(o, 'where') && !where)) return undefined;
  return { type: 'never_performed', event, ...(where && { where }) };
};

const checkBucket: NodeCheck<'bucket'> = (c, o, path) => {
  const from = required(c, o, 'from', path, '') ? whole(c, o.from, `${path}.from`, 0, 99) : undefined;
  const to = required(c, o, 'to', path, '') ? whole(c, o.to, `${path}.to`, 1, 100) : undefined;
  const salt = has(o, 'salt') ? str(c, o.salt, `${path}.salt`, 0) : undefined;
  if (from === undefined || to === undefined || (has(o, 'salt') && salt === undefined)) return undefined;
  if (to <= from) return c.fail(`${path}.to`, `must be greater than from (${from}) (got ${to})`);
  return { type: 'bucket', from, to, ...(salt !== undefined && { salt }) };
};

/** One check per node type. */
const NODES: { [K in Rule['type']]: NodeCheck<K> } = {
  and: checkGroup('and'),
  or: checkGroup('or'),
  not: (c, o, path, depth) => {
    if (!required(c, o, 'rule', path, '')) return undefined;
    const rule = checkRule(c, o.rule, `${path}.rule`, depth + 1);
    return rule && { type: 'not', rule };
  },
  trait: checkTrait,
  profile: checkProfileField,
  tag: checkTags,
  event: checkEvent,
  last_performed: checkLastPerformed,
  never_performed: checkNeverPerformed,
  rfm: (c, o, path) => {
    const cells = checkList(c, o, 'cells', path, RFM_CELLS);
    return cells && { type: 'rfm', cells };
  },
  lifecycle: (c, o, path) => {
    const stages = checkList(c, o, 'stages', path, LIFECYCLE_STAGES);
    return stages && { type: 'lifecycle', stages };
  },
  community_role: (c, o, path) => {
    const roles = checkList(c, o, 'roles', path, COMMUNITY_ROLES);
    return roles && { type: 'community_role', roles };
  },
  consent: (c, o, path) => {
    const key = required(c, o, 'key', path, '') ? str(c, o.key, `${path}.key`) : undefined;
    const state = required(c, o, 'state', path, '') ? oneOf(c, o.state, `${path}.state`, ['granted', 'denied', 'unknown'] as const) : undefined;
    return key !== undefined && state ? { type: 'consent', key, state } : undefined;
  },
  segment: (c, o, path) => {
    const segmentId = required(c, o, 'segmentId', path, '') ? str(c, o.segmentId, `${path}.segmentId`) : undefined;
    return segmentId === undefined ? undefined : { type: 'segment', segmentId };
  },
  bucket: checkBucket,
};

function checkRule(c: Checker, v: unknown, path: string, depth: number): Rule | undefined {
  if (c.full) return undefined;
  if (++c.nodes > RULE_LIMITS.maxNodes) {
    c.tooMany = true;
    c.errors.push({ path: 'rule', message: `has more than ${RULE_LIMITS.maxNodes} rule nodes` });
    return undefined;
  }
  if (depth > RULE_LIMITS.maxDepth) return c.fail(path, `is nested deeper than ${RULE_LIMITS.maxDepth} levels`);
  const o = object(c, v, path);
  if (!o) return undefined;
  const type = oneOf(c, o.type, `${path}.type`, RULE_TYPES);
  if (!type) return undefined;
  onlyKeys(c, o, path, FIELDS[type], `a "${type}" rule`);
  return (NODES[type] as NodeCheck<Rule['type']>)(c, o, path, depth);
}

/** The whole tree's complexity limits (a well-formed rule can still be too big to run). */
function costErrors(rule: Rule): RuleError[] {
  const { listValues, parameters } = ruleCost(rule);
  const errors: RuleError[] = [];
  if (listValues > RULE_LIMITS.maxListValues)
    errors.push({
      path: 'rule',
      message: `has ${listValues} list values in all (tags, in/not_in values, cells, stages, roles); at most ${RULE_LIMITS.maxListValues} per rule`,
    });
  if (parameters > RULE_LIMITS.maxParameters)
    errors.push({
      path: 'rule',
      message: `needs an estimated ${parameters} SQL parameters; at most ${RULE_LIMITS.maxParameters} per rule (each tag counts 5, each trait or property condition 8: see docs/segments-rules.md)`,
    });
  return errors;
}

/**
 * Validates an untrusted rule. On success returns a fresh copy holding only the known fields;
 * on failure every error found (up to 50), each with the JSON path of the bad node. A rule over
 * the whole tree's complexity limits (list values, estimated SQL parameters) is refused too.
 */
export function validateRule(input: unknown): { ok: true; rule: Rule } | { ok: false; errors: RuleError[] } {
  const c = new Checker();
  const rule = checkRule(c, input, 'rule', 1);
  if (c.errors.length > 0 || !rule) return { ok: false, errors: c.errors.length ? c.errors : [{ path: 'rule', message: 'is invalid' }] };
  const errors = costErrors(rule);
  return errors.length ? { ok: false, errors } : { ok: true, rule };
}
