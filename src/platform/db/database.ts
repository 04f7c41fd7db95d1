import { createHash } from 'node:crypto';
import { postgresScanner, type Scanner, sqliteScanner } from './scan.js';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  Kysely,
  type LogConfig,
  PostgresDialect,
  type QueryExecutorProvider,
  type RawBuilder,
  type SchemaMetadata,
  SqliteDialect,
  sql,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

/** The two storage engines Siyu runs on. */
export type Engine = 'sqlite' | 'postgres';

/** Everything that differs between SQLite and PostgreSQL, in one place. */
export interface Dialect {
  readonly engine: Engine;
  /**
   * True where one process owns the database (SQLite): whatever a previous run of this process
   * left claimed or leased can be taken back at start. False on PostgreSQL, where other processes
   * may be alive and holding their claims.
   */
  readonly singleProcess: boolean;
  /** `column ->> key` as text, for JSON columns. */
  jsonText(column: string, key: string): RawBuilder<string | null>;
  /** True for errors that a retried transaction may not hit again (serialization, deadlock, concurrent insert). */
  isRetryable(err: unknown): boolean;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParams: number;
  /**
   * A derived table `(from_id, into_id)` of text pairs bound as one parameter, for set-based
   * updates (`update t set ... from <pairs> as m where t.x = m.from_id`).
   */
  pairs(rows: readonly (readonly [string, string])[]): RawBuilder<unknown>;
  /** A derived table with one text column `id` holding `values` (one bound parameter whatever their number). */
  idList(values: readonly string[]): RawBuilder<unknown>;
  /**
   * Set-based update from a {@link Dialect.pairs} table: in `table`, rows of the workspace whose
   * `match` column equals a pair's `from_id` get that pair's `into_id` in column `set` (and the
   * `also` values). PostgreSQL joins the pairs (`UPDATE ... FROM`, a hash or nested loop on the
   * index); SQLite's planner would scan the table for `UPDATE ... FROM`, so there the rows are found
   * through the index by `IN` and the new value is a correlated look-up.
   */
  updateFromPairs(db: QueryExecutorProvider, u: PairsUpdate): Promise<void>;
  /**
   * True where several transactions write at the same time (PostgreSQL); false with one writer at
   * a time (SQLite), where a second concurrent write transaction would only wait for the first.
   */
  readonly concurrentWriters: boolean;
  /**
   * True where tables grown by bulk writes need ANALYZE to keep good plans (PostgreSQL; see
   * statistics.ts); SQLite's plans for Siyu's queries do not depend on table statistics.
   */
  readonly needsAnalyze: boolean;
  /**
   * Inserts many rows of one shape inside the caller's transaction; returns how many were written.
   * `conflict.update` empty means `ON CONFLICT DO NOTHING`, otherwise those columns take the new values.
   */
  insertMany<T extends keyof DB & string>(
    db: QueryExecutorProvider,
    table: T,
    rows: Record<string, unknown>[],
    conflict?: { columns: string[]; update: string[] },
  ): Promise<number>;
  /**
   * Locks the rows a select reads until the transaction ends: `FOR UPDATE` on PostgreSQL; on
   * SQLite the query as it is (its single writer already excludes every other writer).
   */
  forUpdate<Q extends Lockable<Q>>(query: Q): Q;
  /**
   * Claims due rows for one worker: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers in several
   * processes take different rows without waiting; on SQLite the query as it is (one writer).
   */
  claim<Q extends Lockable<Q>>(query: Q): Q;
  /** The same claim as a suffix for a raw select (`select ... ${dialect.claimSuffix}`). */
  readonly claimSuffix: RawBuilder<unknown>;
  /**
   * Holds a lock on `key` until the caller's transaction ends (`pg_advisory_xact_lock` of its hash
   * on PostgreSQL); nothing on SQLite, whose single writer already serialises transactions.
   */
  advisoryXactLock(trx: Kysely<any>, key: string): Promise<void>;
}

/** One {@link Dialect.updateFromPairs} statement. */
export interface PairsUpdate {
  table: string;
  /** The column that takes the pair's `into_id`. */
  set: string;
  /** The column compared with the pair's `from_id`. */
  match: string;
  workspaceId: string;
  /** A {@link Dialect.pairs} table. */
  pairs: RawBuilder<unknown>;
  /** Other columns set to fixed values by the same statement. */
  also?: Record<string, string | number>;
}

/** `, col = value` for each of `also` (empty when there is none). */
function alsoSet(also: PairsUpdate['also']): RawBuilder<unknown> {
  const entries = Object.entries(also ?? {});
  return sql.join(
    entries.map(([c, v]) => sql`, ${sql.ref(c)} = ${v}`),
    sql``,
  );
}

