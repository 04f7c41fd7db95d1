import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

/**
 * The data catalogue over data sent through the tracking API: trait keys with their types and
 * frequent values, consent categories, the names of track events (not page views, not another
 * workspace's), and an event's property names.
 */
describeEngines('data catalogue', (engine) => {
  let t: TestApp;
  let other: Awaited<ReturnType<TestApp['newWorkspace']>>;

  const batch = async (writeKey: string, messages: Record<string, unknown>[]) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(writeKey) },
      payload: { batch: messages.map((m, i) => ({ messageId: `${writeKey.slice(-6)}-${i}`, ...m })) },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const get = async (url: string, key = t.secretKey) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    t = await createTestApp(engine);
    other = await t.newWorkspace('Other');
    await batch(t.writeKey, [
      { type: 'identify', userId: 'u1', traits: { plan: 'gold', age: 30, vip: true } },
      { type: 'identify', userId: 'u2', traits: { plan: 'silver', city: '上海' }, context: { consent: { categoryPreferences: { marketing_sms: true } } } },
      { type: 'identify', userId: 'u3', traits: { plan: 'gold', age: '31' } },
      { type: 'track', userId: 'u1', event: 'Order Completed', properties: { order_id: 'o1', total: 20, channel: '小程序' } },
      { type: 'track', userId: 'u2', event: 'Order Completed', properties: { order_id: 'o2', total: 35 } },
      { type: 'track', userId: 'u2', event: 'Viewed Product', properties: { product: 'tea' } },
      { type: 'page', userId: 'u1', name: 'Home' },
    ]);
    await batch(other.writeKey, [{ type: 'track', userId: 'x', event: 'Elsewhere Only', properties: { secret: 1 } }]);
  });
  afterAll(async () => t?.close());

  it('lists trait keys with their types and frequent values, and consent categories', async () => {
    const r = await get('/v1/catalog/traits');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ sampledProfiles: 3, nextCursor: null });
    const byKey = Object.fromEntries(r.body.data.map((k: { key: string }) => [k.key, k]));
    expect(r.body.data[0]).toEqual({ key: 'plan', count: 3, types: ['string'], examples: ['gold', 'silver'] });
    expect(byKey.age).toEqual({ key: 'age', count: 2, types: expect.arrayContaining(['number', 'string']), examples: expect.arrayContaining([30, '31']) });
    expect(byKey.vip).toMatchObject({ count: 1, types: ['boolean'], examples: [true] });
    expect(byKey.city).toMatchObject({ count: 1, examples: ['上海'] });
    expect(r.body.consent.map((c: { key: string }) => c.key)).toEqual(['marketing_sms']);
    expect((await get('/v1/catalog/traits', other.secretKey)).body.data).toEqual([]);
  });

  it("lists the workspace's track event names only (no page views, nothing of another workspace)", async () => {
    const r = await get('/v1/catalog/events');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: [{ name: 'Order Completed' }, { name: 'Viewed Product' }], nextCursor: null });
    expect((await get('/v1/catalog/events', other.secretKey)).body.data).toEqual([{ name: 'Elsewhere Only' }]);
    // Paged: one name at a time, each once, the page view's name never.
    const first = await get('/v1/catalog/events?limit=1');
    expect(first.body.data).toEqual([{ name: 'Order Completed' }]);
    const second = await get(`/v1/catalog/events?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ data: [{ name: 'Viewed Product' }], nextCursor: null });
    expect((await get('/v1/catalog/events?cursor=nonsense')).status).toBe(400);
  });

  it("lists an event's property names, most common first", async () => {
    const r = await get(`/v1/catalog/event-properties?event=${encodeURIComponent('Order Completed')}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ event: 'Order Completed', sampledEvents: 2, nextCursor: null });
    expect(
      r.body.data
        .slice(0, 2)
        .map((p: { property: string }) => p.property)
        .sort(),
    ).toEqual(['order_id', 'total']);
    expect(r.body.data.find((p: { property: string }) => p.property === 'total')).toEqual({
      property: 'total',
      count: 2,
      types: ['number'],
      examples: expect.arrayContaining([20, 35]),
    });
    expect(r.body.data.find((p: { property: string }) => p.property === 'channel')).toMatchObject({ count: 1, examples: ['小程序'] });
    expect((await get('/v1/catalog/event-properties?event=Nothing')).body).toEqual({ event: 'Nothing', data: [], sampledEvents: 0, nextCursor: null });
    expect((await get('/v1/catalog/event-properties')).status).toBe(400);
  });
});
