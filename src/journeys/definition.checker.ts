/** The validators' shared checks: each records an error with its JSON path and returns undefined on failure. */
import { validateRule } from '../segments/index.js';
import type { PropertyFilter, Rule } from '../segments/index.js';
import { type DefinitionError, DEFINITION_LIMITS, type Duration, durationMs } from './definition.types.js';

/** A step id or variant key: 1-64 letters, digits, _ or -. */
export const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** An untrusted JSON object. */
export type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** True when `o` has `k` set (undefined counts as absent). */
export const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;

/** How a bad value is named in an error message. */
export function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return String(v);
}

/** Collects errors (up to DEFINITION_LIMITS.maxErrors) while checking values. */
export class Checker {
  readonly errors: DefinitionError[] = [];
  fail(path: string, message: string): undefined {
    if (this.errors.length < DEFINITION_LIMITS.maxErrors) this.errors.push({ path, message });
    return undefined;
  }
  obj(v: unknown, path: string): Obj | undefined {
    return isObj(v) ? v : this.fail(path, `must be an object (got ${got(v)})`);
  }
  only(o: Obj, path: string, allowed: readonly string[], what: string): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${path}.${k}`, `is not a field of ${what} (allowed: ${allowed.join(', ')})`);
  }
  str(v: unknown, path: string, max = 256): string | undefined {
    if (typeof v !== 'string' || v.length < 1 || v.length > max) return this.fail(path, `must be a string of 1-${max} characters (got ${got(v)})`);
    return v;
  }
  int(v: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.fail(path, `must be a whole number ${min}-${max} (got ${got(v)})`);
    return v;
  }
  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !values.includes(v as T)) return this.fail(path, `must be one of ${values.join(', ')} (got ${got(v)})`);
    return v as T;
  }
  need(o: Obj, key: string, path: string, why = ''): boolean {
    if (has(o, key)) return true;
    this.fail(`${path}.${key}`, `is required${why}`);
    return false;
  }
  time(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string' || !TIME_RE.test(v)) return this.fail(path, `must be a local time "HH:MM", 00:00-23:59 (got ${got(v)})`);
    return v;
  }
  duration(v: unknown, path: string): Duration | undefined {
    const o = this.obj(v, path);
    if (!o) return undefined;
    this.only(o, path, ['days', 'hours', 'minutes', 'seconds'], 'a duration');
    const out: Duration = {};
    for (const k of ['days', 'hours', 'minutes', 'seconds'] as const) {
      if (!has(o, k)) continue;
      const n = this.int(o[k], `${path}.${k}`, 0, k === 'days' ? DEFINITION_LIMITS.maxDurationDays : 1_000_000);
      if (n !== undefined) out[k] = n;
    }
    if (Object.keys(out).length === 0 && Object.keys(o).length === 0) this.fail(path, 'needs at least one of days, hours, minutes, seconds');
    else if (durationMs(out) > DEFINITION_LIMITS.maxDurationDays * 86_400_000) this.fail(path, `must be at most ${DEFINITION_LIMITS.maxDurationDays} days`);
    return out;
  }
  /** Property filters, checked by the segment rule language's validator (same semantics). */
  filters(v: unknown, path: string): PropertyFilter[] | undefined {
    const res = validateRule({ type: 'event', event: 'x', where: v });
    if (res.ok) return res.rule.type === 'event' ? res.rule.where : undefined;
    for (const e of res.errors) this.fail(e.path.replace(/^rule\.where/, path), e.message);
    return undefined;
  }
  rule(v: unknown, path: string): Rule | undefined {
    const res = validateRule(v);
    if (res.ok) return res.rule;
    for (const e of res.errors) this.fail(e.path.replace(/^rule/, path), e.message);
    return undefined;
  }
}
