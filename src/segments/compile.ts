import { createHash } from 'node:crypto';
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { CompareOp, DateOp, EventRule, EventWindow, ProfileField, PropertyFilter, Rule, RuleContext, Scalar, TagRef } from './rule.types.js';
import { addDays, localDate, startOfLocalDate } from '../platform/time.js';

/**
 * Compiles a validated rule to one boolean SQL expression over a `profiles` row aliased `p`.
 * Every value and every identifier (trait key, property name, tag name, ...) is a bound
 * parameter; the SQL text holds only this file's constants. Every node compiles to a two-valued
 * expression (never NULL), so `not` and `neq` mean exactly "not" on both engines.
 * Semantics: docs/segments-rules.md; the in-memory reference (reference.ts) must agree.
 */

type Bool = RawBuilder<SqlBool>;
const DAY_MS = 86_400_000;
const TRUE: Bool = sql<SqlBool>`(1 = 1)`;
const FALSE: Bool = sql<SqlBool>`(1 = 0)`;

const and = (xs: Bool[]): Bool => (xs.length === 0 ? TRUE : xs.length === 1 ? xs[0]! : sql<SqlBool>`(${sql.join(xs, sql` and `)})`);
const or = (xs: Bool[]): Bool => (xs.length === 0 ? FALSE : xs.length === 1 ? xs[0]! : sql<SqlBool>`(${sql.join(xs, sql` or `)})`);
const not = (x: Bool): Bool => sql<SqlBool>`(not ${x})`;
/** Makes a condition that may be NULL (absent JSON values) two-valued. */
const known = (x: Bool): Bool => sql<SqlBool>`coalesce(${x}, false)`;

type Cmp = '=' | '<' | '<=' | '>' | '>=';
const ORDER: Record<'lt' | 'lte' | 'gt' | 'gte', Cmp> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };

/**
 * A JSON value somewhere (a trait, an event property, an array element), with the tests and
 * reads the compiler needs. Each engine builds these from its own JSON functions.
 */
interface Slot {
  isString: Bool;
  isNumber: Bool;
  isTrue: Bool;
  isFalse: Bool;
  /** Present and not JSON null. */
  isPresent: Bool;
  /** The string's text (meaningful only where `isString`). */
  text: RawBuilder<string>;
  /** Binary (code point) comparison of the string with a bound value; false unless a string. */
  compareText(op: Cmp, value: string): Bool;
  /** Numeric comparison with a bound value; false (never a cast error) unless a JSON number. */
  compareNumber(op: Cmp, value: number): Bool;
  /** Is a number equal to one of `values`. */
  numberIn(values: number[]): Bool;
  /** Is a string equal to one of `values`. */
  textIn(values: string[]): Bool;
  /** A FROM item yielding the elements of the value when it is an array (none otherwise), and the element as a slot. */
  elements(): { from: RawBuilder<unknown>; element: Slot };
}

/**
 * The engine-specific SQL of the rule language. It lives here rather than in platform/db's
 * Dialect because nothing else needs it; Dialect only chooses which one.
 */
interface RuleSql {
  /**
   * Whether `p.id in (<set>)` scales in any position. SQLite builds a temporary index of the set
   * wherever it stands. PostgreSQL joins a set only in the top-level AND of the WHERE clause; under
   * NOT or OR the set becomes a hashed subplan if it fits in work_mem and otherwise is scanned
   * again for every profile (at 1M profiles, `not (p.id in (<ids with an Added to Cart event>))`
   * ran for more than ten minutes). There the per-profile EXISTS forms are used: NOT EXISTS at the
   * top is an anti-join, and under OR the planner chooses between a hashed set and index probes.
   */
  setsAnywhere: boolean;
  /** The events table as the FROM item `e` of a per-profile subquery. */
  events: RawBuilder<unknown>;
  trait(key: string): Slot;
  property(name: string): Slot;
  /** The `granted` member of a consent entry is JSON true / false. */
  consentIs(key: string, granted: boolean): Bool;
  /** A string that starts with YYYY-MM-DD (ASCII digits). */
  startsWithDate(s: Slot): Bool;
  /** Substring by character position (1-based). */
  substr(s: Slot, from: number, length: number): RawBuilder<string>;
  /** Binary comparison of two text expressions. */
  textCompare(a: RawBuilder<string>, op: Cmp, b: string): Bool;
  /** Text expression equal to one of the bound values. */
  textOneOf(a: RawBuilder<string>, values: string[]): Bool;
  contains(s: Slot, needle: string): Bool;
  /** Numeric profile column compared with a bound number (which may be fractional). */
  columnCompare(column: RawBuilder<unknown>, op: Cmp, value: number): Bool;
  columnIn(column: RawBuilder<unknown>, values: number[]): Bool;
  bucket(salt: string): RawBuilder<number>;
}

