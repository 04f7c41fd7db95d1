import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { processFeed } from './feed.js';
import { recomputeSegment } from './recompute.js';

/** Segment rules on order_count and total_spent_fen see net values: a refund or cancellation moves members out. */
describeEngines('segments over net order values', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const ok = async (method: 'GET' | 'POST', url: string, payload?: object, status = 200) => {
    const res = await t.app.inject({ method, url, headers: { authorization: 'Bearer ' + t.secretKey }, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  const batch = async (items: object[]) => {
    t.clock.advance(1000);
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(t.writeKey) }, payload: { batch: items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const order = (userId: string, orderId: string, total: number) => ({
    type: 'track',
    userId,
    event: 'Order Completed',
    properties: { order_id: orderId, total },
  });
  const members = async (segmentId: string) => {
    const page = await ok('GET', `/v1/segments/${segmentId}/members?limit=100`);
    return (page.data as { profileId: string }[]).map((m) => m.profileId).sort();
  };

  it('a refund sent on another identity than the order takes its buyer out of an order_count or spend segment', async () => {
    await batch([order('net-a', 'na-1', 100), order('net-b', 'nb-1', 100)]);
    const a = (await ok('GET', '/v1/profiles/user_id:net-a')).id as string;
    const b = (await ok('GET', '/v1/profiles/user_id:net-b')).id as string;
    const buyers = await ok('POST', '/v1/segments', { name: 'Buyers', rule: { type: 'profile', field: 'order_count', op: 'gte', value: 1 } }, 201);
    const big = await ok('POST', '/v1/segments', { name: 'Spent 100', rule: { type: 'profile', field: 'total_spent_fen', op: 'gte', value: 10000 } }, 201);
    for (const s of [buyers, big]) await recomputeSegment(t.services.membership, t.workspaceId, s.id, { lagMs: 0 });
    // The change feed caught up: from here on it sees only profiles written after this point.
    t.clock.advance(1000);
    await processFeed(t.services.membership, t.workspaceId, { lagMs: 0 });
    expect(await members(buyers.id)).toEqual([a, b].sort());
    expect(await members(big.id)).toEqual([a, b].sort());

    // The refunds come from a device the buyers never used: the orders' owners change all the same.
    await batch([
      { type: 'track', anonymousId: 'kiosk', event: 'Order Refunded', properties: { order_id: 'na-1' } },
      { type: 'track', anonymousId: 'kiosk', event: 'Order Refunded', properties: { order_id: 'nb-1', total: 10 } },
    ]);
    t.clock.advance(1000);
    await processFeed(t.services.membership, t.workspaceId, { lagMs: 0 });
    expect(await members(buyers.id)).toEqual([b]);
    expect(await members(big.id)).toEqual([]);
  });
});
