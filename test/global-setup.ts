import pg from 'pg';

/**
 * When SIYU_TEST_POSTGRES_URL is given, PostgreSQL must answer: fail the whole run loudly
 * instead of skipping the PostgreSQL half of the suite.
 */
export default async function setup(): Promise<void> {
  const url = process.env.SIYU_TEST_POSTGRES_URL;
  if (!url) {
    process.stdout.write('storage tests: SQLite only (set SIYU_TEST_POSTGRES_URL to run them on PostgreSQL too)\n');
    return;
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
}