/** A select query builder (anything with Kysely's `forUpdate().skipLocked()`). */
export interface Lockable<Q> {
  forUpdate(): Q & { skipLocked(): Q };
}

/** An open database: Kysely plus the engine's dialect helpers. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** A short description safe for logs (no password). */
  readonly description: string;
  /** Reads one long query in batches off the JavaScript thread (see scan.ts). */
  readonly scan: Scanner;
  close(): Promise<void>;
}

// pg returns int8 as strings; Siyu's bigints are epoch millis and fen, well inside 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

/**
 * SQLite's bulk writes run one cached prepared statement per row on the raw connection. This is
 * safe inside a Kysely transaction because the SQLite driver has a single connection, held by the
 * transaction while it runs. Measured (2 cores, 50k events through the ingest path): 6 µs per row
 * against 16 µs per row for multi-row statements built by Kysely, whose compile cost grows with rows.
 */
function sqliteDialect(raw: BetterSqlite3.Database): Dialect {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    ...sqliteBase,
    async insertMany(_db, table, rows, conflict) {
      if (rows.length === 0) return 0;
      const cols = Object.keys(rows[0]!);
      const key = `${table}|${cols.join(',')}|${conflict ? conflict.columns.join(',') + '|' + conflict.update.join(',') : ''}`;
      let stmt = cache.get(key);
      if (!stmt) {
        const q = (c: string) => `"${c}"`;
        let text = `insert into ${q(table)} (${cols.map(q).join(', ')}) values (${cols.map(() => '?').join(', ')})`;
        if (conflict) {
          text += ` on conflict (${conflict.columns.map(q).join(', ')}) do `;
          text += conflict.update.length ? `update set ${conflict.update.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}` : 'nothing';
        }
        stmt = raw.prepare(text);
        cache.set(key, stmt);
      }
      let written = 0;
      for (const row of rows) written += stmt.run(cols.map((c) => row[c] as unknown)).changes;
      return written;
    },
  };
}

