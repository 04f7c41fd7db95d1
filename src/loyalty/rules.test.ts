import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { writeJobState } from '../platform/db/job-state.js';
import { DAY_MS } from '../platform/time.js';
import { loyaltyTestApp } from './test-kit.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

describeEngines('earning rules: orders with holds and refunds, interactions, limits, campaigns', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  const summary = async (p: string) => (await app.api('GET', `/v1/profiles/${p}/points`)).body as { balance: number; pending: number };
  const order = (userId: string, orderId: string, total: number, extra: Record<string, unknown> = {}) =>
    app.track({ userId, event: 'Order Completed', properties: { order_id: orderId, total, ...extra } });
  const refund = (userId: string, orderId: string, total: number, refundId: string) =>
    app.track({ userId, event: 'Order Refunded', properties: { order_id: orderId, total, refund_id: refundId } });

  it('manages rule versions through the admin API, refusing what cannot apply with a precise message', async () => {
    app = await loyaltyTestApp(engine);
    const bad = await app.api('POST', '/v1/loyalty/rules', { name: 'x', kind: 'order', definition: { pointsPerYuan: 0 } });
    expect([bad.status, bad.body.error.code, bad.body.error.message]).toEqual([
      400,
      'VALIDATION_FAILED',
      expect.stringMatching(/definition\/pointsPerYuan must be > 0/),
    ]);
    const wrong = await app.api('POST', '/v1/loyalty/rules', {
      name: 'x',
      kind: 'order',
      definition: { pointsPerYuan: 1, campaigns: [{ name: 'member day', from: '2026-11-12T00:00:00+08:00', to: '2026-11-11T00:00:00+08:00', multiplier: 2 }] },
    });
    expect([wrong.status, wrong.body.error.code, wrong.body.error.message]).toEqual([
      400,
      'EARNING_RULE_INVALID',
      expect.stringMatching(/campaigns\/0 \("member day"\): from .* must be before to/),
    ]);
    const c = await app.api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: { pointsPerYuan: 1 } });
    expect(c.status).toBe(201);
    const v2 = await app.api('POST', `/v1/loyalty/rules/${c.body.id}/versions`, { name: 'orders', kind: 'order', definition: { pointsPerYuan: 2 } });
    expect(v2.body).toMatchObject({ id: c.body.id, version: 2, status: 'active' });
    const kind = await app.api('POST', `/v1/loyalty/rules/${c.body.id}/versions`, { name: 'orders', kind: 'event', definition: { event: 'A', points: 1 } });
    expect([kind.status, kind.body.error.code]).toEqual([400, 'EARNING_RULE_INVALID']);
    const got = await app.api('GET', `/v1/loyalty/rules/${c.body.id}`);
    expect(got.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const list = await app.api('GET', '/v1/loyalty/rules');
    expect(list.body).toMatchObject({ data: [{ id: c.body.id, version: 2 }], nextCursor: null });
    const off = await app.api('POST', `/v1/loyalty/rules/${c.body.id}/deactivate`);
    expect(off.body.rule.status).toBe('inactive');
    const missing = await app.api('GET', '/v1/loyalty/rules/lrl_nope');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'EARNING_RULE_NOT_FOUND']);
  });

  it('holds order points for the return window, claws back refunds proportionally, releases the rest, once', async () => {
    app = await loyaltyTestApp(engine);
    const rule = { pointsPerYuan: 1, rounding: 'floor', pendingDays: 7, excludeSkus: ['gift-card'] };
    await app.api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: rule });
    const p = await app.profile('buyer');
    // ¥250.99 paid, of which ¥50 is a gift card (excluded): 200.99 yuan earns 200 points (rounded down).
    await order('buyer', 'o-1', 250.99, {
      products: [
        { product_id: 'tea', price: 200.99, quantity: 1 },
        { product_id: 'gift-card', price: 25, quantity: 2 },
      ],
    });
    await app.pass();
    expect(await summary(p)).toMatchObject({ balance: 0, pending: 200 });
    // A partial refund of ¥100.40 of ¥250.99 (40%) takes 80 points out of the hold.
    await refund('buyer', 'o-1', 100.4, 'r-1');
    await app.pass();
    await app.pass();
    expect(await summary(p)).toMatchObject({ balance: 0, pending: 120 });
    expect(await app.mismatches()).toEqual([]);
    // The return window closes: what is left is credited once, with the workspace's expiry.
    app.t.clock.advance(7 * DAY_MS + 1000);
    await app.pass();
    await app.pass();
    expect(await summary(p)).toMatchObject({ balance: 120, pending: 0 });
    // A refund after the release is clawed back from the balance: everything else of the order.
    await refund('buyer', 'o-1', 150.59, 'r-2');
    await app.pass();
    expect(await summary(p)).toMatchObject({ balance: 0, pending: 0 });
    const history = (await app.api('GET', `/v1/profiles/${p}/points/history`)).body.data;
    expect(history.map((e: { kind: string; points: number }) => `${e.kind}:${e.points}`)).toEqual(['clawback:-120', 'earn:120']);
    expect(history[1]).toMatchObject({ source: { type: 'order', id: 'o-1' }, expiresAt: '2027-12-31T16:00:00.000Z' });
    // A crash that lost the cursor: the events are read again and nothing is given twice.
    await writeJobState(app.t.database.db, app.t.workspaceId, 'loyalty.rules', { cursors: {} }, app.t.clock.now());
    await app.pass();
    expect(await summary(p)).toMatchObject({ balance: 0, pending: 0 });
    expect(await app.mismatches()).toEqual([]);
  });

  it('applies a refund that arrived before its order, and a cancellation takes everything back', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: { pointsPerYuan: 2, pendingDays: 0 } });
    const p = await app.profile('buyer');
    await refund('buyer', 'o-2', 25, 'r-early');
    await app.pass();
    await order('buyer', 'o-2', 100);
    await app.pass();
    // 200 points for ¥100, less the early refund's quarter.
    expect(await summary(p)).toMatchObject({ balance: 150, pending: 0 });
    await app.track({ userId: 'buyer', event: 'Order Cancelled', properties: { order_id: 'o-2' } });
    await app.pass();
    expect((await summary(p)).balance).toBe(0);
    expect(await app.mismatches()).toEqual([]);
  });

  it('multiplies in a campaign (member day), caps per day in the workspace time zone, and awards interactions once per event', async () => {
    app = await loyaltyTestApp(engine, { clockStart: Date.parse('2026-11-11T02:00:00Z') });
    await app.api('POST', '/v1/loyalty/rules', {
      name: 'orders',
      kind: 'order',
      definition: {
        pointsPerYuan: 1,
        pendingDays: 0,
        campaigns: [{ name: 'member day', from: '2026-11-11T00:00:00+08:00', to: '2026-11-12T00:00:00+08:00', multiplier: 2 }],
        limits: { day: 500 },
      },
    });
    await app.api('POST', '/v1/loyalty/rules', {
      name: 'reviews',
      kind: 'event',
      definition: { event: 'Review Posted', points: 20, where: { verified: true }, limits: { lifetime: 50 } },
    });
    const p = await app.profile('fan');
    await order('fan', 'a', 100); // 200 points (double)
    app.t.clock.advance(60_000);
    await order('fan', 'b', 200); // 400 asked, 300 left today
    for (const verified of [true, true, false, true, true]) await app.track({ userId: 'fan', event: 'Review Posted', properties: { verified } });
    await app.pass();
    await app.pass();
    // 200 + 300 (capped) + 20 + 20 + 10 (lifetime cap of the review rule).
    expect((await summary(p)).balance).toBe(550);
    const awards = await app.t.database.db
      .selectFrom('loyalty_awards')
      .select(['subject_key', 'points', 'note'])
      .where('subject_key', '=', 'order:b')
      .executeTakeFirstOrThrow();
    expect(awards).toMatchObject({ points: 300, note: expect.stringMatching(/limit of 500 points per day reached \(200 given before\)/) });
    // The next local day (Asia/Shanghai) has its own allowance and no campaign.
    app.t.clock.set(Date.parse('2026-11-11T16:30:00Z'));
    await order('fan', 'c', 100);
    await app.pass();
    expect((await summary(p)).balance).toBe(650);
    expect(await app.mismatches()).toEqual([]);
  });
});
