import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onInterrupt } from './cleanup.js';

/** A throw-away PostgreSQL database for one benchmark run. */
export interface TempDatabase {
  /** Connection string of the new database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (closing any connection still open to it). */
  drop(): Promise<void>;
}

/** `postgres://...` with the password hidden, for printing. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `postgres://${u.hostname}:${u.port || 5432}${u.pathname}`;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Creates `siyu_bench_<random>` on the server `url` points at (the user needs CREATEDB), so the
 * benchmark starts from empty tables and leaves nothing behind.
 */
export async function createTempDatabase(url: string, prefix = 'siyu_bench'): Promise<TempDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin(url, (c) => c.query(`create database ${name}`));
  const u = new URL(url);
  u.pathname = `/${name}`;
  const drop = onInterrupt(() => admin(url, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined));
  return { url: u.toString(), name, drop };
}

/** The server's version and whether autovacuum (hence autoanalyze) runs, for the report header. */
export async function describeServer(url: string): Promise<{ version: string; autovacuum: boolean }> {
  return admin(url, async (c) => {
    const version = String((await c.query('show server_version')).rows[0].server_version);
    const autovacuum = (await c.query('show autovacuum')).rows[0].autovacuum === 'on';
    return { version, autovacuum };
  });
}

/**
 * A warning when autovacuum is off: then no table is ever analysed, the planner guesses, and the
 * ingest path's `IN (...)` look-ups become scans of the whole workspace (measured: 2,279 events/s
 * at 300k events, 4,753 with ANALYZE every 10 s). Undefined when autovacuum is on.
 */
export function autovacuumNote(server: { autovacuum: boolean }): string | undefined {
  return server.autovacuum
    ? undefined
    : 'note: autovacuum is off on this PostgreSQL server, so tables are never analysed and query plans degrade as they grow (see bench/README.md)';
}
