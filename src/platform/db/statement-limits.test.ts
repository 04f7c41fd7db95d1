import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, openTestDatabase } from '../../../test/support/engines.js';
import type { Database } from './database.js';
import { isDatabaseUnavailable } from './unavailable.js';
import { isStatementTimeout, limitStatements } from './statement-limits.js';

it('recognises a statement stopped by its time limit, and not a cancel or another error', () => {
  expect(isStatementTimeout(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe(true);
  expect(isStatementTimeout(Object.assign(new Error('canceling statement due to user request'), { code: '57014' }))).toBe(false);
  expect(isStatementTimeout(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'SIYU_STATEMENT_TIMEOUT' }) }))).toBe(true);
  expect(isStatementTimeout(Object.assign(new Error('malformed JSON'), { code: 'SQLITE_ERROR' }))).toBe(false);
  // Elsewhere (an API request's statement) it still reads as "the database is too slow right now".
  expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'SIYU_STATEMENT_TIMEOUT' }))).toBe(true);
});

describeEngines('statement limits', (engine) => {
  let d: Database;
  beforeAll(async () => {
    d = await openTestDatabase(engine);
  });
  afterAll(async () => d?.close());

  const settings = sql`select current_setting('statement_timeout') as t, current_setting('work_mem') as m, current_setting('jit') as j`;
  const limits = { timeoutMs: 250, workMem: '8MB' };

  it('a scan stops a batch that takes longer than its limit, with a statement timeout', async () => {
    const slow =
      engine === 'postgres'
        ? sql`select pg_sleep(5)`
        : sql`with recursive c(x) as (select 1 union all select x + 1 from c where x < 10000000) select count(*) from c`; // about 3 s
    const started = Date.now();
    const read = async () => {
      for await (const _ of d.scan(slow.compile(d.db), 10, undefined, limits));
    };
    const err = await read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStatementTimeout(err), String(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Without limits the same scanner reads as before.
    const rows: unknown[][] = [];
    for await (const batch of d.scan(sql`select 1`.compile(d.db), 10)) rows.push(...batch);
    expect(rows).toEqual([[1]]);
  });

  if (engine === 'postgres') {
    it('PostgreSQL: statement_timeout, work_mem and jit off hold for the transaction only (SET LOCAL)', async () => {
      const before = (await settings.execute(d.db)).rows[0];
      const inScan: unknown[][] = [];
      for await (const batch of d.scan(settings.compile(d.db), 10, undefined, limits)) inScan.push(...batch);
      expect(inScan).toEqual([['250ms', '8MB', 'off']]);
      const inTransaction = await d.db.transaction().execute(async (trx) => {
        await limitStatements(trx, d.dialect, limits);
        return (await settings.execute(trx)).rows[0];
      });
      expect(Object.values(inTransaction as object)).toEqual(['250ms', '8MB', 'off']);
      // The pooled connections are back to their own settings.
      for (let i = 0; i < 4; i++) expect((await settings.execute(d.db)).rows[0]).toEqual(before);
    });
  }
});
