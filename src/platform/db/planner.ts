/**
 * What code tuned by measurement may ask of the engine's query planner, so that it names the need
 * and not the engine: whether the engine plans by statistics that must be kept fresh, reading those
 * statistics, switching a planner strategy off for one statement, and the cheapest way to find the
 * end of a range of keys. Each answers for SQLite and PostgreSQL here (like the Dialect), so code
 * outside platform/db has no engine checks. The segment recompute is their first user: the numbers
 * behind each choice are beside that code (src/segments/recompute-in-place.ts) and in bench/README.md.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from './database.js';

/**
 * True when the engine plans queries by table statistics that bulk writes make stale (PostgreSQL,
 * whose ANALYZE a process may run: see statistics.ts); SQLite here runs without ANALYZE.
 */
export function keepsPlannerStatistics(dialect: Dialect): boolean {
  return dialect.engine === 'postgres';
}

/**
 * Refreshes the planner's statistics of `tables` after a bulk write that rewrote many of their rows
 * (PostgreSQL's ANALYZE, a sample of at most 30,000 rows per table: well under a second); no-op on
 * SQLite. For writes that happen in bursts, not for a steady stream (statistics.ts keeps those).
 */
// Kysely<any>: the tables are the caller's own.
export async function refreshPlannerStatistics(db: Kysely<any>, dialect: Dialect, tables: readonly string[]): Promise<void> {
  if (!keepsPlannerStatistics(dialect) || tables.length === 0) return;
  await sql.raw(`analyze ${tables.join(', ')}`).execute(db);
}

/**
 * True when one write transaction at a time holds the whole database (SQLite; with better-sqlite3
 * the process's thread too): a long write transaction there holds every other writer back, so
 * code that sizes its transactions by time keeps them short.
 */
export function hasSingleWriter(dialect: Dialect): boolean {
  return dialect.engine === 'sqlite';
}

/**
 * PostgreSQL: turns hash aggregation off for the statements that follow in the transaction `trx`,
 * and returns the function that puts the setting back (call it after the one statement that wants
 * it off). Without hash aggregation an id set read from another table (`x in (select ...)`) is made
 * unique by sorting, so the outer table is then probed in key order. No-op on SQLite.
 */
// Kysely<any>: any database type; the statements name no table.
export async function withoutHashAggregation(trx: Kysely<any>, dialect: Dialect): Promise<() => Promise<void>> {
  if (dialect.engine !== 'postgres') return async () => {};
  const r = await sql<{ prev: string }>`select current_setting('enable_hashagg') as prev, set_config('enable_hashagg', 'off', true) as now`.execute(trx);
  const prev = r.rows[0]!.prev;
  return async () => {
    await sql`select set_config('enable_hashagg', ${prev}, true)`.execute(trx);
  };
}

/** Quantiles of a column from the planner's statistics, see {@link keyQuantiles}. */
export interface KeyQuantiles {
  /** The quantiles greater than `after`, in order. */
  bounds: string[];
  /** Rows of the table (all of it, every workspace) between two neighbouring quantiles, about. */
  rowsPerBucket: number;
}

/**
 * PostgreSQL: the quantiles of text column `column` of `table` greater than `after`, from the
 * planner's statistics (pg_stats.histogram_bounds of the last ANALYZE, about a hundred), with the
 * rows between two of them (reltuples / buckets): range bounds without reading the table.
 * Undefined without statistics, and on SQLite (none kept).
 */
// Kysely<any>: any database type; the statements read only the catalogue.
export async function keyQuantiles(db: Kysely<any>, dialect: Dialect, table: string, column: string, after: string): Promise<KeyQuantiles | undefined> {
  if (!keepsPlannerStatistics(dialect)) return undefined;
  const r = await sql<{ bound: string; rows: number | string; buckets: number | string }>`with h as (
      select s.histogram_bounds::text::text[] as bounds from pg_stats as s
      where s.schemaname = current_schema() and s.tablename = ${sql.lit(table)} and s.attname = ${sql.lit(column)})
    select b.bound, (select reltuples from pg_class where oid = ${sql.lit(table)}::regclass) as rows, cardinality(h.bounds) - 1 as buckets
    from h cross join lateral unnest(h.bounds) as b(bound) where b.bound > ${after} order by b.bound`.execute(db);
  const first = r.rows[0];
  if (!first || Number(first.buckets) < 1 || Number(first.rows) <= 0) return undefined;
  return { bounds: r.rows.map((x) => x.bound), rowsPerBucket: Math.max(1, Number(first.rows) / Number(first.buckets)) };
}

/** Where a key range is read: `table`'s rows with `scope[0] = scope[1]`, ordered by the text key `key` (an index's leading columns). */
export interface KeyRangeSource {
  table: string;
  key: string;
  scope: readonly [column: string, value: string];
}

/**
 * The end of the range of the next `size` keys after `after` (`upTo` undefined: fewer are left, the
 * range is open) and how many keys it holds, by a walk of the index. SQLite: the key at that offset,
 * and a count only when fewer are left (an offset walk is the cheap way there); PostgreSQL: count
 * and max of the limited range in one walk.
 */
// Kysely<any>: any database type; the table is named by the caller.
export async function nextKeyRange(
  db: Kysely<any>,
  dialect: Dialect,
  src: KeyRangeSource,
  after: string,
  size: number,
): Promise<{ upTo: string | undefined; size: number }> {
  const [table, key, scope] = [sql.table(src.table), sql.ref(src.key), sql.ref(src.scope[0])];
  const where = sql`${scope} = ${src.scope[1]} and ${key} > ${after}`;
  if (dialect.engine === 'sqlite') {
    const bound = await sql<Record<string, string>>`select ${key} from ${table} where ${where} order by ${key} limit ${1} offset ${size - 1}`.execute(db);
    if (bound.rows[0]) return { upTo: bound.rows[0][src.key], size };
    const r = await sql<{ n: number | string }>`select count(*) as ${sql.ref('n')} from ${table} where ${where}`.execute(db);
    return { upTo: undefined, size: Number(r.rows[0]?.n ?? 0) };
  }
  const r = await sql<{ n: number | string; last: string | null }>`select count(*) as n, max(${key}) as last from
    (select ${key} from ${table} where ${where} order by ${key} limit ${size}) as r`.execute(db);
  const n = Number(r.rows[0]?.n ?? 0);
  return { upTo: n === size ? (r.rows[0]!.last ?? undefined) : undefined, size: n };
}
