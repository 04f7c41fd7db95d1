import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../../test/support/engines.js';
import { DAY_MS } from '../../platform/time.js';
import { computeModels } from './index.js';
import { scoresOf } from './test-fixtures.js';

const NOW = Date.parse('2026-11-01T04:00:00Z');
const ago = (days: number) => new Date(NOW - days * DAY_MS).toISOString();

/** RFM and lifecycle read the net aggregates the tracking API keeps: refunds and cancellations count. */
describeEngines('models over net order values', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: NOW });
  });
  afterAll(async () => t?.close());

  const track = (userId: string, event: string, properties: Record<string, unknown>, days: number) => ({
    type: 'track',
    userId,
    event,
    properties,
    timestamp: ago(days),
  });
  const three = (u: string) => [40, 35, 33].map((d, i) => track(u, 'Order Completed', { order_id: `${u}-${i}`, total: 100 }, d));

  it('a fully refunded customer drops out of RFM and is a prospect; partial refunds lower monetary; cancelled orders do not count', async () => {
    const batch = [
      ...three('keep'),
      ...three('partial'),
      track('partial', 'Order Refunded', { order_id: 'partial-0', total: 90 }, 30),
      ...three('cancel'),
      track('cancel', 'Order Cancelled', { order_id: 'cancel-2' }, 32),
      ...three('refunded'),
      ...[0, 1, 2].map((i) => track('refunded', 'Order Refunded', { order_id: `refunded-${i}` }, 5)),
      // The first order refunded: the first purchase is now the second, 20 days ago, so the customer is new.
      track('late', 'Order Completed', { order_id: 'late-0', total: 100 }, 40),
      track('late', 'Order Completed', { order_id: 'late-1', total: 100 }, 20),
      track('late', 'Order Completed', { order_id: 'late-2', total: 100 }, 10),
      track('late', 'Order Refunded', { order_id: 'late-0' }, 9),
    ];
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(t.writeKey), 'content-type': 'application/json' },
      payload: { batch },
    });
    expect(res.statusCode, res.body).toBe(200);
    const report = await computeModels(t.database.db, t.database.dialect, t.workspaceId, NOW, { models: ['rfm', 'lifecycle'] });
    // Net values per buyer: monetary 300, 210, 200, 200 yuan; frequency 3, 3, 2, 2.
    expect(report.rfm).toMatchObject({ buyers: 4, thresholds: { m: [20000, 20000, 21000, 30000], f: [2, 2, 3, 3] } });

    const ids = await t.database.db
      .selectFrom('identities')
      .select(['id_key', 'profile_id'])
      .where('workspace_id', '=', t.workspaceId)
      .where('id_type', '=', 'user_id')
      .execute();
    const scores = await scoresOf(t.database.db, t.workspaceId);
    const of = Object.fromEntries(ids.map((i) => [i.id_key, scores.get(i.profile_id)!]));
    expect(Object.fromEntries(Object.entries(of).map(([u, s]) => [u, s.lifecycle_stage]))).toEqual({
      keep: 'loyal',
      partial: 'loyal',
      cancel: 'active',
      refunded: 'prospect',
      late: 'new',
    });
    expect([of.refunded!.r, of.refunded!.f, of.refunded!.m, of.refunded!.rfm_cell]).toEqual([null, null, null, null]);
    expect([of.keep!.m, of.partial!.m, of.cancel!.m, of.late!.m]).toEqual([4, 3, 1, 1]);
    expect([of.keep!.f, of.partial!.f, of.cancel!.f, of.late!.f]).toEqual([3, 3, 1, 1]);
  });
});
