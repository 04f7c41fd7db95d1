import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { memberTestApp } from './testing/member-api-kit.js';
import { verifyBalances } from './verify.js';

type App = Awaited<ReturnType<typeof memberTestApp>>;

describeEngines('reversing a catalogue redemption', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('gives the points back through the ledger once, restores the unit, voids the unused coupon; refuses when the coupon was used', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('m1');
    await app.earn(p, 1000);
    const tpl = (await app.call('POST', '/v1/loyalty/coupon-templates', { name: '¥10 off', kind: 'fixed', amountFen: 1000, validity: { days: 30 } })).body;
    const item = (
      await app.call('POST', '/v1/loyalty/catalogue-items', { name: '¥10 coupon', kind: 'coupon', couponTemplateId: tpl.id, points: 300, stock: 2 })
    ).body;
    const redeem = async (key: string) =>
      (await app.call('POST', `/v1/loyalty/catalogue-items/${item.id}/redeem`, { profile: p, idempotencyKey: key })).body.redemption;
    const first = await redeem('r1');
    const second = await redeem('r2');
    const balance = async () => (await app.call('GET', `/v1/profiles/${p}/points`)).body.balance as number;
    const left = async () => (await app.call('GET', `/v1/loyalty/catalogue-items/${item.id}`)).body.left as number;
    expect([await balance(), await left()]).toEqual([400, 0]);

    const reversed = await app.call('POST', `/v1/loyalty/catalogue-redemptions/${first.id}/reverse`, { reason: 'member changed their mind' });
    expect(reversed.status, JSON.stringify(reversed.body)).toBe(200);
    expect(reversed.body).toMatchObject({
      balance: 700,
      redemption: { id: first.id, status: 'reversed', reverseReason: 'member changed their mind', couponCode: first.couponCode },
    });
    expect([await balance(), await left()]).toEqual([700, 1]);
    const credit = (await app.call('GET', `/v1/profiles/${p}/points/history?limit=1`)).body.data[0];
    expect(credit).toMatchObject({
      id: reversed.body.redemption.reverseEntryId,
      kind: 'adjust',
      points: 300,
      idempotencyKey: `siyu:catalogue-reverse:${first.id}`,
    });
    const coupons = Object.fromEntries(((await app.call('GET', `/v1/profiles/${p}/coupons`)).body.data as any[]).map((c) => [c.code, c]));
    expect(coupons[first.couponCode]).toMatchObject({ status: 'voided', voidReason: `catalogue redemption ${first.id} reversed: member changed their mind` });
    expect(await app.timeline(p, 'Coupon Voided')).toMatchObject([{ code: first.couponCode }]);
    expect(await app.timeline(p, 'Reward Redemption Reversed')).toMatchObject([{ redemption_id: first.id, points: 300 }]);
    // Again: the same answer, nothing more.
    const again = await app.call('POST', `/v1/loyalty/catalogue-redemptions/${first.id}/reverse`, { reason: 'member changed their mind' });
    expect([again.status, again.replayed, again.body.redemption.reverseEntryId]).toEqual([200, true, reversed.body.redemption.reverseEntryId]);
    expect([await balance(), await left()]).toEqual([700, 1]);
    // The returned unit can be redeemed again.
    const third = await redeem('r3');
    expect([await balance(), await left()]).toEqual([400, 0]);

    // The second redemption's coupon is used on an order: its reversal is refused and changes nothing.
    const used = await app.call('POST', '/v1/loyalty/coupons/redeem', {
      code: second.couponCode,
      profile: p,
      orderId: 'o-1',
      orderAmountFen: 5000,
      idempotencyKey: 'use',
    });
    expect(used.status).toBe(200);
    const refused = await app.call('POST', `/v1/loyalty/catalogue-redemptions/${second.id}/reverse`, { reason: 'oops' });
    expect([refused.status, refused.body.error.code, refused.body.error.details]).toEqual([
      409,
      'CATALOGUE_COUPON_USED',
      { couponCode: second.couponCode, orderId: 'o-1' },
    ]);
    expect([await balance(), await left()]).toEqual([400, 0]);
    const list = (await app.call('GET', `/v1/loyalty/catalogue-items/${item.id}/redemptions?profile=${p}`)).body;
    expect(Object.fromEntries(list.data.map((r: any) => [r.id, r.status]))).toEqual({
      [first.id]: 'reversed',
      [second.id]: 'redeemed',
      [third.id]: 'redeemed',
    });
    expect(list.nextCursor).toBeNull();
    const missing = await app.call('POST', '/v1/loyalty/catalogue-redemptions/rdm_nope/reverse', { reason: 'x' });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'CATALOGUE_REDEMPTION_NOT_FOUND']);
    // The reversal is in the audit log, as every change is.
    const audit = (await app.call('GET', '/v1/audit?route=/v1/loyalty/catalogue-redemptions/:id/reverse')).body.data;
    expect(audit.map((a: any) => [a.path, a.status])).toEqual(
      expect.arrayContaining([
        [`/v1/loyalty/catalogue-redemptions/${first.id}/reverse`, 200],
        [`/v1/loyalty/catalogue-redemptions/${second.id}/reverse`, 409],
      ]),
    );
    expect((await verifyBalances(app.t.database.db)).mismatches).toEqual([]);
  });
});
