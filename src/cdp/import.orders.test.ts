import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { importDeps } from './deps.js';
import { type ImportReport, runImport } from './import.service.js';

describeEngines('orders import with status and refunded columns', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const run = (csv: string): Promise<ImportReport> =>
    runImport(importDeps(t.services.cdp), { workspaceId: t.workspaceId, kind: 'orders', format: 'csv', open: () => Readable.from([Buffer.from(csv)]) });
  const aggregates = async (userId: string) => {
    const r = await t.database.db
      .selectFrom('identities as i')
      .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'i.workspace_id').onRef('p.id', '=', 'i.profile_id'))
      .select(['p.order_count', 'p.total_spent_fen', 'p.gross_spent_fen', 'p.refunded_fen'])
      .where('i.workspace_id', '=', t.workspaceId)
      .where('i.id_type', '=', 'user_id')
      .where('i.id_key', '=', userId)
      .executeTakeFirstOrThrow();
    return [r.order_count, r.total_spent_fen, r.gross_spent_fen, r.refunded_fen].map(Number);
  };

  const CSV = [
    'order_id,user_id,ordered_at,total,status,refunded',
    'i1,imp,2026-01-01,100,completed,',
    'i2,imp,2026-01-02,50,refunded,',
    'i3,imp,2026-01-03,80,partially_refunded,30',
    'i4,imp,2026-01-04,70,cancelled,',
    'i5,imp,2026-01-05,10,paid,',
    'i6,imp,2026-01-06,10,cancelled,5',
    'i7,imp,2026-01-07,10,partially_refunded,',
    'i8,imp,2026-01-08,10,completed,11',
    '',
  ].join('\n');

  it('imports each order in the state the file gives it, and a second import changes nothing', async () => {
    const report = await run(CSV);
    expect(report).toMatchObject({ rows: 8, imported: 5, errorCount: 3 });
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([
      [7, 'refunded'],
      [8, 'refunded'],
      [9, 'refunded'],
    ]);
    expect(report.errors[2]!.reason).toBe("refunded 11 is more than the order's total 10.00");
    expect(report.warnings).toEqual([
      { line: 6, field: 'status', reason: 'status "paid" is not completed, partially_refunded, refunded or cancelled: the order was imported as completed' },
    ]);
    const statuses = await t.database.db
      .selectFrom('orders')
      .select(['order_id', 'status', 'refunded_fen'])
      .where('workspace_id', '=', t.workspaceId)
      .orderBy('order_id')
      .execute();
    expect(statuses.map((o) => [o.order_id, o.status, Number(o.refunded_fen)])).toEqual([
      ['i1', 'completed', 0],
      ['i2', 'refunded', 5000],
      ['i3', 'partially_refunded', 3000],
      ['i4', 'cancelled', 0],
      ['i5', 'completed', 0],
    ]);
    // Counted: i1, i3 (net 50), i5; gross adds the refunded i2; the cancelled i4 counts nowhere.
    const expected = [3, 10000 + 5000 + 1000, 10000 + 5000 + 8000 + 1000, 5000 + 3000];
    expect(await aggregates('imp')).toEqual(expected);
    expect(await run(CSV)).toMatchObject({ imported: 0, duplicates: 5 });
    expect(await aggregates('imp')).toEqual(expected);
  });

  it('a refund sent later through the tracking API adds to an imported refund', async () => {
    await run(['order_id,user_id,ordered_at,total,refunded', 'j1,imp2,2026-01-01,100,10', ''].join('\n'));
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: basic(t.writeKey), 'content-type': 'application/json' },
      payload: { userId: 'imp2', event: 'Order Refunded', properties: { order_id: 'j1', total: 25, refund_id: 'later' }, timestamp: '2026-02-01T00:00:00Z' },
    });
    expect(res.statusCode).toBe(200);
    expect(await aggregates('imp2')).toEqual([1, 6500, 10000, 3500]);
  });
});
