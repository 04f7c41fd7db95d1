/**
 * The building blocks of the rule validator (rule-validation.ts): a checker collecting errors with
 * their JSON paths, and a check per kind of value (strings, numbers, dates, windows, filters, tag
 * references), each answering the checked value or undefined after recording what was wrong.
 */
import type { CompareOp, DateOp, EventWindow, PropertyFilter, Scalar, TagRef } from './rule.types.js';
import { BAD_CHARS_RE, COMPARE_OPS, DATE_OPS, DATE_RE, DATE_TIME_RE, RULE_LIMITS } from './rule-limits.js';

/** One validation error: a JSON path (`rule.rules[2].op`) and what was wrong there. */
export interface RuleError {
  path: string;
  message: string;
}

/** A JSON object being checked. */
export type Obj = Record<string, unknown>;

/** Collects the errors of one validation (at most RULE_LIMITS.maxErrors) and counts the nodes. */
export class Checker {
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
export function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify([...v].length > 40 ? [...v].slice(0, 40).join('') + '…' : v);
  return String(v);
}

/** A JSON object (not null, not an array). */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The object has the key, with a value other than undefined. */
export const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
const codePoints = (s: string) => [...s].length;

/** The value as an object, or an error at `path`. */
export function object(c: Checker, v: unknown, path: string): Obj | undefined {
  if (!isObj(v)) return c.fail(path, `must be an object (got ${got(v)})`);
  return v;
}

/** An error for each key of `o` that `what` does not have. */
export function onlyKeys(c: Checker, o: Obj, path: string, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) c.fail(`${path}.${k}`, `is not a field of ${what} (allowed: ${allowed.join(', ')})`);
  }
}

/** A string of `min` to maxString code points without NUL or unpaired surrogates, or an error. */
export function str(c: Checker, v: unknown, path: string, min = 1): string | undefined {
  if (typeof v !== 'string') return c.fail(path, `must be a string (got ${got(v)})`);
  const n = codePoints(v);
  if (n < min || n > RULE_LIMITS.maxString) return c.fail(path, `must be ${min}-${RULE_LIMITS.maxString} characters (got ${n})`);
  if (BAD_CHARS_RE.test(v)) return c.fail(path, 'must not contain NUL or unpaired surrogate characters');
  return v;
}

/** A whole number within [min, max], or an error. */
export function whole(c: Checker, v: unknown, path: string, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return c.fail(path, `must be a whole number ${min}-${max} (got ${got(v)})`);
  return v;
}

/** One of `values`, or an error listing them. */
export function oneOf<T extends string>(c: Checker, v: unknown, path: string, values: readonly T[], suffix = ''): T | undefined {
  if (typeof v !== 'string' || !values.includes(v as T)) return c.fail(path, `must be one of ${values.join(', ')}${suffix} (got ${got(v)})`);
  return v as T;
}

/** True when `o` has `key`; otherwise an error saying it is required (and `why`). */
export function required(c: Checker, o: Obj, key: string, path: string, why: string): boolean {
  if (has(o, key)) return true;
  c.fail(`${path}.${key}`, `is required${why}`);
  return false;
}

/** An error if `o` has `key`, which op `op` does not use. */
export function notUsed(c: Checker, o: Obj, key: string, path: string, op: string): void {
  if (has(o, key)) c.fail(`${path}.${key}`, `is not used by op "${op}"`);
}

/** A string, finite number or boolean, or an error. */
export function scalar(c: Checker, v: unknown, path: string, minString = 0): Scalar | undefined {
  if (typeof v === 'string') return str(c, v, path, minString);
  if (typeof v === 'number') return Number.isFinite(v) ? v : c.fail(path, `must be a finite number (got ${got(v)})`);
  if (typeof v === 'boolean') return v;
  return c.fail(path, `must be a string, a number or a boolean (got ${got(v)})`);
}

/** A calendar date YYYY-MM-DD that exists, or an error. */
export function isoDate(c: Checker, v: unknown, path: string): string | undefined {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  const bad = () => c.fail(path, `must be a date YYYY-MM-DD (got ${got(v)})`);
  if (!m) return bad();
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  if (y < 1 || dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return bad();
  return v as string;
}

/** An ISO 8601 date-time with an offset, or an error. */
export function dateTime(c: Checker, v: unknown, path: string): string | undefined {
  if (typeof v !== 'string' || !DATE_TIME_RE.test(v) || Number.isNaN(Date.parse(v))) {
    return c.fail(path, `must be an ISO 8601 date-time with a time zone offset, e.g. 2026-01-01T00:00:00+08:00 (got ${got(v)})`);
  }
  return v;
}

/** Checks `value` for a comparison op; `numbersOnly` for numeric profile fields. */
export function compareValue(c: Checker, o: Obj, path: string, op: CompareOp, numbersOnly = false): Scalar | Scalar[] | undefined {
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
export function dateArgs(c: Checker, o: Obj, path: string, op: DateOp): { value?: string; days?: number } | undefined {
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

/** Whether an op is a date op. */
export const isDateOp = (op: string): op is DateOp => (DATE_OPS as readonly string[]).includes(op);

/** Property filters (`where`) of an event condition, or errors. */
export function checkFilters(c: Checker, v: unknown, path: string): PropertyFilter[] | undefined {
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

/** The required event name of an event condition, or an error. */
export function checkEventName(c: Checker, o: Obj, path: string): string | undefined {
  return required(c, o, 'event', path, '') ? str(c, o.event, `${path}.event`) : undefined;
}

/** A relative (`lastDays`) or absolute (`from`, `to`) event window, or errors. */
export function checkWindow(c: Checker, v: unknown, path: string): EventWindow | undefined {
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

/** A non-empty list of values from `values` under `key`, or errors. */
export function checkList<T extends string>(c: Checker, o: Obj, key: string, path: string, values: readonly T[]): T[] | undefined {
  if (!required(c, o, key, path, '')) return undefined;
  const v = o[key];
  const lp = `${path}.${key}`;
  if (!Array.isArray(v) || v.length < 1 || v.length > values.length)
    return c.fail(lp, `must be an array of 1-${values.length} of ${values.join(', ')} (got ${got(v)})`);
  const out = v.map((x, i) => oneOf(c, x, `${lp}[${i}]`, values));
  return out.every((x) => x !== undefined) ? (out as T[]) : undefined;
}

/** A tag reference by id or by (group and) name, or errors. */
export function checkTagRef(c: Checker, v: unknown, path: string): TagRef | undefined {
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