function sqliteSlot(type: RawBuilder<unknown>, value: RawBuilder<unknown>): Slot {
  const isNumber = sql<SqlBool>`(${type} in ('integer', 'real'))`;
  const isString = sql<SqlBool>`(${type} = 'text')`;
  return {
    isString,
    isNumber,
    isTrue: sql<SqlBool>`(${type} = 'true')`,
    isFalse: sql<SqlBool>`(${type} = 'false')`,
    isPresent: sql<SqlBool>`(coalesce(${type}, 'null') <> 'null')`,
    text: value as RawBuilder<string>,
    // SQLite's default BINARY collation compares UTF-8 bytes: code point order. The value test
    // comes first: most rows fail it, and then the type is not looked up (SQLite stops at the
    // first false of an AND); a comparison of mismatched types is false or NULL, never an error.
    compareText: (op, v) => known(sql<SqlBool>`(${value} ${sql.raw(op)} ${v} and ${isString})`),
    compareNumber: (op, v) => known(sql<SqlBool>`(${value} ${sql.raw(op)} ${v} and ${isNumber})`),
    numberIn: (vs) => known(sql<SqlBool>`(${value} in (select value from json_each(${JSON.stringify(vs)})) and ${isNumber})`),
    textIn: (vs) => known(sql<SqlBool>`(${value} in (select value from json_each(${JSON.stringify(vs)})) and ${isString})`),
    elements: () => ({
      // json_each over anything but an array would walk an object's members or yield the scalar itself.
      from: sql`json_each(case when ${type} = 'array' then ${value} else '[]' end) as x`,
      element: sqliteSlot(sql`x.type`, sql`x.value`),
    }),
  };
}

// A JSON path for one object member: `$."key"`. SQLite (3.45+) decodes JSON escapes inside the
// quoted label, so JSON.stringify makes any key safe (quotes, backslashes, dots, brackets).
const member = (key: string) => JSON.stringify(key);

const sqliteRuleSql: RuleSql = {
  setsAnywhere: true,
  // Without ANALYZE statistics SQLite picked events_name_time (workspace, event, timestamp) for
  // the per-profile subqueries, which reads every event of that name in the workspace for each
  // profile; (workspace, profile, timestamp) reads only the profile's own events.
  events: sql`events as e indexed by events_profile_time`,
  trait: (key) => {
    const path = '$.' + member(key);
    return sqliteSlot(sql`json_type(p.traits, ${path})`, sql`json_extract(p.traits, ${path})`);
  },
  property: (name) => {
    const path = '$.properties.' + member(name);
    return sqliteSlot(sql`json_type(e.payload, ${path})`, sql`json_extract(e.payload, ${path})`);
  },
  consentIs: (key, granted) => known(sql<SqlBool>`(json_type(p.consent, ${'$.' + member(key) + '.granted'}) = ${granted ? 'true' : 'false'})`),
  startsWithDate: (s) => known(sql<SqlBool>`(${s.isString} and ${s.text} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*')`),
  substr: (s, from, length) => sql<string>`substr(${s.text}, ${sql.lit(from)}, ${sql.lit(length)})`,
  textCompare: (a, op, b) => sql<SqlBool>`(${a} ${sql.raw(op)} ${b})`,
  textOneOf: (a, vs) => sql<SqlBool>`(${a} in (select value from json_each(${JSON.stringify(vs)})))`,
  contains: (s, needle) => known(sql<SqlBool>`(${s.isString} and instr(${s.text}, ${needle}) > 0)`),
  columnCompare: (column, op, v) => known(sql<SqlBool>`(${column} ${sql.raw(op)} ${v})`),
  columnIn: (column, vs) => known(sql<SqlBool>`(${column} in (select value from json_each(${JSON.stringify(vs)})))`),
  // Registered on every SQLite connection by openDatabase (platform/db/database.ts).
  bucket: (salt) => sql<number>`siyu_bucket(${salt}, p.id)`,
};

