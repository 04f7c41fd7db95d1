import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type LogConfig, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Dialect } from './dialect.js';
import { PostgresSchemaDialect, postgresDialect } from './dialect-postgres.js';
import { sqliteDialect } from './dialect-sqlite.js';
import { postgresScanner, type Scanner, sqliteScanner } from './scan.js';
import type { DB } from './schema.js';

export type { Dialect, Engine, Lockable, PairsUpdate } from './dialect.js';
export { isDatabaseUnavailable } from './unavailable.js';

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
    // A connection's error (57P01 on a server restart, a dropped socket) is emitted on the pool
    // while the client is idle, and on the client itself while it is checked out between queries
    // (inside a transaction, a scan): unheard, either would end the process. The query in flight, if
    // any, fails with its own error; the broken client is discarded when it is released.
    pool.on('error', (err) => opts.onPoolError?.(err));
    pool.on('connect', (client) => client.on('error', (err) => opts.onPoolError?.(err)));
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
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachedStatements(raw) }), log: queryLog(opts) });
  return { db, dialect: sqliteDialect(raw), description: `sqlite:${file}`, scan: sqliteScanner(file), close: () => db.destroy() };
}

/** Prepared statements kept per connection; beyond it the least recently used is dropped (lists of varying length make new texts). */
const STATEMENT_CACHE = 500;

/**
 * The connection as Kysely's SQLite driver sees it, with its prepared statements cached by SQL text:
 * the driver prepares every query anew, which is a third of a short statement's cost. Safe because
 * the driver runs one query at a time on its one connection (a stream holds it until it ends), and
 * SQLite prepares a statement again by itself after a schema change.
 */
function cachedStatements(raw: BetterSqlite3.Database): { prepare(sql: string): BetterSqlite3.Statement; close(): void } {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text) {
      let stmt = cache.get(text);
      if (stmt) {
        cache.delete(text);
      } else {
        stmt = raw.prepare(text);
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, stmt);
      return stmt;
    },
    close: () => raw.close(),
  };
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
