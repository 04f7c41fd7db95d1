import {
  COMMUNITY_ROLES,
  LIFECYCLE_STAGES,
  RFM_CELLS,
  type CompareOp,
  type DateOp,
  type EventWindow,
  type ProfileField,
  type PropertyFilter,
  type Rule,
  type Scalar,
  type TagRef,
} from './rule.types.js';

/**
 * The segment rule language's validation (one pass, every error with the JSON path of the bad
 * node and what would be accepted), its published JSON Schema, and the small questions other
 * code asks of a valid rule. Semantics: docs/segments-rules.md.
 */

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
  /** Validation stops collecting after this many errors. */
  maxErrors: 50,
} as const;

export const COMPARE_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'contains', 'exists', 'not_exists'] as const satisfies readonly CompareOp[];
export const DATE_OPS = [
  'before',
  'after',
  'within_last_days',
  'within_next_days',
  'more_than_days_ago',
  'birthday_in_days',
] as const satisfies readonly DateOp[];
export const PROFILE_FIELDS = [
  'order_count',
  'total_spent_fen',
  'first_purchase_at',
  'last_purchase_at',
  'first_seen_at',
  'last_seen_at',
] as const satisfies readonly ProfileField[];
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

const NUMERIC_FIELD_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'exists', 'not_exists'] as const;
// birthday_in_days is refused on time fields: it needs the local month-day of an epoch in an IANA
// zone inside SQL, which SQLite cannot compute; the other date ops compile to epoch bounds.
const TIME_FIELD_OPS = ['exists', 'not_exists', 'before', 'after', 'within_last_days', 'within_next_days', 'more_than_days_ago'] as const;
const NUMERIC_FIELDS: readonly ProfileField[] = ['order_count', 'total_spent_fen'];

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An ISO 8601 date-time with seconds optional, fraction optional, and a required offset. */
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
// NUL cannot be stored or bound on PostgreSQL; an unpaired surrogate is not valid UTF-8.
const BAD_CHARS_RE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** One validation error: a JSON path (`rule.rules[2].op`) and what was wrong there. */
export interface RuleError {
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;

class Checker {
  readonly errors: RuleError[] = [];
  nodes = 0;
  tooMany = false;
  fail(path: string, message: string): undefined {
    if (this.errors.length < RULE_LIMITS.maxErrors) this.errors.push({ path, message });
    return undefined;
  }
  get full(): boolean {
    return this.errors.length >= RULE_LIMITS.maxErrors || this.tooMany;
  }
}

/** A short rendering of a bad value for messages. */
function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify([...v].length > 40 ? [...v].slice(0, 40).join('') + '…' : v);
  return String(v);
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
const codePoints = (s: string) => [...s].length;

function object(c: Checker, v: unknown, path: string): Obj | undefined {
  if (!isObj(v)) return c.fail(path, `must be an object (got ${got(v)})`);
  return v;
}

function onlyKeys(c: Checker, o: Obj, path: string, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) c.fail(`${path}.${k}`, `is not a field of ${what} (allowed: ${allowed.join(', ')})`);
  }
}

function str(c: Checker, v: unknown, path: string, min = 1): string | undefined {
  if (typeof v !== 'string') return c.fail(path, `must be a string (got ${got(v)})`);
  const n = codePoints(v);
  if (n < min || n > RULE_LIMITS.maxString) return c.fail(path, `must be ${min}-${RULE_LIMITS.maxString} characters (got ${n})`);
  if (BAD_CHARS_RE.test(v)) return c.fail(path, 'must not contain NUL or unpaired surrogate characters');
  return v;
}

function whole(c: Checker, v: unknown, path: string, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return c.fail(path, `must be a whole number ${min}-${max} (got ${got(v)})`);
  return v;
}

function oneOf<T extends string>(c: Checker, v: unknown, path: string, values: readonly T[], suffix = ''): T | undefined {
  if (typeof v !== 'string' || !values.includes(v as T)) return c.fail(path, `must be one of ${values.join(', ')}${suffix} (got ${got(v)})`);
  return v as T;
}

function required(c: Checker, o: Obj, key: string, path: string, why: string): boolean {
  if (has(o, key)) return true;
  c.fail(`${path}.${key}`, `is required${why}`);
  return false;
}

function notUsed(c: Checker, o: Obj, key: string, path: string, op: string): void {
  if (has(o, key)) c.fail(`${path}.${key}`, `is not used by op "${op}"`);
}

function scalar(c: Checker, v: unknown, path: string, minString = 0): Scalar | undefined {
  if (typeof v === 'string') return str(c, v, path, minString);
  if (typeof v === 'number') return Number.isFinite(v) ? v : c.fail(path, `must be a finite number (got ${got(v)})`);
  if (typeof v === 'boolean') return v;
  return c.fail(path, `must be a string, a number or a boolean (got ${got(v)})`);
}

