import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { journeyTestApp } from '../../journeys/test-kit.js';

const DAY = 86_400_000;

/**
 * Journey conversions through the journeys engine itself: profiles enter a journey with a goal
 * (its executor parks them on a wait), orders tracked through the tracking API reach the goal on
 * later days, and the metric counts the range's entries, how many of them converted, and the
 * conversions that happened in the range, by local day in Shanghai.
 */
describeEngines('insight journey conversions', (engine) => {
  let app: Awaited<ReturnType<typeof journeyTestApp>>;
  let journeyId = '';
  let otherId = '';

  beforeAll(async () => {
    // Tuesday 3 November 2026, noon in Shanghai.
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-03T04:00:00Z') });
    const a = await app.profile('conv-a');
    const b = await app.profile('conv-b');
    const c = await app.profile('conv-c');
    const def = { trigger: { type: 'manual' }, goal: { event: 'Order Completed', withinDays: 7 }, steps: [{ id: 'w', type: 'wait', duration: { days: 5 } }] };
    journeyId = await app.journey('首单转化', def);
    otherId = await app.journey('无人进入', def);
    expect((await app.api('POST', `/v1/journeys/${journeyId}/enter`, { profileIds: [a, b, c] })).status).toBeLessThan(300);
    await app.tick();
    // A orders the next day, B the day after; C never does.
    app.t.clock.advance(DAY);
    await app.track('conv-a', 'Order Completed', { order_id: 'ca', total: 30 });
    await app.tick();
    app.t.clock.advance(DAY);
    await app.track('conv-b', 'Order Completed', { order_id: 'cb', total: 30 });
    await app.tick();
    expect((await app.states(journeyId)).map((s) => s.status).sort()).toEqual(['active', 'converted', 'converted']);
  });
  afterAll(async () => app?.close());

  const metric = async (q: string) => {
    const r = await app.api('GET', `/v1/insight/metrics/journey-conversions?${q}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = r.body as { columns: string[]; rows: unknown[][]; totals: Record<string, unknown> };
    return { rows: body.rows.map((row) => Object.fromEntries(body.columns.map((c, i) => [c, row[i]]))), totals: body.totals };
  };

  it('counts entries in the range, how many of them converted so far, and the conversions in the range', async () => {
    const month = await metric('from=2026-11-01&to=2026-11-30');
    expect(month.rows).toEqual([{ journey_id: journeyId, journey_name: '首单转化', entered: 3, converted: 2, conversion_rate: 0.6667, conversions: 2 }]);
    expect(month.totals).toEqual({ entered: 3, converted: 2, conversions: 2, conversion_rate: 0.6667 });
    // The day of entry: three entries, two of which have converted since; no conversion that day.
    expect((await metric('from=2026-11-03&to=2026-11-03')).rows).toEqual([expect.objectContaining({ entered: 3, converted: 2, conversions: 0 })]);
    // The day A converted: no entries, one conversion.
    const day = await metric('from=2026-11-04&to=2026-11-04');
    expect(day.rows).toEqual([{ journey_id: journeyId, journey_name: '首单转化', entered: 0, converted: 0, conversion_rate: null, conversions: 1 }]);
    expect(day.totals).toMatchObject({ conversions: 1, conversion_rate: null });
    // A journey nobody entered has no row; a month without entries or conversions has none at all.
    expect(month.rows.map((r) => r.journey_id)).not.toContain(otherId);
    expect(await metric('from=2026-10-01&to=2026-10-31')).toEqual({ rows: [], totals: { entered: 0, converted: 0, conversions: 0, conversion_rate: null } });
  });

  it("filters by a segment's current members", async () => {
    const seg = await app.api('POST', '/v1/segments', { name: '只看 A', kind: 'static' });
    const csv = 'identifier\nuser_id:conv-a\n';
    const up = await app.t.app.inject({
      method: 'POST',
      url: `/v1/segments/${seg.body.id}/members?mode=replace`,
      headers: { authorization: `Bearer ${app.t.secretKey}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(up.statusCode).toBeLessThan(300);
    const only = await metric(`from=2026-11-01&to=2026-11-30&segment=${seg.body.id}`);
    expect(only.rows).toEqual([expect.objectContaining({ journey_id: journeyId, entered: 1, converted: 1, conversions: 1, conversion_rate: 1 })]);
  });
});
