import { createHash } from 'node:crypto';
import type { CompareOp, DateOp, EventWindow, PropertyFilter, Rule, RuleContext, Scalar } from './rule.types.js';

/**
 * The rule language evaluated in memory over plain arrays, written from the semantics in
 * docs/segments-rules.md and deliberately naive (no indexes, no cleverness). It is the oracle
 * the property test holds the SQL compiler to on both engines; it is not used in production.
 */

/** A profile as the reference sees it: parsed JSON and the aggregate columns (epoch ms times). */
export interface ReferenceProfile {
  id: string;
  mergedInto?: string | null;
  traits: Record<string, unknown>;
  consent: Record<string, unknown>;
  orderCount: number;
  totalSpentFen: number;
  firstPurchaseAt: number | null;
  lastPurchaseAt: number | null;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
}

/** A stored event: its type, name, time and `payload.properties` (whatever JSON is there, or undefined). */
export interface ReferenceEvent {
  profileId: string;
  type: string;
  event: string | null;
  timestamp: number;
  properties: unknown;
}

/** Everything a rule can look at, for one workspace. */
export interface ReferenceData {
  profiles: ReferenceProfile[];
  events: ReferenceEvent[];
  /** Tags with their group's name. */
  tags: { id: string; group: string; name: string }[];
  profileTags: { profileId: string; tagId: string }[];
  segmentMembers: { segmentId: string; profileId: string }[];
  scores: { profileId: string; rfmCell: string | null; lifecycleStage: string | null; communityRole: string | null }[];
}

const DAY = 24 * 60 * 60 * 1000;