function isoDate(c: Checker, v: unknown, path: string): string | undefined {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  const bad = () => c.fail(path, `must be a date YYYY-MM-DD (got ${got(v)})`);
  if (!m) return bad();
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  if (y < 1 || dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return bad();
  return v as string;
}

function dateTime(c: Checker, v: unknown, path: string): string | undefined {
  if (typeof v !== 'string' || !DATE_TIME_RE.test(v) || Number.isNaN(Date.parse(v))) {
    return c.fail(path, `must be an ISO 8601 date-time with a time zone offset, e.g. 2026-01-01T00:00:00+08:00 (got ${got(v)})`);
  }
  return v;
}

/** Checks `value` for a comparison op; `numbersOnly` for numeric profile fields. */
function compareValue(c: Checker, o: Obj, path: string, op: CompareOp, numbersOnly = false): Scalar | Scalar[] | undefined {
  const vp = `${path}.value`;
  if (op === 'exists' || op === 'not_exists') {
    notUsed(c, o, 'value', path, op);
    return undefined;
  }
  if (!required(c, o, 'value', path, ` for op "${op}"`)) return undefined;
  const v = o.value;
  const one = (x: unknown, p: string): Scalar | undefined => {
    if (numbersOnly) return typeof x === 'number' && Number.isFinite(x) ? x : c.fail(p, `must be a number (got ${got(x)})`);
    if ((op === 'lt' || op === 'lte' || op === 'gt' || op === 'gte') && typeof x === 'boolean')
      return c.fail(p, `must be a number or a string for op "${op}" (got ${got(x)})`);
    return scalar(c, x, p, op === 'contains' ? 1 : 0);
  };
  if (op === 'in' || op === 'not_in') {
    if (!Array.isArray(v) || v.length < 1 || v.length > RULE_LIMITS.maxInValues) {
      return c.fail(vp, `must be an array of 1-${RULE_LIMITS.maxInValues} values for op "${op}" (got ${Array.isArray(v) ? `${v.length} values` : got(v)})`);
    }
    const out: Scalar[] = [];
    v.forEach((x, i) => {
      const s = one(x, `${vp}[${i}]`);
      if (s !== undefined) out.push(s);
    });
    return out.length === v.length ? out : undefined;
  }
  if (Array.isArray(v)) return c.fail(vp, `must be a single value for op "${op}" (got an array; use "in" for a list)`);
  return one(v, vp);
}

/** Checks `value`/`days` for a date op. */
function dateArgs(c: Checker, o: Obj, path: string, op: DateOp): { value?: string; days?: number } | undefined {
  if (op === 'before' || op === 'after') {
    notUsed(c, o, 'days', path, op);
    if (!required(c, o, 'value', path, ` for op "${op}"`)) return undefined;
    const value = isoDate(c, o.value, `${path}.value`);
    return value === undefined ? undefined : { value };
  }
  notUsed(c, o, 'value', path, op);
  if (!required(c, o, 'days', path, ` for op "${op}"`)) return undefined;
  const days = whole(c, o.days, `${path}.days`, 0, op === 'birthday_in_days' ? RULE_LIMITS.maxBirthdayDays : RULE_LIMITS.maxDays);
  return days === undefined ? undefined : { days };
}

const isDateOp = (op: string): op is DateOp => (DATE_OPS as readonly string[]).includes(op);

function checkFilters(c: Checker, v: unknown, path: string): PropertyFilter[] | undefined {
  if (!Array.isArray(v) || v.length > RULE_LIMITS.maxWhere)
    return c.fail(path, `must be an array of 0-${RULE_LIMITS.maxWhere} property filters (got ${Array.isArray(v) ? `${v.length}` : got(v)})`);
  const out: PropertyFilter[] = [];
  v.forEach((f, i) => {
    const fp = `${path}[${i}]`;
    const o = object(c, f, fp);
    if (!o) return;
    onlyKeys(c, o, fp, ['property', 'op', 'value'], 'a property filter');
    const property = required(c, o, 'property', fp, '') ? str(c, o.property, `${fp}.property`) : undefined;
    const op = required(c, o, 'op', fp, '') ? oneOf(c, o.op, `${fp}.op`, COMPARE_OPS) : undefined;
    if (op === undefined) return;
    const value = compareValue(c, o, fp, op);
    if (property === undefined) return;
    out.push(value === undefined ? { property, op } : { property, op, value });
  });
  return out.length === v.length ? out : undefined;
}

function checkEventName(c: Checker, o: Obj, path: string): string | undefined {
  return required(c, o, 'event', path, '') ? str(c, o.event, `${path}.event`) : undefined;
}

function checkWindow(c: Checker, v: unknown, path: string): EventWindow | undefined {
  const o = object(c, v, path);
  if (!o) return undefined;
  if (has(o, 'lastDays')) {
    onlyKeys(c, o, path, ['lastDays'], 'a relative window');
    const lastDays = whole(c, o.lastDays, `${path}.lastDays`, 1, RULE_LIMITS.maxDays);
    return lastDays === undefined ? undefined : { lastDays };
  }
  if (!has(o, 'from') && !has(o, 'to')) return c.fail(path, 'must be {"lastDays": n} or {"from": date-time, "to": date-time}');
  onlyKeys(c, o, path, ['from', 'to'], 'an absolute window');
  const from = required(c, o, 'from', path, ' for an absolute window') ? dateTime(c, o.from, `${path}.from`) : undefined;
  const to = required(c, o, 'to', path, ' for an absolute window') ? dateTime(c, o.to, `${path}.to`) : undefined;
  if (from === undefined || to === undefined) return undefined;
  if (Date.parse(to) <= Date.parse(from)) return c.fail(`${path}.to`, `must be later than from (${from})`);
  return { from, to };
}

function checkList<T extends string>(c: Checker, o: Obj, key: string, path: string, values: readonly T[]): T[] | undefined {
  if (!required(c, o, key, path, '')) return undefined;
  const v = o[key];
  const lp = `${path}.${key}`;
  if (!Array.isArray(v) || v.length < 1 || v.length > values.length)
    return c.fail(lp, `must be an array of 1-${values.length} of ${values.join(', ')} (got ${got(v)})`);
  const out = v.map((x, i) => oneOf(c, x, `${lp}[${i}]`, values));
  return out.every((x) => x !== undefined) ? (out as T[]) : undefined;
}

function checkTagRef(c: Checker, v: unknown, path: string): TagRef | undefined {
  const o = object(c, v, path);
  if (!o) return undefined;
  if (has(o, 'id')) {
    if (has(o, 'name') || has(o, 'group')) return c.fail(path, 'must be {"id"} or {"group"?, "name"}, not both');
    onlyKeys(c, o, path, ['id'], 'a tag reference by id');
    const id = str(c, o.id, `${path}.id`);
    return id === undefined ? undefined : { id };
  }
  onlyKeys(c, o, path, ['group', 'name'], 'a tag reference by name');
  if (!has(o, 'name')) return c.fail(`${path}.name`, 'is required (or give the tag\'s "id")');
  const name = str(c, o.name, `${path}.name`);
  const group = has(o, 'group') ? str(c, o.group, `${path}.group`) : undefined;
  if (name === undefined || (has(o, 'group') && group === undefined)) return undefined;
  return group === undefined ? { name } : { group, name };
}

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

  switch (type) {
    case 'and':
    case 'or': {
      if (!required(c, o, 'rules', path, '')) return undefined;
      if (!Array.isArray(o.rules) || o.rules.length < 1)
        return c.fail(`${path}.rules`, `must be a non-empty array of rules (got ${Array.isArray(o.rules) ? 'an empty array' : got(o.rules)})`);
      const rules = o.rules.map((r, i) => checkRule(c, r, `${path}.rules[${i}]`, depth + 1));
      return rules.every((r) => r !== undefined) ? { type, rules: rules as Rule[] } : undefined;
    }
    case 'not': {
      if (!required(c, o, 'rule', path, '')) return undefined;
      const rule = checkRule(c, o.rule, `${path}.rule`, depth + 1);
      return rule && { type, rule };
    }
    case 'trait': {
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
    }
    case 'profile': {
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
    }
    case 'tag': {
      const match = required(c, o, 'match', path, '') ? oneOf(c, o.match, `${path}.match`, ['all', 'any'] as const) : undefined;
      if (!required(c, o, 'tags', path, '')) return undefined;
      const t = o.tags;
      if (!Array.isArray(t) || t.length < 1 || t.length > RULE_LIMITS.maxTags)
        return c.fail(`${path}.tags`, `must be an array of 1-${RULE_LIMITS.maxTags} tag references (got ${Array.isArray(t) ? `${t.length}` : got(t)})`);
      const tags = t.map((x, i) => checkTagRef(c, x, `${path}.tags[${i}]`));
      return match && tags.every((x) => x !== undefined) ? { type, tags: tags as TagRef[], match } : undefined;
    }
    case 'event': {
      const event = checkEventName(c, o, path);
      let count: { op: 'at_least' | 'at_most' | 'exactly'; value: number } | undefined;
      let bad = false;
      if (has(o, 'count')) {
        const co = object(c, o.count, `${path}.count`);
        if (co) {
          onlyKeys(c, co, `${path}.count`, ['op', 'value'], 'a count');
          const op = required(c, co, 'op', `${path}.count`, '') ? oneOf(c, co.op, `${path}.count.op`, ['at_least', 'at_most', 'exactly'] as const) : undefined;
          const value = required(c, co, 'value', `${path}.count`, '') ? whole(c, co.value, `${path}.count.value`, 0, RULE_LIMITS.maxCount) : undefined;
          if (op && value !== undefined) count = { op, value };
        }
        bad ||= count === undefined;
      }
      const window = has(o, 'window') ? checkWindow(c, o.window, `${path}.window`) : undefined;
      bad ||= has(o, 'window') && window === undefined;
      const where = has(o, 'where') ? checkFilters(c, o.where, `${path}.where`) : undefined;
      bad ||= has(o, 'where') && where === undefined;
      if (event === undefined || bad) return undefined;
      return { type, event, ...(count && { count }), ...(window && { window }), ...(where && { where }) };
    }
    case 'last_performed': {
      const event = checkEventName(c, o, path);
      const moreThanDays = required(c, o, 'moreThanDays', path, '') ? whole(c, o.moreThanDays, `${path}.moreThanDays`, 0, RULE_LIMITS.maxDays) : undefined;
      const where = has(o, 'where') ? checkFilters(c, o.where, `${path}.where`) : undefined;
      if (event === undefined || moreThanDays === undefined || (has(o, 'where') && !where)) return undefined;
      return { type, event, moreThanDays, ...(where && { where }) };
    }
    case 'never_performed': {
      const event = checkEventName(c, o, path);
      const where = has(o, 'where') ? checkFilters(c, o.where, `${path}.where`) : undefined;
      if (event === undefined || (has(o, 'where') && !where)) return undefined;
      return { type, event, ...(where && { where }) };
    }
    case 'rfm': {
      const cells = checkList(c, o, 'cells', path, RFM_CELLS);
      return cells && { type, cells };
    }
    case 'lifecycle': {
      const stages = checkList(c, o, 'stages', path, LIFECYCLE_STAGES);
      return stages && { type, stages };
    }
    case 'community_role': {
      const roles = checkList(c, o, 'roles', path, COMMUNITY_ROLES);
      return roles && { type, roles };
    }
    case 'consent': {
      const key = required(c, o, 'key', path, '') ? str(c, o.key, `${path}.key`) : undefined;
      const state = required(c, o, 'state', path, '') ? oneOf(c, o.state, `${path}.state`, ['granted', 'denied', 'unknown'] as const) : undefined;
      return key !== undefined && state ? { type, key, state } : undefined;
    }
    case 'segment': {
      const segmentId = required(c, o, 'segmentId', path, '') ? str(c, o.segmentId, `${path}.segmentId`) : undefined;
      return segmentId === undefined ? undefined : { type, segmentId };
    }
    case 'bucket': {
      const from = required(c, o, 'from', path, '') ? whole(c, o.from, `${path}.from`, 0, 99) : undefined;
      const to = required(c, o, 'to', path, '') ? whole(c, o.to, `${path}.to`, 1, 100) : undefined;
      const salt = has(o, 'salt') ? str(c, o.salt, `${path}.salt`, 0) : undefined;
      if (from === undefined || to === undefined || (has(o, 'salt') && salt === undefined)) return undefined;
      if (to <= from) return c.fail(`${path}.to`, `must be greater than from (${from}) (got ${to})`);
      return { type, from, to, ...(salt !== undefined && { salt }) };
    }
  }
}

