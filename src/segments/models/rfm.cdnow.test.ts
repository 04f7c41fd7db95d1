/**
 * Validates RFM on a real purchase history: the CDNOW master file (23,570 customers, 69,659
 * purchases, 1997-01 to 1998-06), imported through the normal orders import, scored as of
 * 1998-07-01, and checked cell by cell — and customer by customer — against a calculation written
 * here directly over the parsed file, sharing no code with the module.
 *
 * Mapping: each line of the file is one order (order id `cdnow-<line>`, user_id
 * `cdnow-<customer id>`, ordered at the date's UTC midnight, total = dollar_value as yuan/dollars).
 * Lines with dollar_value 0 (80 of them) are orders of 0 fen: they count in F, not in M. Several
 * lines of one customer on one date stay separate orders, as in the file.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importDeps, runImport } from '../../cdp/index.js';
import { createTestApp, describeEngines, type TestApp } from '../../../test/support/engines.js';
import { computeModels, rfmReport } from './index.js';

const FILE = new URL('../../../test/fixtures/cdnow/CDNOW_master.txt', import.meta.url);
const AS_OF = Date.UTC(1998, 6, 1);
const CELLS = [
  'important_value',
  'important_develop',
  'important_retain',
  'important_winback',
  'general_value',
  'general_develop',
  'general_retain',
  'general_winback',
];

interface Purchase {
  customer: string;
  date: string;
  dollars: string;
}

function parse(): Purchase[] {
  const lines = readFileSync(FILE, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.trim());
  return lines.map((l) => {
    const [customer, date, , dollars] = l.trim().split(/\s+/);
    return { customer: customer!, date: date!, dollars: dollars! };
  });
}

/** "11.77" -> 1177, without floating point. */
const cents = (dollars: string) => {
  const [whole, frac = ''] = dollars.split('.');
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2));
};

/** The expected RFM of every customer, computed from the definition in docs/models.md. */
function expected(purchases: Purchase[]) {
  const byCustomer = new Map<string, { orders: number; fen: number; last: number }>();
  for (const p of purchases) {
    const c = byCustomer.get(p.customer) ?? { orders: 0, fen: 0, last: -Infinity };
    c.orders += 1;
    c.fen += cents(p.dollars);
    c.last = Math.max(c.last, Date.UTC(Number(p.date.slice(0, 4)), Number(p.date.slice(4, 6)) - 1, Number(p.date.slice(6, 8))));
    byCustomer.set(p.customer, c);
  }
  const customers = [...byCustomer].map(([id, c]) => ({ id, days: Math.round((AS_OF - c.last) / 86_400_000), orders: c.orders, fen: c.fen }));
  const n = customers.length;
  // Sorted worst first; threshold k = value at position ceil(k * n / 5).
  const quintiles = (values: number[], worstFirst: (a: number, b: number) => number) => {
    const sorted = [...values].sort(worstFirst);
    return [1, 2, 3, 4].map((k) => sorted[Math.ceil((k * n) / 5) - 1]!);
  };
  const r = quintiles(
    customers.map((c) => c.days),
    (a, b) => b - a,
  );
  const f = quintiles(
    customers.map((c) => c.orders),
    (a, b) => a - b,
  );
  const m = quintiles(
    customers.map((c) => c.fen),
    (a, b) => a - b,
  );
  const cellOf = new Map<string, string>();
  const cells = new Map(CELLS.map((c) => [c, { count: 0, revenueFen: 0 }]));
  for (const c of customers) {
    const rs = 1 + r.filter((t) => c.days < t).length;
    const fs = 1 + f.filter((t) => c.orders > t).length;
    const ms = 1 + m.filter((t) => c.fen > t).length;
    const cell = `${ms >= 3 ? 'important' : 'general'}_${rs >= 3 ? (fs >= 3 ? 'value' : 'develop') : fs >= 3 ? 'retain' : 'winback'}`;
    cellOf.set(`cdnow-${c.id}`, `${rs}${fs}${ms} ${cell}`);
    cells.get(cell)!.count++;
    cells.get(cell)!.revenueFen += c.fen;
  }
  return { n, thresholds: { r, f, m }, cells, cellOf, revenueFen: customers.reduce((a, c) => a + c.fen, 0) };
}

describeEngines('RFM on CDNOW', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('imports the CDNOW history as orders and matches an independent RFM calculation, cell by cell and customer by customer', async () => {
    const purchases = parse();
    expect(purchases).toHaveLength(69_659);
    const want = expected(purchases);
    expect(want.n).toBe(23_570);

    const csv = ['order_id,user_id,ordered_at,total,cds'];
    const raw = readFileSync(FILE, 'utf8')
      .split(/\r?\n/)
      .slice(1)
      .filter((l) => l.trim());
    raw.forEach((l, i) => {
      const [customer, date, cds, dollars] = l.trim().split(/\s+/);
      csv.push(`cdnow-${i + 2},cdnow-${customer},${date},${dollars},${cds}`);
    });
    const ws = (await t.newWorkspace('CDNOW')).workspaceId;
    const started = performance.now();
    const imported = await runImport(importDeps(t.services.cdp), {
      workspaceId: ws,
      kind: 'orders',
      format: 'csv',
      open: () => Readable.from([Buffer.from(csv.join('\n') + '\n')]),
    });
    const importMs = performance.now() - started;
    expect(imported).toMatchObject({ rows: 69_659, imported: 69_659, errorCount: 0 });

    const computeStarted = performance.now();
    const res = await computeModels(t.database.db, t.database.dialect, ws, AS_OF, { models: ['rfm'] });
    const computeMs = performance.now() - computeStarted;
    console.log(`CDNOW [${engine}]: import ${(importMs / 1000).toFixed(1)} s, RFM ${(computeMs / 1000).toFixed(2)} s`);

    expect(res.rfm!.buyers).toBe(23_570);
    expect(res.rfm!.thresholds).toEqual(want.thresholds);
    const report = await rfmReport(t.database.db, ws);
    expect(report.buyers).toBe(23_570);
    expect(report.revenueFen).toBe(want.revenueFen);
    const got = Object.fromEntries(report.cells.map((c) => [c.cell, { count: c.count, revenueFen: c.revenueFen }]));
    expect(got).toEqual(Object.fromEntries(want.cells));
    console.log(`CDNOW [${engine}] thresholds ${JSON.stringify(res.rfm!.thresholds)}; cells ${JSON.stringify(got)}`);

    // Every customer's scores and cell.
    const rows = await t.database.db
      .selectFrom('identities as i')
      .innerJoin('profile_scores as s', (j) => j.onRef('s.workspace_id', '=', 'i.workspace_id').onRef('s.profile_id', '=', 'i.profile_id'))
      .select(['i.id_key', 's.r', 's.f', 's.m', 's.rfm_cell'])
      .where('i.workspace_id', '=', ws)
      .where('i.id_type', '=', 'user_id')
      .execute();
    expect(rows).toHaveLength(23_570);
    const mismatches = rows.filter((r) => want.cellOf.get(r.id_key) !== `${r.r}${r.f}${r.m} ${r.rfm_cell}`);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
