import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { couponsTestApp } from './testing/coupons-kit.js';

type App = Awaited<ReturnType<typeof couponsTestApp>>;
const START = Date.parse('2026-11-03T04:00:00Z');

describeEngines('coupons and the order lifecycle: reversal on refund or cancellation, statistics', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  /** Issues a coupon of `template` to the profile and redeems it on `orderId`; returns its code. */
  async function useOn(template: string, profile: string, orderId: string, amountFen: number): Promise<string> {
    const c = await app.issue(template, profile, `issue-${orderId}`);
    const r = await app.call('POST', '/v1/loyalty/coupons/redeem', {
      code: c.code,
      profile,
      orderId,
      orderAmountFen: amountFen,
      idempotencyKey: `redeem-${orderId}`,
    });
    expect(r.status).toBe(200);
    return c.code;
  }

  it("reverses on the CDP's Order Cancelled and full Order Refunded (not a partial refund), once, and counts net revenue", async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const p = await app.profile('u1');
    const t = await app.template({ key: 'mj', name: '满100减20', kind: 'threshold', amountFen: 2000, thresholdFen: 10000, validity: { days: 30 } });
    const codes = {
      o1: await useOn('mj', p, 'o1', 12000),
      o2: await useOn('mj', p, 'o2', 15000),
      o3: await useOn('mj', p, 'o3', 10000),
      o4: await useOn('mj', p, 'o4', 10000),
    };
    await app.issue('mj', p, 'unused');
    // The shop reports the orders through the tracking API (o4 not yet).
    app.t.clock.advance(60_000);
    await app.track('u1', 'Order Completed', { order_id: 'o1', total: 100 });
    await app.track('u1', 'Order Completed', { order_id: 'o2', total: 130 });
    await app.track('u1', 'Order Completed', { order_id: 'o3', total: 80 });
    const stats = async () => (await app.call('GET', `/v1/loyalty/coupon-templates/${t.id}/stats`)).body;
    expect(await stats()).toEqual({
      created: 5,
      unassigned: 0,
      issued: 5,
      claimed: 0,
      redeemed: 4,
      reversed: 0,
      redemptionRate: 0.8,
      discountFen: 8000,
      revenueFen: 31000,
      ordersNotSeen: 1,
    });

    app.t.clock.advance(60_000);
    await app.track('u1', 'Order Refunded', { order_id: 'o1' }); // no amount: the whole order
    await app.track('u1', 'Order Refunded', { order_id: 'o2', refund_id: 'rf2', total: 30 }); // partial
    await app.track('u1', 'Order Cancelled', { order_id: 'o3' });
    expect(await app.worker.runOnce()).toBe(2);
    // Read again (the pass re-reads an overlap before its cursor): nothing more.
    expect(await app.worker.runOnce()).toBe(0);

    const coupons = new Map(((await app.call('GET', `/v1/profiles/${p}/coupons`)).body.data as any[]).map((c) => [c.code, c]));
    expect([codes.o1, codes.o2, codes.o3, codes.o4].map((c) => coupons.get(c).status)).toEqual(['issued', 'redeemed', 'issued', 'redeemed']);
    const reversed = (await app.couponEvents(p)).filter((e) => e.event === 'Coupon Reversed');
    const byOrder = reversed.map((e) => [e.properties.code, e.properties.order_id, e.properties.reason]).sort((a, b) => a[1].localeCompare(b[1]));
    expect(byOrder).toEqual([
      [codes.o1, 'o1', 'order refunded'],
      [codes.o3, 'o3', 'order cancelled'],
    ]);
    // o2: 130 less the 30 refunded; o1 and o3 no longer count; o4 is still unseen.
    expect(await stats()).toMatchObject({ redeemed: 2, reversed: 2, redemptionRate: 0.4, discountFen: 4000, revenueFen: 10000, ordersNotSeen: 1 });

    // A reversed coupon is the member's to use again.
    const again = await app.call('POST', '/v1/loyalty/coupons/redeem', {
      code: codes.o1,
      profile: p,
      orderId: 'o5',
      orderAmountFen: 10000,
      idempotencyKey: 'again',
    });
    expect(again.body.redemption.discountFen).toBe(2000);

    // Reversal by the API: idempotent, and refused for an order the code was not used on.
    const rev = await app.call('POST', '/v1/loyalty/coupons/reverse', { code: codes.o2, orderId: 'o2', reason: 'shop refunded by hand' });
    expect([rev.status, rev.replayed, rev.body.redemption.reverseReason]).toEqual([200, false, 'shop refunded by hand']);
    const rev2 = await app.call('POST', '/v1/loyalty/coupons/reverse', { code: codes.o2, orderId: 'o2', reason: 'again' });
    expect([rev2.replayed, rev2.body.redemption.reverseReason]).toEqual([true, 'shop refunded by hand']);
    const wrong = await app.call('POST', '/v1/loyalty/coupons/reverse', { code: codes.o4, orderId: 'o2', reason: 'x' });
    expect(wrong.body.error).toEqual({
      code: 'COUPON_NOT_REDEEMED',
      message: `coupon ${codes.o4} was never redeemed on order o2`,
      details: { code: codes.o4, orderId: 'o2' },
    });
  });

  it('reverses a refund dated a day before the cursor: the durable pass reads in storage order, once', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const p = await app.profile('u1');
    await app.template({ key: 'f', name: '¥5', kind: 'fixed', amountFen: 500, validity: { days: 30 } });
    const code = await useOn('f', p, 'late', 3000);
    await app.track('u1', 'Order Completed', { order_id: 'late', total: 30 });
    await app.worker.runOnce(); // the cursor is now at the order's time
    app.t.clock.advance(60_000);
    // An offline refund dated a day before the cursor: stored now, so the durable pass reads it.
    await app.track('u1', 'Order Refunded', { order_id: 'late' }, '2026-11-02T04:00:00Z');
    expect(await app.worker.runOnce()).toBe(1);
    expect(await app.worker.runOnce()).toBe(0);
    const c = (await app.call('GET', `/v1/profiles/${p}/coupons`)).body.data[0];
    expect([c.code, c.status]).toEqual([code, 'issued']);
  });
});