/**
 * Validates an untrusted rule. On success returns a fresh copy holding only the known fields;
 * on failure every error found (up to 50), each with the JSON path of the bad node.
 */
export function validateRule(input: unknown): { ok: true; rule: Rule } | { ok: false; errors: RuleError[] } {
  const c = new Checker();
  const rule = checkRule(c, input, 'rule', 1);
  if (c.errors.length > 0 || !rule) return { ok: false, errors: c.errors.length ? c.errors : [{ path: 'rule', message: 'is invalid' }] };
  return { ok: true, rule };
}

/** Calls `fn` on every rule node, parents before children. */
export function walkRule(rule: Rule, fn: (r: Rule) => void): void {
  fn(rule);
  if (rule.type === 'and' || rule.type === 'or') for (const r of rule.rules) walkRule(r, fn);
  else if (rule.type === 'not') walkRule(rule.rule, fn);
}

const RELATIVE_DATE_OPS: readonly string[] = ['within_last_days', 'within_next_days', 'more_than_days_ago', 'birthday_in_days'];

/**
 * True when the rule's result can change with time passing alone: relative event windows,
 * relative date ops, last_performed, and the model outputs (rfm, lifecycle, community_role),
 * which are recomputed on a schedule. A `segment` node is not counted here: the caller combines
 * this with the referenced segments' own flags (see `referencedSegments`).
 */
