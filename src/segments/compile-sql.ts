/**
 * The engine-specific SQL of the rule language: how each engine reads a JSON value (a trait, an
 * event property, an array element), compares it, and computes a bucket. The compiler
 * (compile.ts) writes every rule through these two objects.
 *
 * Declared exception (docs/architecture-rules.md, "Storage code"): the compiler keeps one SQL
 * dialect per engine, and `ruleSqlFor` below is the one engine check of the segments module
 * outside platform/db. It lives here rather than in platform/db's Dialect because nothing else
 * needs this SQL; Dialect only chooses which one.
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../platform/db/database.js';

/** A boolean SQL expression. */
export type Bool = RawBuilder<SqlBool>;

/** Makes a condition that may be NULL (absent JSON values) two-valued. */
export const known = (x: Bool): Bool => sql<SqlBool>`coalesce(${x}, false)`;

/** A comparison operator as SQL writes it. */
export type Cmp = '=' | '<' | '<=' | '>' | '>=';

/**
 * A JSON value somewhere (a trait, an event property, an array element), with the tests and
 * reads the compiler needs. Each engine builds these from its own JSON functions.
 */
export interface Slot {
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

/** The engine-specific SQL of the rule language (one object per engine). */
export interface RuleSql {
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

/** The rule SQL of the database's engine (the declared exception: see the file comment). */
export function ruleSqlFor(dialect: Dialect): RuleSql {
  return dialect.engine === 'postgres' ? pgRuleSql : sqliteRuleSql;
}
