import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Engine } from '../../src/platform/db/database.js';

/** Where an end-to-end test's server processes keep their data, and the environment they get. */
export interface E2eEnvironment {
  dataDir: string;
  /** SIYU_DATA_DIR, SIYU_ENCRYPTION_KEY, DATABASE_URL on PostgreSQL, plus the test's own. */
  env: Record<string, string>;
  /** Removes the data folder and drops the PostgreSQL database. */
  close(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: process.env.SIYU_TEST_POSTGRES_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A fresh place for `siyu serve` processes of one test: a temporary data folder, and on
 * PostgreSQL a database of its own (server processes take DATABASE_URL, not a schema).
 */
export async function createE2eEnvironment(
  engine: Engine,
  opts: { prefix: string; encryptionKey: string; env?: Record<string, string> },
): Promise<E2eEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), `siyu-e2e-${opts.prefix}-`));
  const env: Record<string, string> = { SIYU_DATA_DIR: dataDir, SIYU_ENCRYPTION_KEY: opts.encryptionKey, ...opts.env };
  let dbName: string | undefined;
  if (engine === 'postgres') {
    dbName = `siyu_e2e_${randomBytes(5).toString('hex')}`;
    await admin((c) => c.query(`create database ${dbName}`));
    const url = new URL(process.env.SIYU_TEST_POSTGRES_URL!);
    url.pathname = `/${dbName}`;
    env.DATABASE_URL = url.toString();
  }
  return {
    dataDir,
    env,
    close: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      if (dbName) await admin((c) => c.query(`drop database if exists ${dbName} with (force)`));
    },
  };
}

/** Polls `read` every 100 ms until `ok` holds, or fails naming `what` with the last value seen. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
