/**
 * Migrated database templates for the test run, made once by the global setup: a new test
 * database starts as a copy of one instead of running every migration again (on PostgreSQL each
 * migration is a transaction of round trips; ~0.5 s per database, hundreds of databases a run).
 *
 * - SQLite: a migrated database file, copied into the test's data folder.
 * - PostgreSQL: a migrated schema dumped by `pg_dump` (tables, indexes, constraints and the rows
 *   the migrations wrote, the migration records included), its name replaced by a placeholder;
 *   a test's schema is the script run with its own name, in one round trip.
 *
 * The migrations themselves are tested from scratch on both engines by src/server/migrations.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/platform/db/database.js';
import { migrateSiyu } from '../../src/server/migrations.js';

/** What the global setup provides to the test files (vitest `provide` / `inject`). */
export interface TestTemplates {
  /** The migrated SQLite file. */
  sqliteFile: string;
  /** The PostgreSQL schema script, with {@link SCHEMA_PLACEHOLDER} for the schema's name (absent without SIYU_TEST_POSTGRES_URL). */
  postgresScript?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    siyuTemplates: TestTemplates;
  }
}

export const SCHEMA_PLACEHOLDER = '__siyu_template_schema__';

/** Builds the templates in a new folder; returns them and their removal. */
export async function buildTemplates(postgresUrl: string | undefined): Promise<{ templates: TestTemplates; remove: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'siyu-test-templates-'));
  const sqlite = openDatabase({ dataDir: dir, sqliteFile: 'template.db' });
  await migrateSiyu(sqlite.db, 'sqlite');
  await sqlite.close();
  const templates: TestTemplates = { sqliteFile: join(dir, 'template.db') };
  if (postgresUrl) {
    const schema = `siyu_tpl_${randomBytes(6).toString('hex')}`;
    await adminQuery(postgresUrl, `create schema ${schema}`);
    try {
      const d = openDatabase({ databaseUrl: postgresUrl, dataDir: dir, searchPath: schema, poolSize: 2 });
      await migrateSiyu(d.db, 'postgres', { schema });
      await d.close();
      const dump = execFileSync('pg_dump', ['--dbname', postgresUrl, '--schema', schema, '--no-owner', '--no-privileges', '--inserts'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (!dump.includes(`CREATE SCHEMA ${schema};`)) throw new Error(`pg_dump of ${schema} has no CREATE SCHEMA: ${dump.slice(0, 500)}`);
      const file = join(dir, 'postgres.sql');
      // Without psql's meta-commands (pg_dump writes `\restrict <key>` and `\unrestrict` lines since 15.14): SQL only.
      const sqlOnly = dump
        .split('\n')
        .filter((line) => !line.startsWith('\\'))
        .join('\n');
      writeFileSync(file, sqlOnly.split(schema).join(SCHEMA_PLACEHOLDER));
      templates.postgresScript = file;
    } finally {
      await adminQuery(postgresUrl, `drop schema if exists ${schema} cascade`);
    }
  }
  return { templates, remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end().catch(() => {});
  }
}

/** Copies the migrated SQLite template to `<dataDir>/siyu.db`. */
export function copySqliteTemplate(t: TestTemplates, dataDir: string): void {
  copyFileSync(t.sqliteFile, join(dataDir, 'siyu.db'));
}

let script: string | undefined;

/** Creates schema `schema` from the PostgreSQL template, in one round trip. */
export async function createSchemaFromTemplate(t: TestTemplates, url: string, schema: string): Promise<void> {
  if (!t.postgresScript) throw new Error('no PostgreSQL template: the global setup makes one when SIYU_TEST_POSTGRES_URL is set');
  script ??= readFileSync(t.postgresScript, 'utf8');
  await adminQuery(url, script.split(SCHEMA_PLACEHOLDER).join(schema));
}
