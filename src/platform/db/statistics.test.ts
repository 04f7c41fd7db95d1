import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, openTestDatabase } from '../../../test/support/engines.js';
import type { Database } from './database.js';
import { createStatisticsKeeper } from './statistics.js';

describe('statistics keeper', () => {
  let d: (Database & { dataDir: string }) | undefined;
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  const warnings = () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    return { log, lines };
  };

  if (ENGINES.includes('postgres')) {
    it('analyses after 1,000 + 10% of the table, counted from the last ANALYZE, in the background [postgres]', async () => {
      d = await openTestDatabase('postgres');
      const db = d.db;
      await sql`create table stats_probe (id integer primary key)`.execute(db);
      const fill = (from: number, to: number) => sql`insert into stats_probe select g from generate_series(${from}::int, ${to}::int) as g`.execute(db);
      const rows = async () =>
        Number((await sql<{ n: number }>`select reltuples as n from pg_class where oid = 'stats_probe'::regclass`.execute(db)).rows[0]!.n);
      const { log, lines } = warnings();
      const keeper = createStatisticsKeeper(db, { measure: 'stats_probe', log });

      await fill(1, 999);
      keeper.wrote(999);
      await keeper.idle();
      expect(await rows()).toBeLessThanOrEqual(0); // below 1,000: never analysed (-1 on PostgreSQL 14+)

      await fill(1000, 1500);
      keeper.wrote(501); // 1,500 since the start: past 1,000 + 10% of an empty table
      await keeper.idle();
      expect(await rows()).toBe(1500);

      await fill(1501, 2500);
      keeper.wrote(1000); // the threshold is now 1,000 + 150
      await keeper.idle();
      expect(await rows()).toBe(1500);
      keeper.wrote(200); // 1,200 since the ANALYZE
      await keeper.idle();
      expect(await rows()).toBe(2500);
      expect(lines).toEqual([]);
    });

    it("analyses when one workspace's rows pass 1,000 + 10% of what the planner believes it holds, spaced, and settles at a bulk write's end [postgres]", async () => {
      d = await openTestDatabase('postgres');
      const db = d.db;
      await sql`create table stats_ws (workspace_id text not null, id integer not null)`.execute(db);
      const fill = (ws: string, n: number) => sql`insert into stats_ws select ${ws}, g from generate_series(1, ${n}::int) as g`.execute(db);
      const known = async (ws: string) => {
        const r = await sql<{ vals: string[] | null }>`
          select most_common_vals::text::text[] as vals from pg_stats where tablename = 'stats_ws' and attname = 'workspace_id'`.execute(db);
        return (r.rows[0]?.vals ?? []).includes(ws);
      };
      await fill('ws_big', 50_000);
      await sql`analyze stats_ws`.execute(db);
      let clock = 0;
      const { log, lines } = warnings();
      const keeper = createStatisticsKeeper(db, { measure: 'stats_ws', log, now: () => clock });

      // 2,000 rows: far below 10% of the table, but the planner believed the workspace empty.
      await fill('ws_new', 2000);
      keeper.wrote(2000, 'ws_new');
      await keeper.idle();
      expect(await known('ws_new')).toBe(true);

      // A second new workspace within the spacing waits, unless a bulk write settles it.
      clock += 1000;
      await fill('ws_next', 2000);
      keeper.wrote(2000, 'ws_next');
      await keeper.idle();
      expect(await known('ws_next')).toBe(false);
      await keeper.settle();
      expect(await known('ws_next')).toBe(true);

      // A workspace the planner knows at 2,000 rows calls for one after 1,200 more, not fewer.
      clock += 60_000;
      await fill('ws_new', 1100);
      keeper.wrote(1100, 'ws_new');
      await keeper.settle();
      const rows = async () => Number((await sql<{ n: number }>`select reltuples as n from pg_class where oid = 'stats_ws'::regclass`.execute(db)).rows[0]!.n);
      expect(await rows()).toBe(54_000);
      await fill('ws_new', 200);
      keeper.wrote(200, 'ws_new');
      await keeper.idle();
      expect(await rows()).toBe(55_300);
      expect(lines).toEqual([]);
    });

    it('logs a failed ANALYZE and goes on [postgres]', async () => {
      d = await openTestDatabase('postgres');
      const { log, lines } = warnings();
      const keeper = createStatisticsKeeper(d.db, { measure: 'no_such_table', log });
      keeper.wrote(5000);
      await keeper.idle();
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'analyze failed', tables: ['no_such_table'] });
    });
  }

  it('does nothing when disabled [sqlite]', async () => {
    d = await openTestDatabase('sqlite');
    const { log, lines } = warnings();
    // Enabled, this would query pg_class, which SQLite does not have, and log the failure.
    const keeper = createStatisticsKeeper(d.db, { measure: 'events', log, enabled: false });
    keeper.wrote(1_000_000);
    await keeper.idle();
    expect(lines).toEqual([]);
    const enabled = createStatisticsKeeper(d.db, { measure: 'events', log });
    enabled.wrote(1_000_000);
    await enabled.idle();
    expect(lines).toHaveLength(1);
  });
});
