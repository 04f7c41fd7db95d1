import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  PostgresDialect,
  type QueryExecutorProvider,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';
import { alsoSet, type Dialect } from './dialect.js';

/** Column name -> PostgreSQL type name (udt_name: int8, text, jsonb, ...), per table; the same in every Siyu schema. */
const pgColumnTypes = new Map<string, Promise<Map<string, string>>>();

function columnTypes(db: QueryExecutorProvider, table: string): Promise<Map<string, string>> {
  let types = pgColumnTypes.get(table);
  if (!types) {
    types = sql<{
      column_name: string;
      udt_name: string;
    }>`select column_name, udt_name from information_schema.columns where table_schema = current_schema() and table_name = ${table}`
      .execute(db)
      .then((r) => new Map(r.rows.map((c) => [c.column_name, c.udt_name])));
    types.catch(() => pgColumnTypes.delete(table));
    pgColumnTypes.set(table, types);
  }
  return types;
}

/**
 * PostgreSQL bulk insert: `INSERT ... SELECT * FROM unnest($1::type[], $2::type[], ...)` with one
 * array parameter per column, so the statement text is the same whatever the row count and the
 * server parses a handful of parameters instead of tens of thousands. Measured (2,000-event ingest
 * transactions): events 106 -> see docs/scaling.md.
 */
async function insertManyUnnest(
  db: QueryExecutorProvider,
  table: string,
  rows: Record<string, unknown>[],
  conflict?: { columns: string[]; update: string[] },
): Promise<number> {
  if (rows.length === 0) return 0;
  const cols = Object.keys(rows[0]!);
  const types = await columnTypes(db, table);
  const typeOf = (c: string) => {
    const type = types.get(c);
    if (!type) throw new Error(`insertMany: table ${table} has no column ${c}`);
    return sql.raw(type);
  };
  // A column with one value in every row (a workspace id, a batch's template and times) is bound
  // once as a scalar, not as an array of n copies: less to serialise, send and unnest (100,000
  // coupon codes: bench/README.md, `coupons`). Only primitives compare; the others go as arrays.
  const constant = new Set(rows.length > 1 ? cols.filter((c) => isConstant(rows, c)) : []);
  const varying = cols.filter((c) => !constant.has(c));
  const arrays = varying.map((c) => sql`${rows.map((r) => r[c] ?? null)}::${typeOf(c)}[]`);
  let onConflict = sql``;
  if (conflict) {
    const target = sql.join(conflict.columns.map((c) => sql.ref(c)));
    onConflict = conflict.update.length
      ? sql` on conflict (${target}) do update set ${sql.join(conflict.update.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}`
      : sql` on conflict (${target}) do nothing`;
  }
  let select = sql`select * from unnest(${sql.join(arrays)})`;
  if (constant.size > 0) {
    const u = (i: number) => sql.raw(`u${i}`);
    const exprs = cols.map((c) => (constant.has(c) ? sql`${rows[0]![c] ?? null}::${typeOf(c)}` : sql`v.${u(varying.indexOf(c))}`));
    const from =
      varying.length > 0
        ? sql`unnest(${sql.join(arrays)}) as v(${sql.join(varying.map((_, i) => u(i)))})`
        : sql`generate_series(1, ${rows.length}::int) as v(${u(0)})`;
    select = sql`select ${sql.join(exprs)} from ${from}`;
  }
  const res = await sql`insert into ${sql.table(table)} (${sql.join(cols.map((c) => sql.ref(c)))}) ${select}${onConflict}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/** True when every row has the same primitive value (or none) in column `c`. */
function isConstant(rows: readonly Record<string, unknown>[], c: string): boolean {
  const v = rows[0]![c] ?? null;
  if (v !== null && typeof v === 'object') return false;
  for (const r of rows) if ((r[c] ?? null) !== v) return false;
  return true;
}

export const postgresDialect: Dialect = {
  insertMany: (db, table, rows, conflict) => insertManyUnnest(db, table, rows, conflict),
  engine: 'postgres',
  singleProcess: false,
  jsonText: (column, key) => sql<string | null>`(${sql.ref(column)} ->> ${key})`,
  // 40001 serialization failure, 40P01 deadlock, 23505 a concurrent writer inserted the same key first.
  isRetryable: (err) => ['40001', '40P01', '23505', 'SIYU_CONCURRENT_WRITE'].includes((err as { code?: string })?.code ?? ''),
  maxParams: 60_000,
  pairs: (rows) => sql`(select * from unnest(${rows.map((r) => r[0])}::text[], ${rows.map((r) => r[1])}::text[]) as p(from_id, into_id))`,
  idList: (values) => sql`(select unnest(${[...values]}::text[]) as id)`,
  updateFromPairs: async (db, u) => {
    await sql`update ${sql.table(u.table)} set ${sql.ref(u.set)} = m.into_id${alsoSet(u.also)} from ${u.pairs} as m
            where ${sql.ref(u.table + '.workspace_id')} = ${u.workspaceId} and ${sql.ref(u.table + '.' + u.match)} = m.from_id`.execute(db);
  },
  concurrentWriters: true,
  needsAnalyze: true,
  forUpdate: (q) => q.forUpdate(),
  claim: (q) => q.forUpdate().skipLocked(),
  claimSuffix: sql` for update skip locked`,
  advisoryXactLock: async (trx, key) => {
    await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
  },
};

/**
 * Kysely's PostgreSQL introspector lists the tables of every schema of the database and calls
 * `has_schema_privilege` on each schema it sees: a schema dropped meanwhile by another process
 * (tests create and drop a schema per file, several at a time) makes it fail with "schema ... does
 * not exist". The migrator only asks whether its own two tables exist, so this one looks at the
 * current schema alone, through pg_catalog (no privilege functions, no other schemas).
 */
class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}
  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = current_schema()`.execute(this.db);
    return r.rows;
  }
  async getTables(): Promise<TableMetadata[]> {
    const r = await sql<{ schema: string; name: string; kind: string }>`
      select n.nspname as schema, c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'v', 'p')`.execute(this.db);
    return r.rows.map((t) => ({ schema: t.schema, name: t.name, isView: t.kind === 'v', columns: [] }));
  }
  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

/** PostgreSQL through Kysely, with the introspector of the current schema only (see above). */
export class PostgresSchemaDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}