function pgSlot(json: RawBuilder<unknown>, text: RawBuilder<string>): Slot {
  const typeIs = (t: string) => sql<SqlBool>`(jsonb_typeof(${json}) = ${sql.lit(t)})`;
  const isNumber = typeIs('number');
  const isString = typeIs('string');
  return {
    isString,
    isNumber,
    isTrue: sql<SqlBool>`(${json} = 'true'::jsonb)`,
    isFalse: sql<SqlBool>`(${json} = 'false'::jsonb)`,
    isPresent: sql<SqlBool>`(coalesce(jsonb_typeof(${json}), 'null') <> 'null')`,
    text,
    // Value test first, as on SQLite: most rows fail it, and PostgreSQL evaluates an AND's
    // arguments in the order written (in practice; SQL does not promise it, and no order can
    // raise an error here), so the type is then not looked up (a second extraction from the JSON of
    // every row cost a quarter of a trait segment's recompute at 1M profiles). A text test on a
    // non-string (its JSON text) is never an error, only a mismatch the type test then rejects.
    compareText: (op, v) => known(sql<SqlBool>`(${text} collate "C" ${sql.raw(op)} ${v}::text and ${isString})`),
    // CASE guarantees the cast is only evaluated on numbers (AND does not promise an order).
    compareNumber: (op, v) => sql<SqlBool>`(case when ${isNumber} then (${json})::numeric ${sql.raw(op)} ${String(v)}::numeric else false end)`,
    numberIn: (vs) => sql<SqlBool>`(case when ${isNumber} then (${json})::numeric = any(${vs.map(String)}::numeric[]) else false end)`,
    textIn: (vs) => known(sql<SqlBool>`(${text} = any(${vs}::text[]) and ${isString})`),
    elements: () => ({
      from: sql`jsonb_array_elements(case when jsonb_typeof(${json}) = 'array' then ${json} else '[]'::jsonb end) as x(e)`,
      element: pgSlot(sql`x.e`, sql<string>`(x.e #>> '{}')`),
    }),
  };
}

const pgRuleSql: RuleSql = {
  setsAnywhere: false,
  // PostgreSQL has statistics and may rightly turn a whole-workspace EXISTS into a semi-join.
  events: sql`events as e`,
  trait: (key) => pgSlot(sql`(p.traits -> ${key}::text)`, sql<string>`(p.traits ->> ${key}::text)`),
  property: (name) => pgSlot(sql`(e.payload -> 'properties' -> ${name}::text)`, sql<string>`(e.payload -> 'properties' ->> ${name}::text)`),
  consentIs: (key, granted) => known(sql<SqlBool>`((p.consent -> ${key}::text -> 'granted') = ${granted ? sql`'true'::jsonb` : sql`'false'::jsonb`})`),
  startsWithDate: (s) => known(sql<SqlBool>`(${s.isString} and ${s.text} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}')`),
  substr: (s, from, length) => sql<string>`substr(${s.text}, ${sql.lit(from)}, ${sql.lit(length)})`,
  textCompare: (a, op, b) => sql<SqlBool>`(${a} collate "C" ${sql.raw(op)} ${b}::text)`,
  textOneOf: (a, vs) => sql<SqlBool>`(${a} = any(${vs}::text[]))`,
  contains: (s, needle) => known(sql<SqlBool>`(strpos(${s.text}, ${needle}::text) > 0 and ${s.isString})`),
  // Bound as numeric: a fractional value against a bigint column must not be a cast error.
  columnCompare: (column, op, v) => known(sql<SqlBool>`(${column} ${sql.raw(op)} ${String(v)}::numeric)`),
  columnIn: (column, vs) => known(sql<SqlBool>`(${column} = any(${vs.map(String)}::numeric[]))`),
  bucket: (salt) => sql<number>`(('x' || substr(md5(${salt}::text || ':' || p.id), 1, 8))::bit(32)::bigint % 100)`,
};