export function isTimeDependent(rule: Rule): boolean {
  let dependent = false;
  walkRule(rule, (r) => {
    switch (r.type) {
      case 'trait':
      case 'profile':
        dependent ||= RELATIVE_DATE_OPS.includes(r.op);
        break;
      case 'event':
        dependent ||= r.window !== undefined && 'lastDays' in r.window;
        break;
      case 'last_performed':
      case 'rfm':
      case 'lifecycle':
      case 'community_role':
        dependent = true;
        break;
      default:
        break;
    }
  });
  return dependent;
}

/** Ids of the segments a rule refers to, each once, in order of first appearance. */
export function referencedSegments(rule: Rule): string[] {
  const ids = new Set<string>();
  walkRule(rule, (r) => {
    if (r.type === 'segment') ids.add(r.segmentId);
  });
  return [...ids];
}

// ---------------------------------------------------------------------------------------------
// JSON Schema (draft-07), served at GET /v1/segments/schema. It states the shapes, enums and
// numeric ranges; what it cannot state (depth, node count, calendar validity of dates, from <
// to) the validator above enforces.

const S_STRING = { type: 'string', minLength: 1, maxLength: RULE_LIMITS.maxString } as const;
const S_SCALAR = { anyOf: [{ type: 'string', maxLength: RULE_LIMITS.maxString }, { type: 'number' }, { type: 'boolean' }] } as const;
const S_DATE = { type: 'string', pattern: DATE_RE.source, description: 'A calendar date, YYYY-MM-DD' } as const;
const S_DATE_TIME = {
  type: 'string',
  pattern: DATE_TIME_RE.source,
  description: 'An ISO 8601 date-time with an offset, e.g. 2026-01-01T00:00:00+08:00',
} as const;
const S_DAYS = { type: 'integer', minimum: 0, maximum: RULE_LIMITS.maxDays } as const;

