import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { insightTestApp } from './test-kit.js';

/**
 * Value metrics over orders tracked through the tracking API (the real producer of cdp's orders
 * and their refunds and cancellations), in the workspace's time zone (Asia/Shanghai), net of
 * refunds, filtered by a segment, cached until new data, exported as CSV.
 */
describeEngines('insight value metrics', (engine) => {
  let k: Awaited<ReturnType<typeof insightTestApp>>;
  const range = 'from=2026-10-01&to=2026-10-31';

  beforeAll(async () => {
    k = await insightTestApp(engine);
    await k.track([
      k.order('u1', 'A', '2026-10-01T02:00:00Z', 100),
      k.order('u1', 'B', '2026-10-20T02:00:00Z', 50),
      // 01:00 on 1 October in Shanghai, still 30 September in UTC.
      k.order('u2', 'C', '2026-09-30T17:00:00Z', 200),
      { userId: 'u2', event: 'Order Refunded', timestamp: '2026-10-03T02:00:00Z', properties: { order_id: 'C', refund_id: 'r1', total: 80 } },
      k.order('u3', 'D', '2026-10-05T02:00:00Z', 300),
      { userId: 'u3', event: 'Order Cancelled', timestamp: '2026-10-05T03:00:00Z', properties: { order_id: 'D' } },
      k.order('u4', 'E', '2026-10-10T02:00:00Z', 40),
      { userId: 'u4', event: 'Order Refunded', timestamp: '2026-10-11T02:00:00Z', properties: { order_id: 'E' } },
      k.order('u5', 'F', '2026-11-05T02:00:00Z', 10),
    ]);
  });
  afterAll(async () => k?.close());

  it('GMV gross, refunded and net, orders, buyers and AOV by local day; cancelled orders count nowhere', async () => {
    const r = await k.get(`/v1/insight/metrics/sales?${range}`);
    expect(r.status).toBe(200);
    expect(r.body.scope).toEqual({ from: '2026-10-01', to: '2026-10-31', timeZone: 'Asia/Shanghai', segment: null });
    expect(k.objects(r.body)).toEqual([
      { day: '2026-10-01', gross_fen: 30000, refunded_fen: 8000, net_fen: 22000, orders: 2, buyers: 2, aov_fen: 11000 },
      // A fully refunded order adds as much to refunded as to gross, and is no longer an order nor its buyer a buyer.
      { day: '2026-10-10', gross_fen: 4000, refunded_fen: 4000, net_fen: 0, orders: 0, buyers: 0, aov_fen: null },
      { day: '2026-10-20', gross_fen: 5000, refunded_fen: 0, net_fen: 5000, orders: 1, buyers: 1, aov_fen: 5000 },
    ]);
    expect(r.body.totals).toEqual({ gross_fen: 39000, refunded_fen: 12000, net_fen: 27000, orders: 3, buyers: 2, aov_fen: 9000 });
  });

  it('repurchase: of the range, and 30/60/90 days after a first purchase over buyers whose window has passed', async () => {
    const r = await k.get(`/v1/insight/metrics/repurchase?${range}`);
    expect(k.objects(r.body)).toEqual([
      { basis: 'range', customers: 2, repurchased: 1, rate: 0.5 },
      { basis: 'first_purchase_30d', customers: 2, repurchased: 1, rate: 0.5 },
      { basis: 'first_purchase_60d', customers: 2, repurchased: 1, rate: 0.5 },
      // 1 October + 90 days is after today (15 December): nobody has had the full window yet.
      { basis: 'first_purchase_90d', customers: 0, repurchased: 0, rate: null },
    ]);
  });

  it('historical LTV per cohort and per profile (net of refunds, every order to date)', async () => {
    const c = await k.get(`/v1/insight/metrics/ltv-cohorts?from=2026-09-01&to=2026-11-30`);
    expect(k.objects(c.body)).toEqual([
      { cohort: '2026-10', buyers: 2, orders: 3, net_fen: 27000, ltv_fen: 13500 },
      { cohort: '2026-11', buyers: 1, orders: 1, net_fen: 1000, ltv_fen: 1000 },
    ]);
    const p1 = await k.get(`/v1/insight/ltv/profiles?from=2026-09-01&to=2026-11-30&limit=2`);
    expect(p1.body.data.map((p: any) => [p.netFen, p.orders])).toEqual([
      [15000, 2],
      [12000, 1],
    ]);
    const p2 = await k.get(`/v1/insight/ltv/profiles?from=2026-09-01&to=2026-11-30&limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body).toMatchObject({ data: [{ netFen: 1000, orders: 1 }], nextCursor: null });
  });

  it('every metric filters by a segment', async () => {
    const seg = await k.staticSegment('只看 u2', ['u2']);
    const r = await k.get(`/v1/insight/metrics/sales?${range}&segment=${seg}`);
    expect(r.body.totals).toEqual({ gross_fen: 20000, refunded_fen: 8000, net_fen: 12000, orders: 1, buyers: 1, aov_fen: 12000 });
    const bad = await k.get(`/v1/insight/metrics/sales?${range}&segment=seg_nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INSIGHT_QUERY_INVALID', details: { field: 'segment' } });
  });

  it('serves a repeated query from the cache until new data is committed', async () => {
    const first = await k.get(`/v1/insight/metrics/sales?from=2026-11-01&to=2026-11-30`);
    expect(first.body).toMatchObject({ cached: false, totals: { net_fen: 1000 } });
    const again = await k.get(`/v1/insight/metrics/sales?from=2026-11-01&to=2026-11-30`);
    expect(again.body).toMatchObject({ cached: true, totals: { net_fen: 1000 } });
    await k.track([k.order('u5', 'G', '2026-11-06T02:00:00Z', 5)]);
    const after = await k.get(`/v1/insight/metrics/sales?from=2026-11-01&to=2026-11-30`);
    expect(after.body).toMatchObject({ cached: false, totals: { net_fen: 1500, orders: 2 } });
  });

  it('exports a metric as CSV', async () => {
    const r = await k.get(`/v1/insight/metrics/sales?${range}&format=csv`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/csv');
    expect(r.headers['content-disposition']).toContain('sales-2026-10-01-2026-10-31.csv');
    expect(r.body.split('\r\n').slice(0, 2)).toEqual(['day,gross_fen,refunded_fen,net_fen,orders,buyers,aov_fen', '2026-10-01,30000,8000,22000,2,2,11000']);
  });

  it('refuses a range that is backwards, too long, or not dates', async () => {
    for (const q of ['from=2026-10-05&to=2026-10-01', 'from=2020-01-01&to=2026-10-01', 'from=2026-02-30&to=2026-03-01']) {
      const r = await k.get(`/v1/insight/metrics/sales?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('INSIGHT_QUERY_INVALID');
    }
  });
});
