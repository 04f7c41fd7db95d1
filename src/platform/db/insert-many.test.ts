import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, openTestDatabase } from '../../../test/support/engines.js';
import type { Database } from './database.js';

// The dialects' bulk insert: on PostgreSQL a column with one value in every row goes as a scalar,
// the others as unnest arrays; every shape must store exactly the rows given.
describe.each(ENGINES)('insertMany [%s]', (engine) => {
  let d: (Database & { dataDir: string }) | undefined;
  afterEach(async () => {
    await d?.close();
    d = undefined;
  });

  it('stores constant and varying columns, nulls, JSON and booleans alike; a conflict leaves the stored row', async () => {
    d = await openTestDatabase(engine);
    const db = d.db;
    const json = engine === 'postgres' ? sql.raw('jsonb') : sql.raw('text');
    const bool = engine === 'postgres' ? sql.raw('boolean') : sql.raw('integer');
    await sql`create table im_probe (ws text not null, id text not null, n bigint, flag ${bool}, payload ${json}, note text, primary key (ws, id))`.execute(db);
    const insert = (rows: Record<string, unknown>[], conflict?: { columns: string[]; update: string[] }) =>
      d!.dialect.insertMany(db, 'im_probe' as never, rows, conflict);
    const flag = (b: boolean) => (engine === 'postgres' ? b : b ? 1 : 0);
    // Constant ws, n, flag and note (null); varying id and payload.
    const many = Array.from({ length: 50 }, (_, i) => ({ ws: 'w1', id: `a${i}`, n: 7, flag: flag(true), payload: JSON.stringify({ i }), note: null }));
    expect(await insert(many)).toBe(50);
    // Every column constant but one; then one row (every column "constant").
    expect(await insert([1, 2, 3].map((i) => ({ ws: 'w2', id: `b${i}`, n: 9_007_199_254_740_991, flag: flag(false), payload: '{"x":1}', note: 'same' })))).toBe(
      3,
    );
    expect(await insert([{ ws: 'w3', id: 'c', n: null, flag: null, payload: null, note: 'one' }])).toBe(1);
    // A conflict on a constant key: nothing written, the stored rows kept; with an update, the new values.
    const again = [
      { ws: 'w2', id: 'b1', n: 1, flag: flag(true), payload: '{}', note: 'other' },
      { ws: 'w2', id: 'b4', n: 1, flag: flag(true), payload: '{}', note: 'other' },
    ];
    expect(await insert(again, { columns: ['ws', 'id'], update: [] })).toBe(1);
    await insert([{ ws: 'w3', id: 'c', n: 5, flag: null, payload: null, note: 'updated' }], { columns: ['ws', 'id'], update: ['n', 'note'] });
    const rows = (await sql<{ ws: string; id: string; n: unknown; flag: unknown; payload: unknown; note: string | null }>`select * from im_probe`.execute(db))
      .rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(rows).toHaveLength(55);
    const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    for (let i = 0; i < 50; i++) {
      const r = byId.get(`a${i}`)!;
      expect([r.ws, Number(r.n), Boolean(r.flag), parsed(r.payload), r.note]).toEqual(['w1', 7, true, { i }, null]);
    }
    expect([Number(byId.get('b2')!.n), Boolean(byId.get('b2')!.flag), byId.get('b2')!.note]).toEqual([9_007_199_254_740_991, false, 'same']);
    expect([byId.get('b1')!.note, byId.get('b4')!.note]).toEqual(['same', 'other']);
    expect([Number(byId.get('c')!.n), byId.get('c')!.flag, byId.get('c')!.note]).toEqual([5, null, 'updated']);
  });
});