type Props = Record<string, unknown>;
function variant(base: Props, baseRequired: string[], ops: readonly string[], extra: Props, description?: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [...baseRequired, 'op', ...Object.keys(extra)],
    properties: { ...base, op: { enum: [...ops] }, ...extra },
    ...(description ? { description } : {}),
  };
}
function compareVariants(base: Props, req: string[], numbersOnly = false) {
  const number = { type: 'number' };
  return [
    variant(
      base,
      req,
      ['eq', 'neq'],
      { value: numbersOnly ? number : S_SCALAR },
      'Equal / not equal; a value of another JSON type never equals; neq is true when absent',
    ),
    variant(
      base,
      req,
      ['lt', 'lte', 'gt', 'gte'],
      { value: numbersOnly ? number : { anyOf: [number, { type: 'string', maxLength: RULE_LIMITS.maxString }] } },
      'Numbers numerically, strings by code point',
    ),
    variant(
      base,
      req,
      ['in', 'not_in'],
      { value: { type: 'array', minItems: 1, maxItems: RULE_LIMITS.maxInValues, items: numbersOnly ? number : S_SCALAR } },
      'Equal to any element; not_in is true when absent',
    ),
    ...(numbersOnly
      ? []
      : [
          variant(
            base,
            req,
            ['contains'],
            { value: { anyOf: [S_STRING, number, { type: 'boolean' }] } },
            'A string containing the text (case-sensitive), or an array holding the value',
          ),
        ]),
    variant(base, req, ['exists', 'not_exists'], {}, 'Present and not null / absent or null'),
  ];
}
function dateVariants(base: Props, req: string[], birthday: boolean) {
  return [
    variant(base, req, ['before', 'after'], { value: S_DATE }, 'Local date strictly before / after the given date'),
    variant(base, req, ['within_last_days', 'within_next_days', 'more_than_days_ago'], { days: S_DAYS }, 'Relative to today in the workspace time zone'),
    ...(birthday
      ? [
          variant(
            base,
            req,
            ['birthday_in_days'],
            { days: { type: 'integer', minimum: 0, maximum: RULE_LIMITS.maxBirthdayDays } },
            'Month-day within [today, today + days], year ignored',
          ),
        ]
      : []),
  ];
}
const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const list = (values: readonly string[]) => ({ type: 'array', minItems: 1, maxItems: values.length, items: { enum: [...values] } });
function node(type: string, description: string, properties: Props, req: string[]) {
  return { type: 'object', description, additionalProperties: false, required: ['type', ...req], properties: { type: { const: type }, ...properties } };
}
const whereSchema = {
  type: 'array',
  maxItems: RULE_LIMITS.maxWhere,
  items: ref('propertyFilter'),
  description: "Filters on the event's properties, all of which must hold",
};

