/**
 * Bounds on what a tracked message may hold, so that nothing accepted can fail later: JSON that
 * `JSON.stringify` cannot serialise (stack overflow) or SQLite's JSON functions cannot read
 * (nesting), text PostgreSQL refuses (U+0000, lone surrogates: SQLite stored them, PostgreSQL
 * answered 500), times JavaScript cannot render, money that overflows, and numeric ids that JSON
 * parsers round (issue #14). Every check answers a 400 naming the field; docs/tracking-api.md
 * ("Limits") states them.
 */
import { CdpError } from './errors.js';
import { unstorableText } from '../platform/text.js';

/** The limits on one message's content (besides the sizes in LIMITS). */
export const INPUT_LIMITS = Object.freeze({
  /** Objects and arrays nest at most this deep below the message (`properties` is level 1). */
  maxDepth: 32,
  /** Largest order total or revenue, in currency units (10^11 fen: a profile total stays exact for 90,000 such orders). */
  maxAmount: 1_000_000_000,
  /** Earliest event time: 0001-01-01T00:00:00.000Z. */
  minTime: -62_135_596_800_000,
  /** Latest event time: 9999-12-31T23:59:59.999Z. */
  maxTime: 253_402_300_799_999,
});

type Obj = Record<string, unknown>;

/** A VALIDATION_FAILED error naming where in the payload. */
export function fail(where: string, message: string): never {
  throw new CdpError('VALIDATION_FAILED', `${where}: ${message}`);
}

/** `properties.a[3].b`: a path for messages (keys that are not plain names are quoted). */
function pathOf(parts: (string | number)[]): string {
  let s = '';
  for (const p of parts) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) s += s === '' ? p : `.${p}`;
    else s += `[${JSON.stringify(p.slice(0, 40))}]`;
  }
  return s;
}

/** What the walk found wrong, and where. */
interface Finding {
  path: (string | number)[];
  why: string;
}

const TOO_DEEP = `nested deeper than ${INPUT_LIMITS.maxDepth} levels (the limit for traits, properties and context)`;
const NOT_FINITE = 'is a number beyond what a double holds (about ±1.8e308; JSON parsers make it Infinity, stored as null); send it as a string';

/** A child value: a container to walk into, a number that overflowed, or nothing to check. */
function child(c: unknown, left: number): Finding | undefined {
  if (typeof c === 'object' && c !== null) return walk(c as Obj | unknown[], left);
  if (typeof c === 'number' && !Number.isFinite(c)) return { path: [], why: NOT_FINITE };
  return undefined;
}

/**
 * The first container deeper than `left` levels or number that overflowed, or undefined. Stops
 * at the depth limit, so its own recursion is bounded whatever the input's depth (JSON.parse
 * accepts 100,000 levels; JSON.stringify overflows the stack near 5,000). Strings are not read.
 */
function walk(v: Obj | unknown[], left: number): Finding | undefined {
  if (left === 0) return { path: [], why: TOO_DEEP };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const f = child(v[i], left - 1);
      if (f) return (f.path.unshift(i), f);
    }
    return undefined;
  }
  for (const k in v) {
    const f = child(v[k], left - 1);
    if (f) return (f.path.unshift(k), f);
  }
  return undefined;
}

/**
 * Refuses a message whose objects and arrays nest deeper than INPUT_LIMITS.maxDepth, or that
 * holds a number JSON parsing turned into Infinity: one walk of its containers, before anything
 * serialises it.
 */
export function checkDepth(where: string, msg: Obj): void {
  const f = walk(msg, INPUT_LIMITS.maxDepth + 1);
  if (f) fail(`${where}: ${pathOf(f.path)}`, f.why);
}

/**
 * In a payload as JSON.stringify writes it, U+0000 and lone surrogates are the only characters
 * it escapes as `\u0000` and `\ud800`-`\udfff` (pairs are written as they are). A literal
 * backslash followed by "u0000" also matches; `findBadText` then finds nothing.
 */
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/;

const SUSPECT_CHAR = /[\u0000\ud800-\udfff]/;

/** The first key or string of `v` that cannot be stored, with its path (depth already bounded). */
function findBadText(v: unknown, path: (string | number)[]): { path: (string | number)[]; why: string; key: boolean } | undefined {
  if (typeof v === 'string') {
    const why = SUSPECT_CHAR.test(v) ? unstorableText(v) : undefined;
    return why ? { path, why, key: false } : undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const hit = findBadText(v[i], [...path, i]);
      if (hit) return hit;
    }
    return undefined;
  }
  for (const k in v as Obj) {
    const why = SUSPECT_CHAR.test(k) ? unstorableText(k) : undefined;
    if (why) return { path, why, key: true };
    const hit = findBadText((v as Obj)[k], [...path, k]);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * Refuses a message holding text PostgreSQL cannot store (and SQLite would store, so the engines
 * disagreed). Costs one regular-expression scan of the serialised payload; the walk that names
 * the field runs only when that scan finds a suspect escape.
 */
export function checkText(where: string, msg: Obj, payload: string): void {
  if (!SUSPECT_ESCAPE.test(payload)) return;
  const hit = findBadText(msg, []);
  if (!hit) return;
  const at = hit.path.length === 0 ? where : `${where}: ${pathOf(hit.path)}`;
  fail(at, hit.key ? `a key ${hit.why}` : hit.why);
}

/** Refuses an event time outside the years 0001-9999 (JavaScript dates end in 275760; profiles, lists and previews render times). */
export function checkTime(where: string, field: string, t: number, raw: unknown): number {
  if (t < INPUT_LIMITS.minTime || t > INPUT_LIMITS.maxTime) {
    fail(where, `${field} ${JSON.stringify(raw)} is outside the years 0001-9999`);
  }
  return t;
}

/**
 * An id given as a JSON number must be exact: beyond 2^53 - 1 the parser has already rounded it
 * (9007199254740993 arrives as ...992), so two people would share one profile.
 */
export function checkNumericId(where: string, field: string, v: number): void {
  if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) {
    fail(
      where,
      `${field}: ${String(v)} is a JSON number beyond ${Number.MAX_SAFE_INTEGER}, which JSON parsers round (two ids could become one); send ids as strings`,
    );
  }
}

/** An id field (userId, order_id, ...): a string up to 512 characters or a safe integer (as text); null when absent. */
export function idString(where: string, field: string, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') {
    checkNumericId(where, field, v);
    return String(v);
  }
  if (typeof v !== 'string') fail(where, `${field} must be a string`);
  if (v.length > 512) fail(where, `${field} is longer than 512 characters`);
  return v;
}
