import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { buildTemplates } from './support/templates.js';

/**
 * When SIYU_TEST_POSTGRES_URL is given, PostgreSQL must answer: fail the whole run loudly
 * instead of skipping the PostgreSQL half of the suite.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.SIYU_TEST_POSTGRES_URL;
  if (!url) {
    process.stdout.write('storage tests: SQLite only (set SIYU_TEST_POSTGRES_URL to run them on PostgreSQL too)\n');
    return provideTemplates(project, undefined);
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`SIYU_TEST_POSTGRES_URL=${url} is set but PostgreSQL cannot be reached: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
  process.stdout.write(`storage tests: SQLite and PostgreSQL (${new URL(url).host})\n`);
  return provideTemplates(project, url);
}

/** Migrates the run's template databases once (test/support/templates.ts); removed at the end of the run. */
async function provideTemplates(project: TestProject, url: string | undefined): Promise<() => Promise<void>> {
  const { templates, remove } = await buildTemplates(url);
  project.provide('siyuTemplates', templates);
  return remove;
}
