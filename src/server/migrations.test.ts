import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../platform/db/database.js';
import { composeMigrations } from '../platform/db/migrations.js';
import { describeEngines, openTestDatabase } from '../../test/support/engines.js';
import { migrateSiyu, siyuMigrations } from './migrations.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/previous-release');

/** Tables, columns and indexes as the engine reports them, in a stable order. */
async function schemaOf(db: Kysely<any>, engine: 'sqlite' | 'postgres'): Promise<string[]> {
  if (engine === 'sqlite') {
    const r = await sql<{
      type: string;
      name: string;
      sql: string | null;
    }>`select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`.execute(db);
    return r.rows.map((x) => `${x.type} ${x.name}: ${x.sql}`);
  }
  const cols = await sql<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>`select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = current_schema() order by table_name, column_name`.execute(
    db,
  );
  const idx = await sql<{
    indexname: string;
    indexdef: string;
  }>`select indexname, indexdef from pg_indexes where schemaname = current_schema() order by indexname`.execute(db);
  const strip = (s: string) => s.replace(/\bsiyu_[a-z0-9_]+\./g, '');
  return [
    ...cols.rows.map((c) => `column ${c.table_name}.${c.column_name} ${c.data_type} ${c.is_nullable} ${c.column_default ?? ''}`),
    ...idx.rows.map((i) => `index ${i.indexname}: ${strip(i.indexdef)}`),
  ];
}

/** Opens a database holding the previous release's dump. */
async function openPreviousRelease(engine: 'sqlite' | 'postgres'): Promise<{ database: Database; schema?: string; close: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'siyu-prev-'));
  if (engine === 'sqlite') {
    const raw = new BetterSqlite3(join(dataDir, 'siyu.db'));
    raw.exec(readFileSync(join(fixtures, 'sqlite.sql'), 'utf8'));
    raw.close();
    const database = openDatabase({ dataDir });
    return { database, close: async () => (await database.close(), rmSync(dataDir, { recursive: true, force: true })) };
  }
  const url = process.env.SIYU_TEST_POSTGRES_URL!;
  const schema = `siyu_prev_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(readFileSync(join(fixtures, 'postgres.sql'), 'utf8').replaceAll('__SCHEMA__', schema));
  await admin.end();
  const database = openDatabase({ databaseUrl: url, dataDir, searchPath: schema, poolSize: 2 });
  return {
    database,
    schema,
    close: async () => {
      await database.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

it('every migration name is owned once per module, and the composed list keeps the previous release order', () => {
  const names = Object.keys(composeMigrations(siyuMigrations('sqlite')));
  expect(names).toEqual([...names].sort());
  // The names of the previous release, in its order (test/fixtures/previous-release).
  const previous = [...readFileSync(join(fixtures, 'sqlite.sql'), 'utf8').matchAll(/INSERT INTO kysely_migration VALUES\('([^']+)'/g)].map((m) => m[1]);
  expect(previous.length).toBeGreaterThan(10);
  expect(names.slice(0, previous.length)).toEqual(previous);
});

describeEngines('migrating a database made by the previous release', (engine) => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('applies nothing it already has, ends with the schema of a fresh database, and keeps its rows', async () => {
    const prev = await openPreviousRelease(engine);
    closers.push(prev.close);
    const applied = await migrateSiyu(prev.database.db, engine, prev.schema ? { schema: prev.schema } : {});
    const fresh = await openTestDatabase(engine);
    closers.push(fresh.close);
    const all = Object.keys(composeMigrations(siyuMigrations(engine)));
    const before = all.length - applied.length;
    expect(applied).toEqual(all.slice(before));
    expect(await schemaOf(prev.database.db, engine)).toEqual(await schemaOf(fresh.db, engine));
    const count = async (table: string) =>
      Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(prev.database.db)).rows[0]!.n);
    expect(await count('workspaces')).toBe(1);
    expect(await count('events')).toBe(3);
    expect(await count('segments')).toBe(1);
    expect(await count('orders')).toBe(1);
  });
});
