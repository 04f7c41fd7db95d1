import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { isDatabaseUnavailable, openDatabase } from './database.js';

it('SQLite: the data folder is 0700 and the database, WAL and shared-memory files 0600', async () => {
  const root = mkdtempSync(join(tmpdir(), 'siyu-perm-'));
  const dataDir = join(root, 'data');
  const d = openDatabase({ dataDir });
  await sql`create table t (x integer)`.execute(d.db);
  await sql`insert into t values (1)`.execute(d.db);
  const mode = (f: string) => statSync(f).mode & 0o777;
  expect(mode(dataDir)).toBe(0o700);
  for (const f of ['siyu.db', 'siyu.db-wal', 'siyu.db-shm']) expect(mode(join(dataDir, f)), f).toBe(0o600);
  await d.close();
  rmSync(root, { recursive: true, force: true });
});

it('recognises the errors of a database that is away, and not those of a bad statement', () => {
  expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
  expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  expect(isDatabaseUnavailable(new Error('Query read timeout'))).toBe(true);
  expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
  expect(isDatabaseUnavailable(new Error('migration failed', { cause: Object.assign(new Error('x'), { code: '57P03' }) }))).toBe(true);
  expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
  expect(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
  expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
});
