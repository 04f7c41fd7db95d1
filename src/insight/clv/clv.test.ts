/**
 * The CLV feature end to end on both engines: orders arrive through the tracking API (cdp's real
 * order pipeline, refunds included), a fit through the API, the predictions, the traits a segment
 * rule sees through the real preview API, the at-risk list and the schedule.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../../test/support/engines.js';
import { recomputeSegment } from '../../segments/index.js';
import { insightDeps } from '../../server/deps.js';
import { writeClvTraits } from './clv.traits.js';
import { runClvSchedule } from './clv.worker.js';

const DAY = 86_400_000;
/** The clock: 2026-11-01 12:00 in Asia/Shanghai (04:00 UTC); orders go back up to 40 weeks. */
const NOW = Date.parse('2026-11-01T04:00:00Z');
const daysAgo = (d: number, hour = 10) => new Date(NOW - d * DAY + (hour - 12) * 3_600_000).toISOString();

type Order = { userId: string; orderId: string; yuan: number; at: string };

/** The order book: 12 steady buyers, 8 lapsed frequent buyers, 12 one-time buyers, and two special cases. */
function orderBook(): { orders: Order[]; refunds: string[] } {
  const orders: Order[] = [];
  let n = 0;
  const add = (userId: string, yuan: number, at: string) => orders.push({ userId, orderId: `o-${++n}`, yuan, at });
  for (let i = 0; i < 12; i++) for (let d = 270 - i * 3; d >= 5; d -= 21 + (i % 5)) add(`steady-${i}`, 80 + i * 5, daysAgo(d)); // every ~3 weeks up to last week
  for (let i = 0; i < 8; i++) for (let k = 0; k < 8; k++) add(`lapsed-${i}`, 300 + i * 20, daysAgo(280 - k * 7 - i)); // weekly for 8 weeks, silent for ~32 weeks since
  for (let i = 0; i < 12; i++) add(`once-${i}`, 60, daysAgo(30 + i * 15));
  // Two orders on one local day (08:00 and 22:00 Shanghai time) are one transaction of their sum.
  add('sameday', 50, daysAgo(100, 8));
  add('sameday', 70, daysAgo(100, 22));
  add('sameday', 90, daysAgo(20));
  // A repeat order refunded in full is no purchase: this buyer has one repeat, not two.
  add('refunder', 100, daysAgo(200));
  add('refunder', 100, daysAgo(150));
  add('refunder', 999, daysAgo(60));
  return { orders, refunds: [orders[orders.length - 1]!.orderId] };
}