/** The rule language as a JSON Schema (draft-07); `validateRule` is the authority and also enforces depth and size limits. */
export const RULE_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Siyu segment rule',
  description: `A segment rule: a tree of at most ${RULE_LIMITS.maxNodes} nodes and ${RULE_LIMITS.maxDepth} levels. See docs/segments-rules.md.`,
  oneOf: RULE_TYPES.map((t) => ref(t)),
  definitions: {
    rule: { oneOf: RULE_TYPES.map((t) => ref(t)) },
    and: node('and', 'All of the rules hold', { rules: { type: 'array', minItems: 1, items: ref('rule') } }, ['rules']),
    or: node('or', 'Any of the rules holds', { rules: { type: 'array', minItems: 1, items: ref('rule') } }, ['rules']),
    not: node('not', 'The rule does not hold', { rule: ref('rule') }, ['rule']),
    trait: {
      description: 'A top-level trait of the profile',
      oneOf: [
        ...compareVariants({ type: { const: 'trait' }, key: S_STRING }, ['type', 'key']),
        ...dateVariants({ type: { const: 'trait' }, key: S_STRING }, ['type', 'key'], true),
      ],
    },
    profile: {
      description: 'A built-in profile field: purchase aggregates (numbers) and activity times (dates)',
      oneOf: [
        ...compareVariants({ type: { const: 'profile' }, field: { enum: [...NUMERIC_FIELDS] } }, ['type', 'field'], true),
        ...[
          ...dateVariants({ type: { const: 'profile' }, field: { enum: PROFILE_FIELDS.filter((f) => !NUMERIC_FIELDS.includes(f)) } }, ['type', 'field'], false),
        ],
        variant(
          { type: { const: 'profile' }, field: { enum: PROFILE_FIELDS.filter((f) => !NUMERIC_FIELDS.includes(f)) } },
          ['type', 'field'],
          ['exists', 'not_exists'],
          {},
        ),
      ],
    },
    tagRef: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['id'], properties: { id: S_STRING } },
        { type: 'object', additionalProperties: false, required: ['name'], properties: { group: { ...S_STRING, default: 'default' }, name: S_STRING } },
      ],
    },
    tag: node(
      'tag',
      'Holds all / any of the tags',
      { tags: { type: 'array', minItems: 1, maxItems: RULE_LIMITS.maxTags, items: ref('tagRef') }, match: { enum: ['all', 'any'] } },
      ['tags', 'match'],
    ),
    propertyFilter: { oneOf: compareVariants({ property: S_STRING }, ['property']) },
    event: node(
      'event',
      'Performed a track event a number of times (default at least once) within a window (default all time)',
      {
        event: S_STRING,
        count: {
          type: 'object',
          additionalProperties: false,
          required: ['op', 'value'],
          properties: { op: { enum: ['at_least', 'at_most', 'exactly'] }, value: { type: 'integer', minimum: 0, maximum: RULE_LIMITS.maxCount } },
        },
        window: {
          oneOf: [
            {
              type: 'object',
              additionalProperties: false,
              required: ['lastDays'],
              properties: { lastDays: { type: 'integer', minimum: 1, maximum: RULE_LIMITS.maxDays } },
            },
            {
              type: 'object',
              additionalProperties: false,
              required: ['from', 'to'],
              properties: { from: S_DATE_TIME, to: S_DATE_TIME },
              description: 'from inclusive, to exclusive',
            },
          ],
        },
        where: whereSchema,
      },
      ['event'],
    ),
    last_performed: node(
      'last_performed',
      'Performed the event at least once, and the latest time is more than moreThanDays days ago',
      { event: S_STRING, moreThanDays: S_DAYS, where: whereSchema },
      ['event', 'moreThanDays'],
    ),
    never_performed: node('never_performed', 'Never performed the event (matching the filters)', { event: S_STRING, where: whereSchema }, ['event']),
    rfm: node('rfm', 'RFM cell is one of', { cells: list(RFM_CELLS) }, ['cells']),
    lifecycle: node('lifecycle', 'Lifecycle stage is one of', { stages: list(LIFECYCLE_STAGES) }, ['stages']),
    community_role: node('community_role', 'Community role is one of', { roles: list(COMMUNITY_ROLES) }, ['roles']),
    consent: node('consent', 'Consent state for a category', { key: S_STRING, state: { enum: ['granted', 'denied', 'unknown'] } }, ['key', 'state']),
    segment: node('segment', 'Member of another segment', { segmentId: S_STRING }, ['segmentId']),
    bucket: node(
      'bucket',
      'Stable random bucket 0-99 from md5(salt + ":" + profile id); matches from <= bucket < to',
      {
        from: { type: 'integer', minimum: 0, maximum: 99 },
        to: { type: 'integer', minimum: 1, maximum: 100 },
        salt: { type: 'string', maxLength: RULE_LIMITS.maxString, default: '' },
      },
      ['from', 'to'],
    ),
  },
} as const;

