import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { insightTestApp } from '../metrics/test-kit.js';

/** Retention triangles over orders and events tracked through the tracking API. */
describeEngines('insight retention cohorts', (engine) => {
  let k: Awaited<ReturnType<typeof insightTestApp>>;
  beforeAll(async () => {
    k = await insightTestApp(engine);
    await k.track([
      k.order('a', 'a1', '2026-09-10T02:00:00Z', 10),
      k.order('a', 'a2', '2026-10-15T02:00:00Z', 10),
      k.order('a', 'a3', '2026-11-20T02:00:00Z', 10),
      k.order('b', 'b1', '2026-09-20T02:00:00Z', 10),
      k.order('b', 'b2', '2026-11-02T02:00:00Z', 10),
      k.order('c', 'c1', '2026-10-05T02:00:00Z', 10),
      { userId: 'c', event: 'Viewed Product', timestamp: '2026-11-03T02:00:00Z' },
      k.order('d', 'd1', '2026-10-06T02:00:00Z', 10),
      k.order('d', 'd2', '2026-10-25T02:00:00Z', 10),
      k.order('d', 'd3', '2026-12-01T02:00:00Z', 10),
    ]);
  });
  afterAll(async () => k?.close());

  const triangle = async (q: string) => {
    const r = await k.get(`/v1/insight/cohorts/report?from=2026-09-01&to=2026-11-30&${q}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return k.objects(r.body);
  };

  it('monthly cohorts of first purchase retained by purchase, as a triangle', async () => {
    expect(await triangle('by=first_purchase&period=month&retainedBy=purchase')).toEqual([
      { cohort: '2026-09', size: 2, p0: 2, p1: 1, p2: 2, r0: 1, r1: 0.5, r2: 1 },
      // The October cohort has no third month in the range: the cell is absent, not zero.
      { cohort: '2026-10', size: 2, p0: 2, p1: 0, p2: null, r0: 1, r1: 0, r2: null },
    ]);
  });

  it('retained by any activity counts their own events, not only purchases', async () => {
    const rows = await triangle('by=first_purchase&period=month&retainedBy=activity');
    expect(rows[1]).toMatchObject({ cohort: '2026-10', size: 2, p1: 1, r1: 0.5 });
  });

  it('weekly cohorts are labelled by their local Monday', async () => {
    const rows = await triangle('period=week');
    // 10 September is a Thursday, 20 September a Sunday; 5 and 6 October a Monday and Tuesday.
    expect(rows.map((r) => [r.cohort, r.size, r.p0])).toEqual([
      ['2026-09-07', 1, 1],
      ['2026-09-14', 1, 1],
      ['2026-10-05', 2, 2],
    ]);
    // b's next order, 2 November (a Monday), is seven weeks after the week of 14 September.
    expect(rows[1]).toMatchObject({ p7: 1, p6: 0 });
  });

  it('exports the triangle as CSV', async () => {
    const r = await k.get('/v1/insight/cohorts/report?from=2026-09-01&to=2026-11-30&format=csv');
    expect(r.body.split('\r\n').slice(0, 3)).toEqual(['cohort,size,p0,p1,p2,r0,r1,r2', '2026-09,2,2,1,2,1,0.5,1', '2026-10,2,2,0,,1,0,']);
  });
});