/** The holdout bucket 0-99 of a profile: first 8 hex digits of md5(salt + ":" + id), as an unsigned 32-bit integer, mod 100. */
export function bucketOf(salt: string, profileId: string): number {
  return parseInt(createHash('md5').update(`${salt}:${profileId}`).digest('hex').slice(0, 8), 16) % 100;
}

// ---------------------------------------------------------------------------------------------
// Local calendar dates in the workspace time zone.

/**
 * The MM-DD strings of the days in [today, today + days]. A 29 February birthday is
 * celebrated on 28 February in years without one, so that date adds "02-29" too.
 */
export function birthdayMonthDays(today: string, days: number): string[] {
  const out = new Set<string>();
  for (let i = 0; i <= days; i++) {
    const date = addDays(today, i);
    out.add(date.slice(5));
    const year = Number(date.slice(0, 4));
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (date.slice(5) === '02-28' && !leap) out.add('02-29');
  }
  return [...out];
}

// ---------------------------------------------------------------------------------------------

const NUMERIC_FIELDS: readonly ProfileField[] = ['order_count', 'total_spent_fen'];
const isDateOp = (op: string): op is DateOp =>
  ['before', 'after', 'within_last_days', 'within_next_days', 'more_than_days_ago', 'birthday_in_days'].includes(op);

/** Compiles a validated rule to a boolean SQL expression over `profiles as p` (see the file comment). */
export function compileRule(rule: Rule, ctx: RuleContext, dialect: Dialect): RawBuilder<SqlBool> {
  return new Compiler(ctx, dialect.engine === 'postgres' ? pgRuleSql : sqliteRuleSql).rule(rule);
}

class Compiler {
  private readonly today: string;
  constructor(
    private readonly ctx: RuleContext,
    private readonly q: RuleSql,
  ) {
    this.today = localDate(ctx.now, ctx.timeZone);
  }

  /** How many NOT / OR nodes enclose the node being compiled. */
  private depth = 0;

