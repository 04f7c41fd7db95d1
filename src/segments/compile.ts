import { createHash } from 'node:crypto';
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { CompareOp, DateOp, EventRule, EventWindow, ProfileField, PropertyFilter, Rule, RuleContext, Scalar, TagRef } from './rule.types.js';
import { addDays, localDate, startOfLocalDate } from '../platform/time.js';
import { type Bool, type Cmp, known, type RuleSql, ruleSqlFor, type Slot } from './compile-sql.js';

/**
 * Compiles a validated rule to one boolean SQL expression over a `profiles` row aliased `p`.
 * Every value and every identifier (trait key, property name, tag name, ...) is a bound
 * parameter; the SQL text holds only this file's constants. Every node compiles to a two-valued
 * expression (never NULL), so `not` and `neq` mean exactly "not" on both engines.
 * Semantics: docs/segments-rules.md; the in-memory reference (reference.ts) must agree. The SQL
 * that differs by engine is in compile-sql.ts (the module's declared engine exception).
 */

const DAY_MS = 86_400_000;
const TRUE: Bool = sql<SqlBool>`(1 = 1)`;
const FALSE: Bool = sql<SqlBool>`(1 = 0)`;

const and = (xs: Bool[]): Bool => (xs.length === 0 ? TRUE : xs.length === 1 ? xs[0]! : sql<SqlBool>`(${sql.join(xs, sql` and `)})`);
const or = (xs: Bool[]): Bool => (xs.length === 0 ? FALSE : xs.length === 1 ? xs[0]! : sql<SqlBool>`(${sql.join(xs, sql` or `)})`);
const not = (x: Bool): Bool => sql<SqlBool>`(not ${x})`;

const ORDER: Record<'lt' | 'lte' | 'gt' | 'gte', Cmp> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };

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
  return new Compiler(ctx, ruleSqlFor(dialect)).rule(rule);
}

class Compiler {
  readonly today: string;
  constructor(
    readonly ctx: RuleContext,
    readonly q: RuleSql,
  ) {
    this.today = localDate(ctx.now, ctx.timeZone);
  }

  /** How many NOT / OR nodes enclose the node being compiled. */
  private depth = 0;

