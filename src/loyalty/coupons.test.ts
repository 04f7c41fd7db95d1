import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { couponsTestApp } from './testing/coupons-kit.js';

type App = Awaited<ReturnType<typeof couponsTestApp>>;

// 2026-11-03T04:00Z is 12:00 on 11-03 in Shanghai (the workspace's default zone).
const START = Date.parse('2026-11-03T04:00:00Z');

describeEngines('coupon templates, issue and redemption', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('validates templates per kind, keeps keys unique, pages the list with statistics, patches and archives', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const bad = await app.call('POST', '/v1/loyalty/coupon-templates', { name: 'x', kind: 'threshold', amountFen: 2000, validity: { days: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'thresholdFen' } });
    expect(bad.body.error.message).toMatch(/threshold coupon needs thresholdFen/);
    const mixed = await app.call('POST', '/v1/loyalty/coupon-templates', { name: 'x', kind: 'fixed', amountFen: 500, percentOff: 10, validity: { days: 7 } });
    expect(mixed.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'percentOff does not apply to a fixed coupon' });
    const noEnd = await app.call('POST', '/v1/loyalty/coupon-templates', { name: 'x', kind: 'fixed', amountFen: 500, validity: {} });
    expect(noEnd.body.error.message).toMatch(/validity needs until/);
    const past = await app.call('POST', '/v1/loyalty/coupon-templates', {
      name: 'x',
      kind: 'fixed',
      amountFen: 500,
      validity: { until: '2026-01-01T00:00:00Z' },
    });
    expect(past.body.error.details).toEqual({ field: 'validity.until' });

    const a = await app.template({
      key: 'spring',
      name: '满100减20',
      kind: 'threshold',
      amountFen: 2000,
      thresholdFen: 10000,
      validity: { days: 7 },
      stock: 100,
    });
    const taken = await app.call('POST', '/v1/loyalty/coupon-templates', { key: 'spring', name: 'again', kind: 'fixed', amountFen: 1, validity: { days: 1 } });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'COUPON_TEMPLATE_KEY_TAKEN']);
    // Ids sort by creation time (to the millisecond): the clock moves between creations.
    for (let i = 0; i < 3; i++) {
      app.t.clock.advance(1);
      await app.template({ name: `t${i}`, kind: 'percent', percentOff: 10, capFen: 500, validity: { days: 1 } });
    }
    const page1 = await app.call('GET', '/v1/loyalty/coupon-templates?limit=3');
    expect(page1.body.data.map((t: any) => t.name)).toEqual(['t2', 't1', 't0']);
    expect(page1.body.data[0].stats).toMatchObject({ created: 0, issued: 0, redeemed: 0, redemptionRate: 0, revenueFen: 0 });
    const page2 = await app.call('GET', `/v1/loyalty/coupon-templates?limit=3&cursor=${page1.body.nextCursor}`);
    expect([page2.body.data.map((t: any) => t.key), page2.body.nextCursor]).toEqual([['spring'], null]);

    // By key or id; PATCH changes limits and status; stock cannot go below what exists.
    expect((await app.call('GET', '/v1/loyalty/coupon-templates/spring')).body.id).toBe(a.id);
    const patched = await app.call('PATCH', `/v1/loyalty/coupon-templates/${a.id}`, { status: 'paused', stock: 50, perPersonLimit: 2 });
    expect(patched.body).toMatchObject({ status: 'paused', stock: 50, perPersonLimit: 2, amountFen: 2000, thresholdFen: 10000 });
    const archived = await app.call('DELETE', '/v1/loyalty/coupon-templates/spring');
    expect(archived.body.status).toBe('archived');
    expect((await app.call('GET', '/v1/loyalty/coupon-templates?limit=10')).body.data.map((t: any) => t.name)).toEqual(['t2', 't1', 't0']);
    expect((await app.call('GET', '/v1/loyalty/coupon-templates?status=archived')).body.data.map((t: any) => t.id)).toEqual([a.id]);
    expect((await app.call('GET', '/v1/loyalty/coupon-templates/nope')).body.error).toMatchObject({
      code: 'COUPON_TEMPLATE_NOT_FOUND',
      message: 'no coupon template with id or key "nope" in this workspace',
    });
  });

  it('issues idempotently with a validity of N local days, holds per-person limits and stock, refuses paused templates', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const p1 = await app.profile('u1');
    const p2 = await app.profile('u2');
    const t = await app.template({ key: 'wk', name: '¥5 off', kind: 'fixed', amountFen: 500, validity: { days: 7 }, perPersonLimit: 2, stock: 3 });
    const first = await app.call('POST', '/v1/loyalty/coupons/issue', { template: 'wk', profile: 'user_id:u1', idempotencyKey: 'k1', reason: 'welcome' });
    expect(first.status).toBe(200);
    const c = first.body.coupon;
    expect(c).toMatchObject({ templateId: t.id, profileId: p1, status: 'issued', channel: 'api', reason: 'welcome', expired: false });
    // Issued 12:00 on 11-03 Shanghai, 7 days with the issue day as day 1: valid until the end of 11-09 local.
    expect([c.issuedAt, c.validUntil]).toEqual(['2026-11-03T04:00:00.000Z', '2026-11-09T16:00:00.000Z']);
    expect(c.code).toMatch(/^[2-9A-HJKMNP-Z]{10}$/);
    const again = await app.call('POST', '/v1/loyalty/coupons/issue', { template: 'wk', profile: 'user_id:u1', idempotencyKey: 'k1', reason: 'welcome' });
    expect([again.body.coupon.id, again.replayed]).toEqual([c.id, true]);
    const conflict = await app.call('POST', '/v1/loyalty/coupons/issue', { template: 'wk', profile: p2, idempotencyKey: 'k1' });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);

    app.t.clock.advance(1);
    await app.issue('wk', p1, 'k2');
    const limit = await app.call('POST', '/v1/loyalty/coupons/issue', { template: 'wk', profile: p1, idempotencyKey: 'k3' });
    expect(limit.body.error).toMatchObject({ code: 'COUPON_LIMIT_REACHED', details: { held: 2, limit: 2 } });
    await app.issue('wk', p2, 'k4');
    const stock = await app.call('POST', '/v1/loyalty/coupons/issue', { template: 'wk', profile: p2, idempotencyKey: 'k5' });
    expect([stock.status, stock.body.error.code, stock.body.error.message]).toEqual([
      409,
      'COUPON_OUT_OF_STOCK',
      `coupon template ${t.id} has 0 of its 3 coupons left, 1 asked for`,
    ]);

    await app.call('PATCH', '/v1/loyalty/coupon-templates/wk', { status: 'paused', stock: 10 });
    const paused = await app.call('POST', '/v1/loyalty/coupons/issue', { template: 'wk', profile: p2, idempotencyKey: 'k6' });
    expect(paused.body.error.code).toBe('COUPON_TEMPLATE_INACTIVE');
    const low = await app.call('PATCH', '/v1/loyalty/coupon-templates/wk', { stock: 2 });
    expect(low.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'stock' } });

    const mine = await app.call('GET', `/v1/profiles/user_id:u1/coupons?limit=1`);
    expect(mine.body.data).toHaveLength(1);
    const rest = await app.call('GET', `/v1/profiles/${p1}/coupons?limit=5&cursor=${mine.body.nextCursor}`);
    expect([...mine.body.data, ...rest.body.data].map((x: any) => x.status)).toEqual(['issued', 'issued']);
    const events = await app.couponEvents(p1);
    expect(events.map((e) => e.event)).toEqual(['Coupon Issued', 'Coupon Issued']);
    expect(events[0]!.properties).toMatchObject({
      coupon_id: c.id,
      code: c.code,
      template_id: t.id,
      template_key: 'wk',
      kind: 'fixed',
      channel: 'api',
      valid_until: c.validUntil,
    });
  });

  it('redeems against an order: owner, threshold, validity, once per code, idempotent replay; answers the discount in fen', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const p1 = await app.profile('u1');
    const p2 = await app.profile('u2');
    await app.template({ key: 'mj', name: '满100减20', kind: 'threshold', amountFen: 2000, thresholdFen: 10000, validity: { days: 3 } });
    const c = await app.issue('mj', p1, 'i1');
    const redeem = (over: Record<string, unknown>) =>
      app.call('POST', '/v1/loyalty/coupons/redeem', { code: c.code, profile: p1, orderId: 'o1', orderAmountFen: 12000, idempotencyKey: 'r1', ...over });

    expect((await redeem({ orderAmountFen: 9999, idempotencyKey: 'x1' })).body.error).toMatchObject({
      code: 'COUPON_THRESHOLD_NOT_MET',
      details: { thresholdFen: 10000, orderAmountFen: 9999 },
    });
    const other = await redeem({ profile: p2, idempotencyKey: 'x2' });
    expect([other.status, other.body.error.code]).toEqual([403, 'COUPON_NOT_OWNED']);
    expect((await redeem({ code: 'ZZZZ-ZZZZ-ZZ', idempotencyKey: 'x3' })).body.error.code).toBe('COUPON_NOT_FOUND');

    // Typed in lower case with a hyphen: the same code.
    const typed = `${c.code.slice(0, 5).toLowerCase()}-${c.code.slice(5)}`;
    const ok = await redeem({ code: typed });
    expect(ok.status).toBe(200);
    expect(ok.body.redemption).toMatchObject({ code: c.code, orderId: 'o1', orderAmountFen: 12000, discountFen: 2000, reversedAt: null });
    const replay = await redeem({ code: typed });
    expect([replay.replayed, replay.body.redemption.id]).toEqual([true, ok.body.redemption.id]);
    const changed = await redeem({ orderAmountFen: 13000 });
    expect(changed.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    const twice = await redeem({ orderId: 'o2', idempotencyKey: 'r2' });
    expect(twice.body.error).toMatchObject({ code: 'COUPON_ALREADY_REDEEMED', details: { orderId: 'o1', redemptionId: ok.body.redemption.id } });

    // Validity: the end of the third local day.
    app.t.clock.advance(1);
    const late = await app.issue('mj', p1, 'i2');
    app.t.clock.set(Date.parse(late.validUntil!));
    const expired = await app.call('POST', '/v1/loyalty/coupons/redeem', {
      code: late.code,
      profile: p1,
      orderId: 'o3',
      orderAmountFen: 20000,
      idempotencyKey: 'r3',
    });
    expect(expired.body.error).toMatchObject({ code: 'COUPON_NOT_VALID_NOW', details: { validUntil: '2026-11-05T16:00:00.000Z' } });
    const list = (await app.call('GET', `/v1/profiles/${p1}/coupons`)).body.data;
    expect(list.map((x: any) => [x.code, x.status, x.expired])).toEqual([
      [late.code, 'issued', true],
      [c.code, 'redeemed', false],
    ]);
    expect((await app.call('GET', `/v1/profiles/${p1}/coupons?status=redeemed`)).body.data.map((x: any) => x.code)).toEqual([c.code]);
    const events = await app.couponEvents(p1);
    expect(events.map((e) => e.event)).toEqual(['Coupon Issued', 'Coupon Redeemed', 'Coupon Issued']);
    expect(events[1]!.properties).toMatchObject({ code: c.code, order_id: 'o1', discount_fen: 2000, order_amount_fen: 12000 });
  });

  it('computes percent (with cap) and free-item discounts and applies the stacking rules per order', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const p = await app.profile('u1');
    await app.template({ key: 'pct', name: '85折', kind: 'percent', percentOff: 15, capFen: 3000, validity: { days: 30 }, stackable: true });
    await app.template({ key: 'pct2', name: '9折', kind: 'percent', percentOff: 10, validity: { days: 30 }, stackable: true, maxPerOrder: 1 });
    await app.template({ key: 'cup', name: 'free latte', kind: 'free_item', itemKey: 'latte', validity: { days: 30 }, stackable: true });
    await app.template({ key: 'solo', name: '¥10 off alone', kind: 'fixed', amountFen: 1000, validity: { days: 30 } });
    const r = async (template: string, orderId: string, amount: number, extra: Record<string, unknown> = {}) => {
      const c = await app.issue(template, p, `i-${template}-${orderId}-${Math.random()}`);
      return app.call('POST', '/v1/loyalty/coupons/redeem', {
        code: c.code,
        profile: p,
        orderId,
        orderAmountFen: amount,
        idempotencyKey: `r-${c.code}`,
        ...extra,
      });
    };
    expect((await r('pct', 'a', 10000)).body.redemption.discountFen).toBe(1500);
    expect((await r('pct', 'b', 50000)).body.redemption.discountFen).toBe(3000); // capped
    // Stacked on order b: 10% of what is left after the first coupon (50000 - 3000).
    expect((await r('pct2', 'b', 50000)).body.redemption.discountFen).toBe(4700);
    const samePerOrder = await r('pct2', 'b', 50000);
    expect(samePerOrder.body.error).toMatchObject({ code: 'COUPON_NOT_STACKABLE', details: { maxPerOrder: 1 } });
    const alone = await r('solo', 'b', 50000);
    expect(alone.body.error.message).toMatch(/order b already has 2 coupon\(s\) and this coupon \(¥10 off alone\) cannot be combined/);
    expect((await r('solo', 'c', 50000)).status).toBe(200);
    expect((await r('pct', 'c', 50000)).body.error.message).toMatch(/"¥10 off alone" on it cannot be combined/);
    const lines = [
      { key: 'cake', priceFen: 2800, quantity: 1 },
      { key: 'latte', priceFen: 3200, quantity: 2 },
    ];
    expect((await r('cup', 'd', 9200, { lines })).body.redemption.discountFen).toBe(3200);
    expect((await r('cup', 'e', 2800, { lines: [lines[0]] })).body.error).toMatchObject({ code: 'COUPON_ITEM_NOT_IN_ORDER', details: { itemKey: 'latte' } });
  });

  it("counts a validity of N days in the workspace's own time zone", async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    await app.t.database.db
      .updateTable('workspaces')
      .set({ settings: JSON.stringify({ timezone: 'UTC' }) })
      .where('id', '=', app.t.workspaceId)
      .execute();
    const p = await app.profile('u1');
    await app.template({ key: 'd1', name: 'today only', kind: 'fixed', amountFen: 100, validity: { days: 1 } });
    expect((await app.issue('d1', p, 'k')).validUntil).toBe('2026-11-04T00:00:00.000Z');
  });
});
