import { afterEach, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { generateDemo } from './generate.js';
import { createPrng } from './prng.js';

const NOW = Date.parse('2026-11-01T00:00:00Z');

it('the seeded generator gives the same numbers for the same seed and others for another', () => {
  const draw = (seed: number) => {
    const r = createPrng(seed);
    return Array.from({ length: 5 }, () => r.int(0, 1_000_000));
  };
  expect(draw(7)).toEqual(draw(7));
  expect(draw(7)).not.toEqual(draw(8));
});

it('generates the same customers and orders for the same seed, scale and anchor time', () => {
  const a = generateDemo({ seed: 42, customers: 200, now: NOW });
  const b = generateDemo({ seed: 42, customers: 200, now: NOW });
  expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  expect(JSON.stringify(generateDemo({ seed: 43, customers: 200, now: NOW }))).not.toBe(JSON.stringify(a));
  // Customer i is the same at any scale: a larger demo extends a smaller one.
  expect(generateDemo({ seed: 42, customers: 300, now: NOW }).profiles.slice(0, 200)).toEqual(a.profiles);
  // A year of orders before the anchor, each with products, a store and an identifier the profile has.
  for (const o of a.orders) {
    const t = Date.parse(o.ordered_at);
    expect(t).toBeLessThanOrEqual(NOW);
    expect(t).toBeGreaterThan(NOW - 366 * 86_400_000);
    expect((o.products as unknown[]).length).toBeGreaterThan(0);
  }
  expect(a.orders.length / a.profiles.length).toBeGreaterThan(2);
  expect(a.orders.some((o) => o.status === 'refunded')).toBe(true);
});

describeEngines('the demo brand', (engine) => {
  let t: TestApp;
  afterEach(async () => t?.close());

  const api = async (method: 'GET' | 'POST', url: string, body?: unknown, key = t.secretKey) => {
    const res = await t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body !== undefined && { payload: body as object }) });
    return { status: res.statusCode, body: res.json() };
  };
  const countProfiles = async (key: string) => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/v1/profiles?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, key);
      expect(page.status).toBe(200);
      n += page.body.data.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    return n;
  };

  it('loads customers, orders, segments with members, RFM, published journeys and a scheduled broadcast; the same seed gives the same brand; a non-empty workspace is refused', async () => {
    t = await createTestApp(engine, { clockStart: NOW });
    const res = await api('POST', '/v1/demo', { customers: 300, seed: 7 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const s = res.body;
    const expected = generateDemo({ seed: 7, customers: 300, now: NOW });
    expect(s).toMatchObject({ customers: 300, seed: 7, profiles: 300, orders: expected.orders.length });
    expect(await countProfiles(t.secretKey)).toBe(300);

    // An order, as the orders API tells it, with its products; a refunded one is refunded.
    const order = await api('GET', `/v1/orders/${expected.orders[0]!.order_id}`);
    expect(order.status).toBe(200);
    expect(order.body.totalFen).toBe(Math.round(expected.orders[0]!.total * 100));
    const refunded = expected.orders.find((o) => o.status === 'refunded')!;
    expect((await api('GET', `/v1/orders/${refunded.order_id}`)).body.status).toBe('refunded');

    // Segments have members; every demo segment is there.
    const segments = (await api('GET', '/v1/segments?limit=50')).body.data as { name: string; memberCount: number }[];
    expect(segments.map((g) => g.name).sort()).toEqual(s.segments.map((g: { name: string }) => g.name).sort());
    for (const name of ['VIP 会员', '沉默客户', '潮玩粉丝', '早咖啡常客']) expect(segments.find((g) => g.name === name)!.memberCount).toBeGreaterThan(0);

    // RFM computed over the buyers.
    const rfm = await api('GET', '/v1/models/rfm/report');
    expect(rfm.body.buyers).toBeGreaterThan(250);
    expect(rfm.body.cells.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(rfm.body.buyers);

    // Journeys from the recipes, published; templates in two locales; the 8:00 broadcast scheduled.
    const journeys = (await api('GET', '/v1/journeys?limit=50')).body.data as { status: string }[];
    expect(journeys).toHaveLength(5);
    expect(journeys.every((j) => j.status === 'active')).toBe(true);
    const templates = (await api('GET', '/v1/templates?limit=50')).body.data as { variants: Record<string, unknown> }[];
    expect(templates).toHaveLength(3);
    const broadcasts = (await api('GET', '/v1/broadcasts?limit=50')).body.data as { status: string; sendAt: string }[];
    expect(broadcasts.map((b) => [b.status, new Date(b.sendAt).toISOString()])).toEqual([['scheduled', '2026-11-02T00:00:00.000Z']]);

    // Refused again in the same workspace (it has customers now).
    const again = await api('POST', '/v1/demo', { customers: 300, seed: 7 });
    expect([again.status, again.body.error.code]).toEqual([409, 'DEMO_WORKSPACE_NOT_EMPTY']);

    // The same seed in another workspace: the same brand, segment by segment.
    const other = await t.newWorkspace('Demo 2');
    const second = await api('POST', '/v1/demo', { customers: 300, seed: 7 }, other.secretKey);
    expect(second.status).toBe(201);
    const counts = (x: { segments: { name: string; memberCount: number }[] }) => x.segments.map((g) => [g.name, g.memberCount]);
    expect(counts(second.body)).toEqual(counts(s));
    expect([second.body.profiles, second.body.orders, second.body.refundedOrders]).toEqual([s.profiles, s.orders, s.refundedOrders]);
  });

  it('refuses a scale outside 1 to 200,000', async () => {
    t = await createTestApp(engine, { clockStart: NOW });
    const res = await api('POST', '/v1/demo', { customers: 0 });
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
