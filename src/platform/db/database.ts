import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, type RawBuilder, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

/** The two storage engines Siyu runs on. */
export type Engine = 'sqlite' | 'postgres';

/** Everything that differs between SQLite and PostgreSQL, in one place. */
export interface Dialect {
  readonly engine: Engine;
  /** `column ->> key` as text, for JSON columns. */
  jsonText(column: string, key: string): RawBuilder<string | null>;
  /** True for errors that a retried transaction may not hit again (serialization, deadlock, concurrent insert). */
  isRetryable(err: unknown): boolean;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParams: number;
}

/** An open database: Kysely plus the engine's dialect helpers. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** A short description safe for logs (no password). */
  readonly description: string;
  close(): Promise<void>;
}

// pg returns int8 as strings; Siyu's bigints are epoch millis and fen, well inside 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

const sqliteDialect: Dialect = {
  engine: 'sqlite',
  jsonText: (column, key) => sql<string | null>`json_extract(${sql.ref(column)}, ${'$.' + JSON.stringify(key)})`,
  isRetryable: (err) => {
    const code = (err as { code?: string })?.code ?? '';
    return code.startsWith('SQLITE_BUSY') || code === 'SIYU_CONCURRENT_WRITE';
  },
  maxParams: 32_000,
};

const postgresDialect: Dialect = {
  engine: 'postgres',
  jsonText: (column, key) => sql<string | null>`(${sql.ref(column)} ->> ${key})`,
  // 40001 serialization failure, 40P01 deadlock, 23505 a concurrent writer inserted the same key first.
  isRetryable: (err) => ['40001', '40P01', '23505', 'SIYU_CONCURRENT_WRITE'].includes((err as { code?: string })?.code ?? ''),
  maxParams: 60_000,
};

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** PostgreSQL schema to use (tests give each file its own). */
  searchPath?: string;
  /** SQLite file name inside dataDir. */
  sqliteFile?: string;
}

/** Opens SQLite under `dataDir` (WAL, synchronous=NORMAL) or PostgreSQL when a URL is given. */
export function openDatabase(opts: OpenOptions): Database {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      ...(opts.searchPath ? { options: `-c search_path=${opts.searchPath}` } : {}),
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    const url = new URL(opts.databaseUrl);
    return {
      db,
      dialect: postgresDialect,
      description: `postgres://${url.hostname}:${url.port || 5432}${url.pathname}${opts.searchPath ? ` (schema ${opts.searchPath})` : ''}`,
      close: () => db.destroy(),
    };
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const file = join(opts.dataDir, opts.sqliteFile ?? 'siyu.db');
  const raw = new BetterSqlite3(file);
  // WAL with synchronous=NORMAL: a committed transaction survives a crash of the process (kill -9);
  // only an operating-system crash or power loss can lose the last commits.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('cache_size = -65536');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }) });
  return { db, dialect: sqliteDialect, description: `sqlite:${file}`, close: () => db.destroy() };
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