// ---------------------------------------------------------------------------------------------
// One-line summaries for the console and CLI.

/** Languages `describeRule` writes. */
export type RuleLanguage = 'en' | 'zh-CN';

const WORDS = {
  en: {
    and: ' and ',
    or: ' or ',
    not: 'not ',
    trait: 'trait',
    listSep: ', ',
    ops: {
      eq: '=',
      neq: '!=',
      lt: '<',
      lte: '<=',
      gt: '>',
      gte: '>=',
      in: 'in',
      not_in: 'not in',
      contains: 'contains',
      exists: 'exists',
      not_exists: 'does not exist',
    } as Record<CompareOp, string>,
    date: (op: DateOp, v?: string, d?: number) =>
      ({
        before: `is before ${v}`,
        after: `is after ${v}`,
        within_last_days: `is within the last ${d} days`,
        within_next_days: `is within the next ${d} days`,
        more_than_days_ago: `is more than ${d} days ago`,
        birthday_in_days: `has its anniversary within the next ${d} days`,
      })[op],
    fields: {
      order_count: 'order count',
      total_spent_fen: 'total spent (fen)',
      first_purchase_at: 'first purchase',
      last_purchase_at: 'last purchase',
      first_seen_at: 'first seen',
      last_seen_at: 'last seen',
    } as Record<ProfileField, string>,
    tags: (all: boolean, t: string) => `has ${all ? 'all' : 'any'} of the tags ${t}`,
    event: (e: string, count: string, window: string, where: string) => `performed ${e}${count}${window}${where}`,
    count: {
      at_least: (n: number) => (n === 1 ? '' : ` at least ${n} times`),
      at_most: (n: number) => ` at most ${n} times`,
      exactly: (n: number) => ` exactly ${n} times`,
    },
    lastDays: (n: number) => ` in the last ${n} days`,
    between: (a: string, b: string) => ` from ${a} to ${b}`,
    where: (w: string) => ` where ${w}`,
    last: (e: string, d: number, w: string) => `last performed ${e}${w} more than ${d} days ago`,
    never: (e: string, w: string) => `never performed ${e}${w}`,
    rfm: 'RFM cell is ',
    lifecycle: 'lifecycle stage is ',
    community: 'community role is ',
    consent: (k: string, s: string) => `consent ${k} is ${s}`,
    consentStates: { granted: 'granted', denied: 'denied', unknown: 'unknown' },
    segment: (id: string) => `member of segment ${id}`,
    bucket: (f: number, t: number, salt: string) => `random bucket ${f}-${t - 1} of 100${salt ? ` (salt ${salt})` : ''}`,
    names: {} as Record<string, string>,
  },
  'zh-CN': {
    and: ' 且 ',
    or: ' 或 ',
    not: '非 ',
    trait: '属性',
    listSep: '、',
    ops: {
      eq: '等于',
      neq: '不等于',
      lt: '小于',
      lte: '小于等于',
      gt: '大于',
      gte: '大于等于',
      in: '属于',
      not_in: '不属于',
      contains: '包含',
      exists: '存在',
      not_exists: '不存在',
    } as Record<CompareOp, string>,
    date: (op: DateOp, v?: string, d?: number) =>
      ({
        before: `早于 ${v}`,
        after: `晚于 ${v}`,
        within_last_days: `在最近 ${d} 天内`,
        within_next_days: `在未来 ${d} 天内`,
        more_than_days_ago: `在 ${d} 天以前`,
        birthday_in_days: `的周年日在未来 ${d} 天内`,
      })[op],
    fields: {
      order_count: '订单数',
      total_spent_fen: '累计消费(分)',
      first_purchase_at: '首次购买时间',
      last_purchase_at: '最近购买时间',
      first_seen_at: '首次访问时间',
      last_seen_at: '最近访问时间',
    } as Record<ProfileField, string>,
    tags: (all: boolean, t: string) => `拥有${all ? '全部' : '任一'}标签 ${t}`,
    event: (e: string, count: string, window: string, where: string) => `${window}发生过事件 ${e}${count}${where}`,
    count: { at_least: (n: number) => (n === 1 ? '' : ` 至少 ${n} 次`), at_most: (n: number) => ` 至多 ${n} 次`, exactly: (n: number) => ` 恰好 ${n} 次` },
    lastDays: (n: number) => `最近 ${n} 天内`,
    between: (a: string, b: string) => `${a} 至 ${b} 期间`,
    where: (w: string) => `（${w}）`,
    last: (e: string, d: number, w: string) => `最近一次发生事件 ${e}${w}在 ${d} 天以前`,
    never: (e: string, w: string) => `从未发生事件 ${e}${w}`,
    rfm: 'RFM 分层为 ',
    lifecycle: '生命周期阶段为 ',
    community: '社群角色为 ',
    consent: (k: string, s: string) => `授权 ${k} ${s}`,
    consentStates: { granted: '已同意', denied: '已拒绝', unknown: '未知' },
    segment: (id: string) => `属于分群 ${id}`,
    bucket: (f: number, t: number, salt: string) => `随机分桶 ${f}-${t - 1}（共 100）${salt ? `，盐 ${salt}` : ''}`,
    names: {
      important_value: '重要价值客户',
      important_develop: '重要发展客户',
      important_retain: '重要保持客户',
      important_winback: '重要挽留客户',
      general_value: '一般价值客户',
      general_develop: '一般发展客户',
      general_retain: '一般保持客户',
      general_winback: '一般挽留客户',
      prospect: '潜在客户',
      new: '新客',
      active: '活跃',
      loyal: '忠诚',
      silent: '沉默',
      churned: '流失',
      koc: 'KOC',
      lurker: '潜水',
    } as Record<string, string>,
  },
};