const sqliteBase = {
  engine: 'sqlite' as const,
  singleProcess: true,
  // Like PostgreSQL's ->>: booleans as 'true'/'false' (json_extract would give 1/0), numbers as text.
  jsonText: (column: string, key: string) => {
    const path = '$.' + JSON.stringify(key);
    return sql<
      string | null
    >`(case json_type(${sql.ref(column)}, ${path}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${sql.ref(column)}, ${path}) as text) end)`;
  },
  isRetryable: (err: unknown) => {
    const code = (err as { code?: string })?.code ?? '';
    return code.startsWith('SQLITE_BUSY') || code === 'SIYU_CONCURRENT_WRITE';
  },
  maxParams: 32_000,
  pairs: (rows: readonly (readonly [string, string])[]) =>
    sql`(select json_extract(value, '$[0]') as from_id, json_extract(value, '$[1]') as into_id from json_each(${JSON.stringify(rows)}))`,
  idList: (values: readonly string[]) => sql`(select value as id from json_each(${JSON.stringify(values)}))`,
  updateFromPairs: async (db: QueryExecutorProvider, u: PairsUpdate) => {
    const m = u.pairs;
    await sql`update ${sql.table(u.table)} set ${sql.ref(u.set)} = (select m.into_id from ${m} as m where m.from_id = ${sql.ref(u.table + '.' + u.match)})${alsoSet(u.also)}
            where workspace_id = ${u.workspaceId} and ${sql.ref(u.match)} in (select from_id from ${m} as m)`.execute(db);
  },
  concurrentWriters: false,
  needsAnalyze: false,
  forUpdate: <Q>(q: Q) => q,
  claim: <Q>(q: Q) => q,
  claimSuffix: sql``,
  advisoryXactLock: async () => {},
};

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
  const arrays = cols.map((c) => {
    const type = types.get(c);
    if (!type) throw new Error(`insertMany: table ${table} has no column ${c}`);
    return sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(type)}[]`;
  });
  let onConflict = sql``;
  if (conflict) {
    const target = sql.join(conflict.columns.map((c) => sql.ref(c)));
    onConflict = conflict.update.length
      ? sql` on conflict (${target}) do update set ${sql.join(conflict.update.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}`
      : sql` on conflict (${target}) do nothing`;
  }
  const res =
    await sql`insert into ${sql.table(table)} (${sql.join(cols.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})${onConflict}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

const postgresDialect: Dialect = {
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

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** PostgreSQL schema to use (tests give each file its own). */
  searchPath?: string;
  /** SQLite file name inside dataDir. */
  sqliteFile?: string;
  /** Called after every query with its SQL and duration (for profiling and query logs). */
  onQuery?: (sql: string, ms: number) => void;
  /**
   * PostgreSQL time limits in milliseconds (0 or absent: none). `connectMs`: waiting for a
   * connection, new or from a full pool; `statementMs`: the server's statement_timeout;
   * `queryMs`: the client's own limit on a query, which also holds when the server is frozen and
   * answers nothing. A query past a limit fails with an error `isDatabaseUnavailable` recognises.
   */
  timeouts?: { connectMs?: number; statementMs?: number; queryMs?: number };
  /**
   * Told about an error of an idle pooled connection (the server restarted, the network dropped);
   * the pool discards that connection and opens a new one when next needed. Without a listener
   * such an error would end the process.
   */
  onPoolError?: (err: Error) => void;
}

const UNAVAILABLE_CODES = new Set([
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection exceptions, too many connections, query canceled (statement timeout)
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  '57014',
  // Node sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  // SQLite: the database stayed locked past busy_timeout
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_TIMEOUT',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended unexpectedly|terminating connection/i;

/**
 * True for errors that mean the database is away or too slow right now (restarting, frozen,
 * unreachable, out of connections, a statement past its timeout), not that the request was wrong:
 * the HTTP layer answers them with 503 and Retry-After, and workers retry them on their next pass.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

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
class PostgresSchemaDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

/** Opens SQLite under `dataDir` (WAL, synchronous=NORMAL) or PostgreSQL when a URL is given. */
export function openDatabase(opts: OpenOptions): Database {
  if (opts.databaseUrl) {
    const t = opts.timeouts ?? {};
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      keepAlive: true,
      ...(t.connectMs ? { connectionTimeoutMillis: t.connectMs } : {}),
      ...(t.queryMs ? { query_timeout: t.queryMs } : {}),
      ...(t.statementMs ? { statement_timeout: t.statementMs } : {}),
      ...(opts.searchPath ? { options: `-c search_path=${opts.searchPath}` } : {}),
    });
    // An idle client's error (57P01 on a server restart, a dropped socket) is emitted on the pool;
    // unheard, it would end the process. The pool has already discarded that client.
    pool.on('error', (err) => opts.onPoolError?.(err));
    const db = new Kysely<DB>({ dialect: new PostgresSchemaDialect({ pool }), log: queryLog(opts) });
    const url = new URL(opts.databaseUrl);
    return {
      db,
      dialect: postgresDialect,
      description: `postgres://${url.hostname}:${url.port || 5432}${url.pathname}${opts.searchPath ? ` (schema ${opts.searchPath})` : ''}`,
      scan: postgresScanner(pool),
      close: () => db.destroy(),
    };
  }
  const file = join(opts.dataDir, opts.sqliteFile ?? 'siyu.db');
  ownerOnlyFiles(opts.dataDir, file);
  const raw = new BetterSqlite3(file);
  // WAL with synchronous=NORMAL: a committed transaction survives a crash of the process (kill -9);
  // only an operating-system crash or power loss can lose the last commits.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  // Checkpoint the WAL every ~40 MB instead of SQLite's default ~4 MB: measured on 2 cores,
  // 2,000-row transactions went from 22,600 to 48,500 rows/s (checkpoints fsync the database file).
  raw.pragma('wal_autocheckpoint = 10000');
  raw.pragma('cache_size = -65536');
  // The segment rule language's stable random bucket (PostgreSQL computes it with md5 in SQL):
  // first 8 hex digits of md5(salt + ":" + profile id) as an unsigned 32-bit integer, mod 100.
  raw.function(
    'siyu_bucket',
    { deterministic: true },
    (salt: unknown, id: unknown) =>
      parseInt(
        createHash('md5')
          .update(`${String(salt)}:${String(id)}`)
          .digest('hex')
          .slice(0, 8),
        16,
      ) % 100,
  );
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }), log: queryLog(opts) });
  return { db, dialect: sqliteDialect(raw), description: `sqlite:${file}`, scan: sqliteScanner(file), close: () => db.destroy() };
}

/**
 * The data folder is the owner's only (0700) and the database file too (0600): it holds customer
 * data. SQLite gives its -wal and -shm files the database file's mode. Existing files are
 * tightened as well.
 */
function ownerOnlyFiles(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

function queryLog(opts: OpenOptions): LogConfig | undefined {
  const on = opts.onQuery;
  return on ? (e) => on(e.query.sql, e.queryDurationMillis) : undefined;
}

/** Parses a JSON column value (a string on SQLite, already an object on PostgreSQL). */
export function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Runs `fn` in a transaction, retrying a few times on errors the dialect calls retryable. */
export async function withRetries<T>(database: Database, fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !database.dialect.isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 2 ** i + Math.random() * 10));
    }
  }
}