/** An object member, only if the object really has it (JSON.parse makes "__proto__" an own key). */
function member(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Compares two strings by Unicode code point (not UTF-16 unit, which orders astral characters differently). */
function codePointCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function sameValue(stored: unknown, value: Scalar): boolean {
  return typeof stored === typeof value && stored === value;
}

function ordered(stored: unknown, value: Scalar, test: (c: number) => boolean): boolean {
  if (typeof value === 'string') return typeof stored === 'string' && test(codePointCompare(stored, value));
  if (typeof value === 'number') return typeof stored === 'number' && test(stored - value);
  return false;
}

/** True when an event's `properties` satisfy every filter (none: always), with the rule language's semantics; journeys match arriving events with it. */
export function matchesPropertyFilters(properties: unknown, where: PropertyFilter[] | undefined): boolean {
  if (!where) return true;
  return where.every((f) => compare(member(properties, f.property), f.op, f.value));
}

function compare(stored: unknown, op: CompareOp, value: Scalar | Scalar[] | undefined): boolean {
  const present = stored !== undefined && stored !== null;
  switch (op) {
    case 'eq':
      return sameValue(stored, value as Scalar);
    case 'neq':
      return !sameValue(stored, value as Scalar);
    case 'lt':
      return ordered(stored, value as Scalar, (c) => c < 0);
    case 'lte':
      return ordered(stored, value as Scalar, (c) => c <= 0);
    case 'gt':
      return ordered(stored, value as Scalar, (c) => c > 0);
    case 'gte':
      return ordered(stored, value as Scalar, (c) => c >= 0);
    case 'in':
      return (value as Scalar[]).some((v) => sameValue(stored, v));
    case 'not_in':
      return !(value as Scalar[]).some((v) => sameValue(stored, v));
    case 'contains':
      if (typeof stored === 'string' && typeof value === 'string' && stored.includes(value)) return true;
      return Array.isArray(stored) && stored.some((e) => sameValue(e, value as Scalar));
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of an instant in a time zone. */
function dateIn(ms: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) formats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  const parts = format.formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year').padStart(4, '0')}-${get('month')}-${get('day')}`;
}

/** The calendar date `n` days after `date`. */
function shift(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function isLeap(year: number): boolean {
  return new Date(Date.UTC(year, 1, 29)).getUTCMonth() === 1;
}

/** A date op on a calendar date (YYYY-MM-DD), against today. */
function dateMatches(date: string, op: DateOp, value: string | undefined, days: number, today: string): boolean {
  switch (op) {
    case 'before':
      return date < value!;
    case 'after':
      return date > value!;
    case 'within_last_days':
      return shift(today, -days) <= date && date <= today;
    case 'within_next_days':
      return today <= date && date <= shift(today, days);
    case 'more_than_days_ago':
      return date < shift(today, -days);
    case 'birthday_in_days': {
      const monthDay = date.slice(5, 10);
      for (let i = 0; i <= days; i++) {
        const d = shift(today, i);
        if (d.slice(5) === monthDay) return true;
        // 29 February birthdays fall on 28 February in other years.
        if (monthDay === '02-29' && d.slice(5) === '02-28' && !isLeap(Number(d.slice(0, 4)))) return true;
      }
      return false;
    }
  }
}

const DATE_OPS: readonly string[] = ['before', 'after', 'within_last_days', 'within_next_days', 'more_than_days_ago', 'birthday_in_days'];

function bucket(salt: string, id: string): number {
  const hex = createHash('md5')
    .update(salt + ':' + id, 'utf8')
    .digest('hex');
  return Number(BigInt('0x' + hex.slice(0, 8)) % 100n);
}

/** What a node's test sees besides the node and the profile. */
interface Env {
  data: ReferenceData;
  ctx: RuleContext;
  /** The local date of `ctx.now` in `ctx.timeZone`. */
  today: string;
  /** Tests any node (for and / or / not). */
  test(r: Rule, p: ReferenceProfile): boolean;
}

type NodeTest<K extends Rule['type']> = (r: Extract<Rule, { type: K }>, p: ReferenceProfile, env: Env) => boolean;

function inWindow(ts: number, w: EventWindow | undefined, now: number): boolean {
  if (!w) return true;
  if ('lastDays' in w) return ts >= now - w.lastDays * DAY && ts <= now;
  return ts >= Date.parse(w.from) && ts < Date.parse(w.to);
}

/** The profile's track events named `name`, in the window, matching the filters. */
function eventsOf(env: Env, p: ReferenceProfile, name: string, where: PropertyFilter[] | undefined, w?: EventWindow): ReferenceEvent[] {
  return env.data.events.filter(
    (e) =>
      e.profileId === p.id && e.type === 'track' && e.event === name && inWindow(e.timestamp, w, env.ctx.now) && matchesPropertyFilters(e.properties, where),
  );
}

const testTrait: NodeTest<'trait'> = (r, p, { today }) => {
  const v = member(p.traits, r.key);
  if (!DATE_OPS.includes(r.op)) return compare(v, r.op as CompareOp, r.value);
  // A date is a string starting with YYYY-MM-DD; anything after it is ignored.
  if (typeof v !== 'string' || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(v)) return false;
  return dateMatches(v.slice(0, 10), r.op as DateOp, r.value as string | undefined, r.days ?? 0, today);
};

const testProfileField: NodeTest<'profile'> = (r, p, { ctx, today }) => {
  const v = {
    order_count: p.orderCount,
    total_spent_fen: p.totalSpentFen,
    first_purchase_at: p.firstPurchaseAt,
    last_purchase_at: p.lastPurchaseAt,
    first_seen_at: p.firstSeenAt,
    last_seen_at: p.lastSeenAt,
  }[r.field];
  if (r.op === 'exists') return v !== null;
  if (r.op === 'not_exists') return v === null;
  if (DATE_OPS.includes(r.op)) return v !== null && dateMatches(dateIn(v, ctx.timeZone), r.op as DateOp, r.value as string | undefined, r.days ?? 0, today);
  return compare(v, r.op as CompareOp, r.value);
};

const testTags: NodeTest<'tag'> = (r, p, { data }) => {
  const held = new Set(data.profileTags.filter((t) => t.profileId === p.id).map((t) => t.tagId));
  const has = (ref: (typeof r.tags)[number]) =>
    'id' in ref ? held.has(ref.id) : data.tags.some((t) => held.has(t.id) && t.name === ref.name && t.group === (ref.group ?? 'default'));
  return r.match === 'all' ? r.tags.every(has) : r.tags.some(has);
};

const testEvent: NodeTest<'event'> = (r, p, env) => {
  const n = eventsOf(env, p, r.event, r.where, r.window).length;
  const count = r.count ?? { op: 'at_least', value: 1 };
  return count.op === 'at_least' ? n >= count.value : count.op === 'at_most' ? n <= count.value : n === count.value;
};

/** A model output of the profile is one of `values`. */
function scoreIn(data: ReferenceData, p: ReferenceProfile, of: (s: ReferenceData['scores'][number]) => string | null, values: readonly string[]): boolean {
  return data.scores.some((s) => s.profileId === p.id && of(s) !== null && values.includes(of(s)!));
}

/** One test per node type. */
const TESTS: { [K in Rule['type']]: NodeTest<K> } = {
  and: (r, p, env) => r.rules.every((x) => env.test(x, p)),
  or: (r, p, env) => r.rules.some((x) => env.test(x, p)),
  not: (r, p, env) => !env.test(r.rule, p),
  trait: testTrait,
  profile: testProfileField,
  tag: testTags,
  event: testEvent,
  last_performed: (r, p, env) => {
    const times = eventsOf(env, p, r.event, r.where).map((e) => e.timestamp);
    return times.length > 0 && Math.max(...times) < env.ctx.now - r.moreThanDays * DAY;
  },
  never_performed: (r, p, env) => eventsOf(env, p, r.event, r.where).length === 0,
  rfm: (r, p, { data }) => scoreIn(data, p, (s) => s.rfmCell, r.cells),
  lifecycle: (r, p, { data }) => scoreIn(data, p, (s) => s.lifecycleStage, r.stages),
  community_role: (r, p, { data }) => scoreIn(data, p, (s) => s.communityRole, r.roles),
  consent: (r, p) => {
    const granted = member(member(p.consent, r.key), 'granted');
    const state = granted === true ? 'granted' : granted === false ? 'denied' : 'unknown';
    return state === r.state;
  },
  segment: (r, p, { data }) => data.segmentMembers.some((m) => m.segmentId === r.segmentId && m.profileId === p.id),
  bucket: (r, p) => {
    const b = bucket(r.salt ?? '', p.id);
    return r.from <= b && b < r.to;
  },
};

/** Ids of the live profiles (not merged away) that satisfy the rule. */
export function evaluateReference(rule: Rule, data: ReferenceData, ctx: RuleContext): Set<string> {
  const env: Env = {
    data,
    ctx,
    today: dateIn(ctx.now, ctx.timeZone),
    test: (r, p) => (TESTS[r.type] as NodeTest<Rule['type']>)(r, p, env),
  };
  return new Set(data.profiles.filter((p) => !p.mergedInto && env.test(rule, p)).map((p) => p.id));
}