const quote = (s: string) => JSON.stringify(s);
/** Names shown bare when they are plain words, quoted otherwise (so the line stays unambiguous). */
const name = (s: string) => (/^[\p{L}\p{N}_]+$/u.test(s) ? s : quote(s));
const show = (v: Scalar | Scalar[] | undefined): string =>
  v === undefined ? '' : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v === 'string' ? quote(v) : String(v);

/** A one-line, human-readable summary of a valid rule, in English or Simplified Chinese. */
export function describeRule(rule: Rule, lang: RuleLanguage): string {
  const w = WORDS[lang];
  const compare = (subject: string, op: CompareOp, value: Scalar | Scalar[] | undefined) =>
    `${subject} ${w.ops[op]}${value === undefined ? '' : ` ${show(value)}`}`;
  const filters = (where: PropertyFilter[] | undefined) =>
    where?.length ? w.where(where.map((f) => compare(name(f.property), f.op, f.value)).join(w.and)) : '';
  const oneOfNames = (xs: readonly string[]) => xs.map((x) => w.names[x] ?? x).join(w.or);
  const go = (r: Rule, nested: boolean): string => {
    switch (r.type) {
      case 'and':
      case 'or': {
        if (r.rules.length === 1) return go(r.rules[0]!, nested);
        const s = r.rules.map((x) => go(x, true)).join(r.type === 'and' ? w.and : w.or);
        return nested ? `(${s})` : s;
      }
      case 'not':
        return `${w.not}(${go(r.rule, false)})`;
      case 'trait': {
        const subject = `${w.trait} ${name(r.key)}`;
        return (DATE_OPS as readonly string[]).includes(r.op)
          ? `${subject} ${w.date(r.op as DateOp, r.value as string, r.days)}`
          : compare(subject, r.op as CompareOp, r.value);
      }
      case 'profile': {
        const subject = w.fields[r.field];
        return (DATE_OPS as readonly string[]).includes(r.op)
          ? `${subject} ${w.date(r.op as DateOp, r.value as string, r.days)}`
          : compare(subject, r.op as CompareOp, r.value);
      }
      case 'tag':
        return w.tags(
          r.match === 'all',
          r.tags.map((t) => ('id' in t ? name(t.id) : t.group === undefined ? name(t.name) : `${name(t.group)}/${name(t.name)}`)).join(w.listSep),
        );
      case 'event': {
        const count = r.count ? w.count[r.count.op](r.count.value) : '';
        const window = !r.window ? '' : 'lastDays' in r.window ? w.lastDays(r.window.lastDays) : w.between(r.window.from, r.window.to);
        return w.event(quote(r.event), count, window, filters(r.where));
      }
      case 'last_performed':
        return w.last(quote(r.event), r.moreThanDays, filters(r.where));
      case 'never_performed':
        return w.never(quote(r.event), filters(r.where));
      case 'rfm':
        return w.rfm + oneOfNames(r.cells);
      case 'lifecycle':
        return w.lifecycle + oneOfNames(r.stages);
      case 'community_role':
        return w.community + oneOfNames(r.roles);
      case 'consent':
        return w.consent(name(r.key), w.consentStates[r.state]);
      case 'segment':
        return w.segment(name(r.segmentId));
      case 'bucket':
        return w.bucket(r.from, r.to, r.salt ? quote(r.salt) : '');
    }
  };
  return go(rule, false);
}