  /** Compiles `f` as under a NOT or an OR. */
  nested<T>(f: () => T): T {
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** Range and whole-workspace forms: conditions on other tables as id sets where the engine joins them (RuleSql.setsAnywhere). */
  sets(): boolean {
    return (this.ctx.range !== undefined || this.ctx.wholeWorkspace === true) && (this.q.setsAnywhere || this.depth === 0);
  }

  /** Compiles one node (see NODES, one compiler per node type). */
  rule(r: Rule): Bool {
    return (NODES[r.type] as NodeCompiler<Rule['type']>)(this, r);
  }

  /** A comparison op on a JSON value; see CompareOp for the meaning of each. */
  compare(s: Slot, op: CompareOp | DateOp, value: Scalar | Scalar[] | undefined): Bool {
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
  dateString(s: Slot, op: DateOp, value: string | undefined, days: number | undefined): Bool {
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

  profileField(field: ProfileField, op: CompareOp | DateOp, value: Scalar | Scalar[] | undefined, days: number | undefined): Bool {
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
  inRange(col: RawBuilder<unknown>): Bool {
    const r = this.ctx.range ?? { after: '' };
    return r.upTo === undefined ? sql<SqlBool>`${col} > ${r.after}` : sql<SqlBool>`(${col} > ${r.after} and ${col} <= ${r.upTo})`;
  }

  /** Range and whole-workspace forms: the ids of the profiles carrying tag `t` (in the range). */
  taggedSet(t: TagRef): RawBuilder<unknown> {
    const ws = this.ctx.workspaceId;
    if ('id' in t)
      return sql`select pt.profile_id from profile_tags as pt where pt.workspace_id = ${ws} and pt.tag_id = ${t.id} and ${this.inRange(sql`pt.profile_id`)}`;
    return sql`select pt.profile_id from profile_tags as pt
      inner join tags as t on t.workspace_id = pt.workspace_id and t.id = pt.tag_id
      inner join tag_groups as g on g.workspace_id = t.workspace_id and g.id = t.group_id
      where pt.workspace_id = ${ws} and t.name = ${t.name} and g.name = ${t.group ?? 'default'} and ${this.inRange(sql`pt.profile_id`)}`;
  }

  hasTag(t: TagRef): Bool {
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

  eventExists(event: string, where: PropertyFilter[] | undefined, extra: Bool[]): Bool {
    if (this.ctx.wholeWorkspace && this.sets()) return sql<SqlBool>`(p.id in (${this.eventSet(event, where, extra)}))`;
    return sql<SqlBool>`exists (${this.eventQuery(event, where, extra)})`;
  }

  private window(w: EventWindow | undefined): Bool[] {
    if (!w) return [];
    if ('lastDays' in w)
      return [sql<SqlBool>`e.timestamp >= ${Math.ceil(this.ctx.now - w.lastDays * DAY_MS)}`, sql<SqlBool>`e.timestamp <= ${Math.floor(this.ctx.now)}`];
    return [sql<SqlBool>`e.timestamp >= ${Date.parse(w.from)}`, sql<SqlBool>`e.timestamp < ${Date.parse(w.to)}`];
  }

  event(r: EventRule): Bool {
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

  score(column: RawBuilder<unknown>, values: readonly string[]): Bool {
    if (this.sets()) {
      return sql<SqlBool>`(p.id in (select s.profile_id from profile_scores as s where s.workspace_id = ${this.ctx.workspaceId} and ${this.inRange(sql`s.profile_id`)} and ${column} in (${sql.join(values.map((v) => sql`${v}`))})))`;
    }
    return sql<SqlBool>`exists (select 1 from profile_scores as s where s.workspace_id = p.workspace_id and s.profile_id = p.id and ${column} in (${sql.join(values.map((v) => sql`${v}`))}))`;
  }
}

/** Compiles one node of type `K`. */
type NodeCompiler<K extends Rule['type']> = (c: Compiler, r: Extract<Rule, { type: K }>) => Bool;

/** Tag conditions: per tag, or for "any of" several tags in the set forms, one id set. */
const compileTags: NodeCompiler<'tag'> = (c, r) => {
  if (r.match !== 'all' && r.tags.length > 1 && c.sets()) {
    // One id set for "any of": SQLite then looks the tagged profiles up by id, where an OR of
    // sets made it read every profile of the range (measured: 2× a hand-written query).
    return sql<SqlBool>`(p.id in (${sql.join(
      r.tags.map((t) => c.taggedSet(t)),
      sql` union all `,
    )}))`;
  }
  const each = r.tags.map((t) => c.hasTag(t));
  return r.match === 'all' ? and(each) : or(each);
};

const compileLastPerformed: NodeCompiler<'last_performed'> = (c, r) => {
  // Timestamps are whole milliseconds: rounding the bound keeps the comparison exact and the parameter an integer.
  const cutoff = Math.ceil(c.ctx.now - r.moreThanDays * DAY_MS);
  return and([c.eventExists(r.event, r.where, []), not(c.nested(() => c.eventExists(r.event, r.where, [sql<SqlBool>`e.timestamp >= ${cutoff}`])))]);
};

const compileConsent: NodeCompiler<'consent'> = (c, r) => {
  const granted = c.q.consentIs(r.key, true);
  const denied = c.q.consentIs(r.key, false);
  return r.state === 'granted' ? granted : r.state === 'denied' ? denied : and([not(granted), not(denied)]);
};

const compileSegment: NodeCompiler<'segment'> = (c, r) => {
  if (c.sets()) {
    return sql<SqlBool>`(p.id in (select m.profile_id from segment_members as m where m.workspace_id = ${c.ctx.workspaceId} and m.segment_id = ${r.segmentId} and ${c.inRange(sql`m.profile_id`)}))`;
  }
  return sql<SqlBool>`exists (select 1 from segment_members as m where m.workspace_id = p.workspace_id and m.segment_id = ${r.segmentId} and m.profile_id = p.id)`;
};

/** One compiler per node type. */
const NODES: { [K in Rule['type']]: NodeCompiler<K> } = {
  and: (c, r) => and(r.rules.map((x) => c.rule(x))),
  or: (c, r) => or(c.nested(() => r.rules.map((x) => c.rule(x)))),
  not: (c, r) => not(c.nested(() => c.rule(r.rule))),
  trait: (c, r) => {
    const slot = c.q.trait(r.key);
    return isDateOp(r.op) ? c.dateString(slot, r.op, r.value as string | undefined, r.days) : c.compare(slot, r.op, r.value);
  },
  profile: (c, r) => c.profileField(r.field, r.op, r.value, r.days),
  tag: compileTags,
  event: (c, r) => c.event(r),
  last_performed: compileLastPerformed,
  never_performed: (c, r) => not(c.nested(() => c.eventExists(r.event, r.where, []))),
  rfm: (c, r) => c.score(sql`s.rfm_cell`, r.cells),
  lifecycle: (c, r) => c.score(sql`s.lifecycle_stage`, r.stages),
  community_role: (c, r) => c.score(sql`s.community_role`, r.roles),
  consent: compileConsent,
  segment: compileSegment,
  bucket: (c, r) => {
    const b = c.q.bucket(r.salt ?? '');
    return sql<SqlBool>`(${b} >= ${r.from} and ${b} < ${r.to})`;
  },
};
