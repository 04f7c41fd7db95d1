import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { insightTestApp } from '../metrics/test-kit.js';

const H = 3_600_000;

/** Funnels over events tracked through the tracking API: order, window, conversion, medians, breakdowns, property filters, CSV. */
describeEngines('insight funnels', (engine) => {
  let k: Awaited<ReturnType<typeof insightTestApp>>;
  const at = (iso: string, plusHours = 0) => new Date(Date.parse(iso) + plusHours * H).toISOString();
  const ev = (userId: string, event: string, time: string, properties: Record<string, unknown> = {}) => ({ userId, event, timestamp: time, properties });
  const steps = [{ event: 'Signed Up' }, { event: 'Viewed Product' }, { event: 'Order Completed' }, { event: 'Order Completed' }];
  let gold = '';

  beforeAll(async () => {
    k = await insightTestApp(engine);
    const d1 = '2026-10-01T02:00:00Z';
    const d2 = '2026-10-02T02:00:00Z';
    const d3 = '2026-10-03T02:00:00Z';
    const d4 = '2026-10-04T02:00:00Z';
    await k.track([
      { type: 'identify', userId: 'p1', traits: { plan: 'gold' } },
      { type: 'identify', userId: 'p2', traits: { plan: 'gold' } },
      { type: 'identify', userId: 'p3', traits: { plan: 'silver' } },
      ev('p1', 'Signed Up', d1),
      ev('p1', 'Viewed Product', at(d1, 1), { product: 'tea' }),
      k.order('p1', 'o1', at(d1, 24), 10),
      k.order('p1', 'o2', at(d1, 24 + 72), 10),
      ev('p2', 'Signed Up', d2),
      ev('p2', 'Viewed Product', at(d2, 2), { product: 'cup' }),
      // Ten days after signing up: outside the 7-day window.
      k.order('p2', 'o3', at(d2, 240), 10),
      ev('p3', 'Signed Up', d3),
      // An order before the view does not make step 3.
      k.order('p3', 'o4', at(d3, 1), 10),
      ev('p3', 'Viewed Product', at(d3, 2), { product: 'cup' }),
      ev('p4', 'Viewed Product', d3),
      ev('p5', 'Signed Up', d4),
      ev('p5', 'Viewed Product', at(d4, 3), { product: 'cup' }),
      k.order('p5', 'o5', at(d4, 5), 10),
    ]);
    gold = await k.staticSegment('p1 and p3', ['p1', 'p3']);
  });
  afterAll(async () => k?.close());

  const run = async (body: Record<string, unknown>) => {
    const r = await k.post('/v1/insight/funnels', { from: '2026-10-01', to: '2026-10-31', windowDays: 7, ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return k.objects(r.body);
  };
  const profilesOf = (rows: Record<string, any>[], group: string) => rows.filter((r) => r.group === group).map((r) => r.profiles);

  it('counts profiles through the steps in order within the window, with conversion and median time between steps', async () => {
    const rows = await run({ steps });
    expect(rows).toEqual([
      { group: '*', step: 1, event: 'Signed Up', profiles: 4, conversion_from_previous: null, conversion_from_first: null, median_ms_from_previous: null },
      { group: '*', step: 2, event: 'Viewed Product', profiles: 4, conversion_from_previous: 1, conversion_from_first: 1, median_ms_from_previous: 2 * H },
      {
        group: '*',
        step: 3,
        event: 'Order Completed',
        profiles: 2,
        conversion_from_previous: 0.5,
        conversion_from_first: 0.5,
        median_ms_from_previous: 12.5 * H,
      },
      {
        group: '*',
        step: 4,
        event: 'Order Completed',
        profiles: 1,
        conversion_from_previous: 0.5,
        conversion_from_first: 0.25,
        median_ms_from_previous: 72 * H,
      },
    ]);
  });

  it('breaks down by a trait and by segment', async () => {
    const byTrait = await run({ steps, breakdown: { kind: 'trait', trait: 'plan' } });
    expect(profilesOf(byTrait, 'gold')).toEqual([2, 2, 1, 1]);
    expect(profilesOf(byTrait, 'silver')).toEqual([1, 1, 0, 0]);
    expect(profilesOf(byTrait, '')).toEqual([1, 1, 1, 0]);
    const bySegment = await run({ steps, breakdown: { kind: 'segment', segments: [gold] } });
    expect(profilesOf(bySegment, gold)).toEqual([2, 2, 1, 1]);
    const missing = await k.post('/v1/insight/funnels', { steps, breakdown: { kind: 'segment', segments: ['seg_missing'] } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual({ field: 'breakdown.segments' });
  });

  it('filters a step by event properties, and a shorter window loses the slow converters', async () => {
    const tea = await run({ steps: [{ event: 'Signed Up' }, { event: 'Viewed Product', properties: { product: 'tea' } }] });
    expect(profilesOf(tea, '*')).toEqual([4, 1]);
    const oneDay = await run({ steps: steps.slice(0, 3), windowDays: 1 });
    expect(profilesOf(oneDay, '*')).toEqual([4, 4, 2]);
    const segmentOnly = await run({ steps: steps.slice(0, 2), segment: gold });
    expect(profilesOf(segmentOnly, '*')).toEqual([2, 2]);
  });

  it('exports as CSV and refuses a funnel of one step', async () => {
    const csv = await k.post('/v1/insight/funnels?format=csv', { from: '2026-10-01', to: '2026-10-31', steps: steps.slice(0, 2) });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[2]).toBe('*,2,Viewed Product,4,1,1,7200000');
    const one = await k.post('/v1/insight/funnels', { steps: steps.slice(0, 1) });
    expect(one.status).toBe(400);
  });
});