describeEngines('predicted lifetime value (BG/NBD + Gamma-Gamma) over the order history', (engine) => {
  let t: TestApp;
  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown, key = t.secretKey) => {
    const res = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json() };
  };
  const track = async (batch: object[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(t.writeKey) }, payload: { batch } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const book = orderBook();
  let winBack = '';
  const settle = async (id: string) => {
    await recomputeSegment(t.services.membership, t.workspaceId, id, { lagMs: 0 });
    return (await api('GET', `/v1/segments/${id}`)).body;
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: NOW });
    const events = book.orders.map((o) => ({
      type: 'track',
      userId: o.userId,
      event: 'Order Completed',
      properties: { order_id: o.orderId, total: o.yuan, currency: 'CNY' },
      timestamp: o.at,
    }));
    for (let i = 0; i < events.length; i += 100) await track(events.slice(i, i + 100));
    await track(
      book.refunds.map((id) => ({ type: 'track', userId: 'refunder', event: 'Order Refunded', properties: { order_id: id }, timestamp: daysAgo(55) })),
    );
  });
  afterAll(async () => t?.close());

  it('answers CLV_NOT_FITTED before the first fit, and takes only the secret key', async () => {
    const none = await api('GET', '/v1/insight/clv');
    expect([none.status, none.body.error.code]).toEqual([404, 'CLV_NOT_FITTED']);
    expect((await api('POST', '/v1/insight/clv/fit', {}, t.writeKey)).status).toBe(401);
    const bad = await api('POST', '/v1/insight/clv/fit', { monthlyDiscount: 2 });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    // A win-back segment saved before any fit: nobody has the trait yet.
    const seg = await api('POST', '/v1/segments', { name: 'win back', rule: { type: 'trait', key: 'clv_p_alive', op: 'lt', value: 0.3 } });
    expect(seg.status, JSON.stringify(seg.body)).toBe(201);
    winBack = seg.body.id;
    expect(await settle(winBack)).toMatchObject({ memberCount: 0, computing: false });
  });

  it("fits on the orders net of refunds, same-day orders merged, and stores every buyer's predictions", async () => {
    const fit = await api('POST', '/v1/insight/clv/fit', {});
    expect(fit.status, JSON.stringify(fit.body)).toBe(200);
    const m = fit.body.model;
    expect(m).toMatchObject({
      customers: 34,
      repeatCustomers: 22,
      currency: 'CNY',
      calibrationEnd: '2026-11-01',
      options: { purchaseDays: 90, horizonMonths: 12, monthlyDiscount: 0.01 },
    });
    expect(fit.body.traitsWritten).toBe(34);
    for (const v of [m.bgNbd.r, m.bgNbd.alpha, m.bgNbd.a, m.bgNbd.b, m.gammaGamma.p, m.gammaGamma.q, m.gammaGamma.gamma]) expect(v).toBeGreaterThan(0);

    const same = (await api('GET', '/v1/profiles/user_id:sameday/clv')).body.prediction;
    // 100 days ago (50 + 70 yuan, one day) and 20 days ago (90): one repeat of 9,000 fen, 80 days after the first.
    expect(same).toMatchObject({ frequency: 1, totalFen: 21_000, lastPurchaseDate: '2026-10-12' });
    expect(same.recencyWeeks).toBeCloseTo(80 / 7, 9);
    expect(same.ageWeeks).toBeCloseTo(100 / 7, 9);
    const refunder = (await api('GET', '/v1/profiles/user_id:refunder/clv')).body.prediction;
    expect(refunder).toMatchObject({ frequency: 1, totalFen: 20_000 });
    // The Gamma-Gamma expectation lies between the population mean and the buyer's own repeat mean.
    const once = (await api('GET', '/v1/profiles/user_id:once-0/clv')).body.prediction;
    expect(once).toMatchObject({ frequency: 0, pAlive: 1 });
  });

  it('scores the lapsed frequent buyers at risk and the steady ones alive, as traits a segment rule finds', async () => {
    const lapsed = (await api('GET', '/v1/profiles/user_id:lapsed-0/clv')).body;
    const steady = (await api('GET', '/v1/profiles/user_id:steady-0/clv')).body;
    expect(lapsed.prediction.pAlive).toBeLessThan(0.3);
    expect(steady.prediction.pAlive).toBeGreaterThan(0.7);
    expect(steady.prediction.expectedPurchases).toBeGreaterThan(lapsed.prediction.expectedPurchases);
    // The traits on the profile are the predictions (rounded to 4 decimals; CLV in whole fen).
    const profile = (await api('GET', `/v1/profiles/${lapsed.profileId}`)).body;
    expect(profile.traits.clv_p_alive).toBeCloseTo(lapsed.prediction.pAlive, 4);
    expect(profile.traits.clv_expected_purchases_90d).toBeCloseTo(lapsed.prediction.expectedPurchases, 4);
    expect(profile.traits.clv_value_fen).toBe(lapsed.prediction.clvFen);

    const preview = await api('POST', '/v1/segments/preview', { rule: { type: 'trait', key: 'clv_p_alive', op: 'lt', value: 0.3 }, sampleSize: 100 });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const found = new Set(preview.body.sample.map((p: { id: string }) => p.id));
    const all = await api('GET', '/v1/insight/clv/at-risk?limit=500&maxPAlive=0.3');
    expect(new Set(all.body.data.map((p: { profileId: string }) => p.profileId))).toEqual(found);
    expect(preview.body.count).toBe(found.size);
    const lapsedIds = await Promise.all([...Array(8).keys()].map(async (i) => (await api('GET', `/v1/profiles/user_id:lapsed-${i}/clv`)).body.profileId));
    for (const id of lapsedIds) expect(found.has(id)).toBe(true);
    for (const p of all.body.data) expect(p.pAlive).toBeLessThan(0.3);
    // The saved segment was asked to recompute by the fit (traits written outside the event feed), and finds them.
    expect((await api('GET', `/v1/segments/${winBack}`)).body.computing).toBe(true);
    expect(await settle(winBack)).toMatchObject({ memberCount: found.size, computing: false });
  });

  it('lists the at-risk high-value buyers by CLV, paged, and shows the CLV distribution', async () => {
    const ids: string[] = [];
    const values: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { profileId: string; clvFen: number }[]; nextCursor: string | null } } = await api(
        'GET',
        `/v1/insight/clv/at-risk?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      ids.push(...page.body.data.map((p) => p.profileId));
      values.push(...page.body.data.map((p) => p.clvFen));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect(new Set(ids).size).toBe(ids.length);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const rich = await api('GET', `/v1/insight/clv/at-risk?minClvFen=${values[0]}`);
    expect(rich.body.data.every((p: { clvFen: number }) => p.clvFen >= values[0]!)).toBe(true);

    const overview = (await api('GET', '/v1/insight/clv')).body;
    expect(overview.distribution.bars).toHaveLength(10);
    expect(overview.totals.profiles).toBe(34);
    expect(overview.distribution.bars.reduce((n: number, b: { profiles: number }) => n + b.profiles, 0)).toBe(34);
    expect(overview.totals.atRiskProfiles).toBe(ids.length);
  });

  it('refits on schedule once the model is a day old, and refuses too little history', async () => {
    const deps = insightDeps(t.services);
    const first = (await api('GET', '/v1/insight/clv')).body.model.id;
    t.clock.advance(3_600_000);
    expect(await runClvSchedule(deps)).toEqual([]);
    // Meanwhile once-0's only order is refunded in full: the refit drops the profile and its CLV traits.
    const onceOrder = book.orders.find((o) => o.userId === 'once-0')!.orderId;
    await track([{ type: 'track', userId: 'once-0', event: 'Order Refunded', properties: { order_id: onceOrder }, timestamp: daysAgo(1) }]);
    t.clock.advance(DAY);
    expect(await runClvSchedule(deps)).toEqual([t.workspaceId]);
    const refit = (await api('GET', '/v1/insight/clv')).body.model;
    expect(refit.id).not.toBe(first);
    expect(refit.customers).toBe(33);
    const gone = (await api('GET', '/v1/profiles/user_id:once-0/clv')).body;
    expect(gone).toMatchObject({ model: { id: refit.id }, prediction: null });
    const traits = (await api('GET', `/v1/profiles/${gone.profileId}`)).body.traits;
    expect(Object.keys(traits).filter((k) => k.startsWith('clv_'))).toEqual([]);

    const other = await t.newWorkspace('small');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(other.writeKey) },
      payload: { batch: [{ type: 'track', userId: 'x', event: 'Order Completed', properties: { order_id: 'a', total: 10 }, timestamp: daysAgo(3) }] },
    });
    expect(res.statusCode).toBe(200);
    const small = await api('POST', '/v1/insight/clv/fit', {}, other.secretKey);
    expect([small.status, small.body.error.code, small.body.error.details]).toMatchObject([409, 'CLV_NOT_ENOUGH_DATA', { customers: 1, repeatCustomers: 0 }]);
    // The schedule passes it by without failing.
    t.clock.advance(DAY);
    expect(await runClvSchedule(deps)).toEqual([t.workspaceId]);
  });

  it('writes a trait meant for a profile merged away since onto its survivor', async () => {
    await track([{ type: 'track', anonymousId: 'anon-z', event: 'Page Viewed', properties: {}, timestamp: daysAgo(0) }]);
    const anon = (await api('GET', '/v1/profiles/anonymous_id:anon-z')).body.id as string;
    const steady = (await api('GET', '/v1/profiles/user_id:steady-1')).body.id as string;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/alias',
      headers: { authorization: basic(t.writeKey) },
      payload: { userId: 'steady-1', previousId: 'anon-z', timestamp: daysAgo(0) },
    });
    expect(res.statusCode, res.body).toBe(200);
    const survivor = (await api('GET', '/v1/profiles/anonymous_id:anon-z')).body.id as string;
    expect(survivor).toBe(steady);
    const merged = anon === survivor ? steady : anon;
    expect(await writeClvTraits(t.database, t.workspaceId, [{ profileId: merged, set: { clv_p_alive: 0.4242 } }], t.clock.now())).toBe(1);
    expect((await api('GET', `/v1/profiles/${survivor}`)).body.traits.clv_p_alive).toBe(0.4242);
  });
});