  /** Compiles `f` as under a NOT or an OR. */
  private nested<T>(f: () => T): T {
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** Range and whole-workspace forms: conditions on other tables as id sets where the engine joins them (RuleSql.setsAnywhere). */
  private sets(): boolean {
    return (this.ctx.range !== undefined || this.ctx.wholeWorkspace === true) && (this.q.setsAnywhere || this.depth === 0);
  }

  rule(r: Rule): Bool {
    const q = this.q;
    switch (r.type) {
      case 'and':
        return and(r.rules.map((x) => this.rule(x)));
      case 'or':
        return or(this.nested(() => r.rules.map((x) => this.rule(x))));
      case 'not':
        return not(this.nested(() => this.rule(r.rule)));
      case 'trait': {
        const slot = q.trait(r.key);
        return isDateOp(r.op) ? this.dateString(slot, r.op, r.value as string | undefined, r.days) : this.compare(slot, r.op, r.value);
      }
      case 'profile':
        return this.profileField(r.field, r.op, r.value, r.days);
      case 'tag': {
        if (r.match !== 'all' && r.tags.length > 1 && this.sets()) {
          // One id set for "any of": SQLite then looks the tagged profiles up by id, where an OR of
          // sets made it read every profile of the range (measured: 2× a hand-written query).
          return sql<SqlBool>`(p.id in (${sql.join(
            r.tags.map((t) => this.taggedSet(t)),
            sql` union all `,
          )}))`;
        }
        const each = r.tags.map((t) => this.hasTag(t));
        return r.match === 'all' ? and(each) : or(each);
      }
      case 'event':
        return this.event(r);
      case 'last_performed': {
        // Timestamps are whole milliseconds: rounding the bound keeps the comparison exact and the parameter an integer.
        const cutoff = Math.ceil(this.ctx.now - r.moreThanDays * DAY_MS);
        return and([
          this.eventExists(r.event, r.where, []),
          not(this.nested(() => this.eventExists(r.event, r.where, [sql<SqlBool>`e.timestamp >= ${cutoff}`]))),
        ]);
      }
      case 'never_performed':
        return not(this.nested(() => this.eventExists(r.event, r.where, [])));
      case 'rfm':
        return this.score(sql`s.rfm_cell`, r.cells);
      case 'lifecycle':
        return this.score(sql`s.lifecycle_stage`, r.stages);
      case 'community_role':
        return this.score(sql`s.community_role`, r.roles);
      case 'consent': {
        const granted = q.consentIs(r.key, true);
        const denied = q.consentIs(r.key, false);
        return r.state === 'granted' ? granted : r.state === 'denied' ? denied : and([not(granted), not(denied)]);
      }
      case 'segment':
        if (this.sets()) {
          return sql<SqlBool>`(p.id in (select m.profile_id from segment_members as m where m.workspace_id = ${this.ctx.workspaceId} and m.segment_id = ${r.segmentId} and ${this.inRange(sql`m.profile_id`)}))`;
        }
        return sql<SqlBool>`exists (select 1 from segment_members as m where m.workspace_id = p.workspace_id and m.segment_id = ${r.segmentId} and m.profile_id = p.id)`;
      case 'bucket': {
        const b = q.bucket(r.salt ?? '');
        return sql<SqlBool>`(${b} >= ${r.from} and ${b} < ${r.to})`;
      }
    }
  }

  /** A comparison op on a JSON value; see CompareOp for the meaning of each. */
  private compare(s: Slot, op: CompareOp | DateOp, value: Scalar | Scalar[] | undefined): Bool {
    switch (op) {
      case 'eq':
        return this.equals(s, value as Scalar);
      case 'neq':
        return not(this.equals(s, value as Scalar));
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        return typeof value === 'string' ? s.compareText(ORDER[op], value) : s.compareNumber(ORDER[op], value as number);
      case 'in':
        return this.oneOf(s, value as Scalar[]);
      case 'not_in':
        return not(this.oneOf(s, value as Scalar[]));
      case 'contains': {
        const { from, element } = s.elements();
        const inArray = sql<SqlBool>`exists (select 1 from ${from} where ${this.equals(element, value as Scalar)})`;
        return typeof value === 'string' ? or([this.q.contains(s, value), inArray]) : inArray;
      }
      case 'exists':
        return known(s.isPresent);
      case 'not_exists':
        return not(known(s.isPresent));
      default:
        throw new Error(`compare: op ${op} is not a comparison`);
    }
  }

  private equals(s: Slot, v: Scalar): Bool {
    if (typeof v === 'string') return s.compareText('=', v);
    if (typeof v === 'number') return s.compareNumber('=', v);
    return known(v ? s.isTrue : s.isFalse);
  }

  private oneOf(s: Slot, values: Scalar[]): Bool {
    const strings = values.filter((v): v is string => typeof v === 'string');
    const numbers = values.filter((v): v is number => typeof v === 'number');
    const parts: Bool[] = [];
    if (strings.length) parts.push(s.textIn(strings));
    if (numbers.length) parts.push(s.numberIn(numbers));
    if (values.includes(true)) parts.push(known(s.isTrue));
    if (values.includes(false)) parts.push(known(s.isFalse));
    return or(parts);
  }

  /** Date ops on a string trait: its first 10 characters are the date, compared as text with dates computed here. */
  private dateString(s: Slot, op: DateOp, value: string | undefined, days: number | undefined): Bool {
    const q = this.q;
    const date = q.substr(s, 1, 10);
    const n = days ?? 0;
    let test: Bool;
    switch (op) {
      case 'before':
        test = q.textCompare(date, '<', value!);
        break;
      case 'after':
        test = q.textCompare(date, '>', value!);
        break;
      case 'within_last_days':
        test = and([q.textCompare(date, '>=', addDays(this.today, -n)), q.textCompare(date, '<=', this.today)]);
        break;
      case 'within_next_days':
        test = and([q.textCompare(date, '>=', this.today), q.textCompare(date, '<=', addDays(this.today, n))]);
        break;
      case 'more_than_days_ago':
        test = q.textCompare(date, '<', addDays(this.today, -n));
        break;
      case 'birthday_in_days':
        test = q.textOneOf(q.substr(s, 6, 5), birthdayMonthDays(this.today, n));
        break;
    }
    return known(and([q.startsWithDate(s), test]));
  }

  private profileField(field: ProfileField, op: CompareOp | DateOp, value: Scalar | Scalar[] | undefined, days: number | undefined): Bool {
    const q = this.q;
    const col = sql.ref(`p.${field}`);
    if (op === 'exists') return sql<SqlBool>`(${col} is not null)`;
    if (op === 'not_exists') return sql<SqlBool>`(${col} is null)`;
    if (NUMERIC_FIELDS.includes(field)) {
      switch (op) {
        case 'eq':
          return q.columnCompare(col, '=', value as number);
        case 'neq':
          return not(q.columnCompare(col, '=', value as number));
        case 'lt':
        case 'lte':
        case 'gt':
        case 'gte':
          return q.columnCompare(col, ORDER[op], value as number);
        case 'in':
          return q.columnIn(col, value as number[]);
        case 'not_in':
          return not(q.columnIn(col, value as number[]));
        default:
          throw new Error(`profile field ${field}: op ${op} is not supported`);
      }
    }
    // Time fields (epoch ms): local-date conditions become instants, so the column is compared as is.
    const start = (date: string) => startOfLocalDate(date, this.ctx.timeZone);
    const n = days ?? 0;
    const at = (lo: number | undefined, hi: number | undefined): Bool =>
      and([...(lo === undefined ? [] : [q.columnCompare(col, '>=', lo)]), ...(hi === undefined ? [] : [q.columnCompare(col, '<', hi)])]);
    switch (op) {
      case 'before':
        return at(undefined, start(value as string));
      case 'after':
        return at(start(addDays(value as string, 1)), undefined);
      case 'within_last_days':
        return at(start(addDays(this.today, -n)), start(addDays(this.today, 1)));
      case 'within_next_days':
        return at(start(this.today), start(addDays(this.today, n + 1)));
      case 'more_than_days_ago':
        return at(undefined, start(addDays(this.today, -n)));
      default:
        throw new Error(`profile field ${field}: op ${op} is not supported`);
    }
  }

  /** `col` within the evaluated id range (ctx.range), for the range forms. */
  private inRange(col: RawBuilder<unknown>): Bool {
    const r = this.ctx.range ?? { after: '' };
    return r.upTo === undefined ? sql<SqlBool>`${col} > ${r.after}` : sql<SqlBool>`(${col} > ${r.after} and ${col} <= ${r.upTo})`;
  }

  /** Range and whole-workspace forms: the ids of the profiles carrying tag `t` (in the range). */
  private taggedSet(t: TagRef): RawBuilder<unknown> {
    const ws = this.ctx.workspaceId;
    if ('id' in t)
      return sql`select pt.profile_id from profile_tags as pt where pt.workspace_id = ${ws} and pt.tag_id = ${t.id} and ${this.inRange(sql`pt.profile_id`)}`;
    return sql`select pt.profile_id from profile_tags as pt
      inner join tags as t on t.workspace_id = pt.workspace_id and t.id = pt.tag_id
      inner join tag_groups as g on g.workspace_id = t.workspace_id and g.id = t.group_id
      where pt.workspace_id = ${ws} and t.name = ${t.name} and g.name = ${t.group ?? 'default'} and ${this.inRange(sql`pt.profile_id`)}`;
  }

  private hasTag(t: TagRef): Bool {
    if (this.sets()) return sql<SqlBool>`(p.id in (${this.taggedSet(t)}))`;
    if ('id' in t) {
      return sql<SqlBool>`exists (select 1 from profile_tags as pt where pt.workspace_id = p.workspace_id and pt.profile_id = p.id and pt.tag_id = ${t.id})`;
    }
    return sql<SqlBool>`exists (select 1 from profile_tags as pt
      inner join tags as t on t.workspace_id = pt.workspace_id and t.id = pt.tag_id
      inner join tag_groups as g on g.workspace_id = t.workspace_id and g.id = t.group_id
      where pt.workspace_id = p.workspace_id and pt.profile_id = p.id and t.name = ${t.name} and g.name = ${t.group ?? 'default'})`;
  }

  /**
   * Whole-workspace form: the ids of profiles with track events named `event` matching `where`
   * and `extra` (read once through events_name_time), optionally grouped with a count condition.
   */
  private eventSet(event: string, where: PropertyFilter[] | undefined, extra: Bool[], having?: RawBuilder<unknown>): RawBuilder<unknown> {
    const conds: Bool[] = [
      sql<SqlBool>`e.workspace_id = ${this.ctx.workspaceId}`,
      sql<SqlBool>`e.type = ${'track'}`,
      sql<SqlBool>`e.event = ${event}`,
      ...extra,
      ...(where ?? []).map((f) => this.compare(this.q.property(f.property), f.op, f.value)),
    ];
    return having
      ? sql`select e.profile_id from events as e where ${sql.join(conds, sql` and `)} group by e.profile_id having ${having}`
      : sql`select e.profile_id from events as e where ${sql.join(conds, sql` and `)}`;
  }

  /** `select 1 from events as e where <this profile's track events named `event` matching `where` and `extra`>`. */
  private eventQuery(event: string, where: PropertyFilter[] | undefined, extra: Bool[]): RawBuilder<unknown> {
    const conds: Bool[] = [
      sql<SqlBool>`e.workspace_id = p.workspace_id`,
      sql<SqlBool>`e.profile_id = p.id`,
      sql<SqlBool>`e.type = ${'track'}`,
      sql<SqlBool>`e.event = ${event}`,
      ...extra,
      ...(where ?? []).map((f) => this.compare(this.q.property(f.property), f.op, f.value)),
    ];
    return sql`select 1 from ${this.q.events} where ${sql.join(conds, sql` and `)}`;
  }

  private eventExists(event: string, where: PropertyFilter[] | undefined, extra: Bool[]): Bool {
    if (this.ctx.wholeWorkspace && this.sets()) return sql<SqlBool>`(p.id in (${this.eventSet(event, where, extra)}))`;
    return sql<SqlBool>`exists (${this.eventQuery(event, where, extra)})`;
  }

  private window(w: EventWindow | undefined): Bool[] {
    if (!w) return [];
    if ('lastDays' in w)
      return [sql<SqlBool>`e.timestamp >= ${Math.ceil(this.ctx.now - w.lastDays * DAY_MS)}`, sql<SqlBool>`e.timestamp <= ${Math.floor(this.ctx.now)}`];
    return [sql<SqlBool>`e.timestamp >= ${Date.parse(w.from)}`, sql<SqlBool>`e.timestamp < ${Date.parse(w.to)}`];
  }

  private event(r: EventRule): Bool {
    const { op, value: n } = r.count ?? { op: 'at_least', value: 1 };
    const window = this.window(r.window);
    if (op === 'at_least' && n === 0) return TRUE;
    if (op === 'at_least' && n === 1) return this.eventExists(r.event, r.where, window);
    if (op !== 'at_least' && n === 0) return not(this.nested(() => this.eventExists(r.event, r.where, window)));
    if (this.ctx.wholeWorkspace && this.sets()) {
      // n >= 1 here. "At most n" includes profiles without any such event: the complement of
      // "more than n" (on PostgreSQL a NOT EXISTS, which it joins: see RuleSql.setsAnywhere).
      if (op === 'at_most') {
        const more = this.eventSet(r.event, r.where, window, sql`count(*) > ${n}`);
        return not(this.q.setsAnywhere ? sql<SqlBool>`(p.id in (${more}))` : sql<SqlBool>`exists (select 1 from (${more}) as s where s.profile_id = p.id)`);
      }
      return sql<SqlBool>`(p.id in (${this.eventSet(r.event, r.where, window, op === 'at_least' ? sql`count(*) >= ${n}` : sql`count(*) = ${n}`)}))`;
    }
    // Count no further than needed: a profile with 10,000 events costs the same as one with n + 1.
    const limit = op === 'at_least' ? n : n + 1;
    const count = sql`(select count(*) from (${this.eventQuery(r.event, r.where, window)} limit ${limit}) as c)`;
    const cmp = op === 'at_least' ? '>=' : op === 'at_most' ? '<=' : '=';
    return sql<SqlBool>`(${count} ${sql.raw(cmp)} ${n})`;
  }

  private score(column: RawBuilder<unknown>, values: readonly string[]): Bool {
    if (this.sets()) {
      return sql<SqlBool>`(p.id in (select s.profile_id from profile_scores as s where s.workspace_id = ${this.ctx.workspaceId} and ${this.inRange(sql`s.profile_id`)} and ${column} in (${sql.join(values.map((v) => sql`${v}`))})))`;
    }
    return sql<SqlBool>`exists (select 1 from profile_scores as s where s.workspace_id = p.workspace_id and s.profile_id = p.id and ${column} in (${sql.join(values.map((v) => sql`${v}`))}))`;
  }
}
