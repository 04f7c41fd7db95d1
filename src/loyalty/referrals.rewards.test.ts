import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { grantReward } from './referrals.rewards.js';
import { referralsTestApp } from './testing/referrals-kit.js';

type App = Awaited<ReturnType<typeof referralsTestApp>>;

const START = Date.parse('2026-11-03T04:00:00Z');

describeEngines('referral rewards: coupons through the coupon issue, tier days through the tier port', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('issues a coupon reward once, and records a reward that cannot be given (out of stock) with its reason', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    const tpl = await app.api('POST', '/v1/loyalty/coupon-templates', {
      key: 'welcome',
      name: '¥10',
      kind: 'fixed',
      amountFen: 1000,
      validity: { days: 30 },
      stock: 1,
    });
    expect(tpl.status).toBe(201);
    await app.programme({ rules: [{ id: 'gift', on: 'registration', to: 'referee', reward: { kind: 'coupon', template: 'welcome' } }] });
    const code = await app.codeOf(await app.person('alice'));
    const bob = await app.person('bob');
    const first = await app.attribute(code, bob);
    expect(first.body.rewards).toMatchObject([{ kind: 'coupon', status: 'granted', profileId: bob, note: null }]);
    const coupons = (await app.api('GET', `/v1/profiles/${bob}/coupons`)).body.data;
    expect(coupons.map((c: any) => [c.code, c.status])).toEqual([[first.body.rewards[0].reference, 'issued']]);
    // The stock (1) is used up: the next referee's reward is recorded as failed, with the coupon error.
    const carl = await app.person('carl');
    const second = await app.attribute(code, carl);
    expect(second.body.decision.outcome).toBe('accepted');
    expect(second.body.rewards).toMatchObject([{ kind: 'coupon', status: 'failed', reference: null }]);
    expect(second.body.rewards[0].note).toMatch(/^COUPON_OUT_OF_STOCK: /);
    expect((await app.api('GET', `/v1/profiles/${carl}/coupons`)).body.data).toEqual([]);
  });

  it('gives tier days through the port when one is wired, and records TIER_DAYS_UNAVAILABLE when none is', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    const bob = await app.person('bob');
    const granted: { profileId: string; days: number; idempotencyKey: string }[] = [];
    const tierDays = {
      grant: async (_trx: unknown, g: { profileId: string; days: number; idempotencyKey: string }) => {
        granted.push({ profileId: g.profileId, days: g.days, idempotencyKey: g.idempotencyKey });
        return { reference: `tier-grant-${granted.length}` };
      },
    };
    const req = (key: string) => ({
      workspaceId: app.t.workspaceId,
      key,
      refereeId: bob,
      profileId: bob,
      ruleId: 'vip',
      trigger: 'milestone' as const,
      reward: { kind: 'tier_days' as const, days: 30 },
      orderId: null,
      reason: 'test',
    });
    const db = app.t.database.db;
    const wired = await db.transaction().execute((trx) => grantReward(trx, { ...app.deps(), tierDays }, req('with-port'), START));
    expect([wired.reward.status, wired.reward.reference, wired.reward.amount]).toEqual(['granted', 'tier-grant-1', 30]);
    expect(granted).toEqual([{ profileId: bob, days: 30, idempotencyKey: 'referral:with-port' }]);
    // Once per key.
    const again = await db.transaction().execute((trx) => grantReward(trx, { ...app.deps(), tierDays }, req('with-port'), START));
    expect([again.first, granted.length]).toEqual([false, 1]);
    const none = await db.transaction().execute((trx) => grantReward(trx, app.deps(), req('no-port'), START));
    expect([none.reward.status, none.reward.note]).toEqual(['failed', 'TIER_DAYS_UNAVAILABLE: tier-day rewards need the tier module, which is not wired in']);
  });
  it('voids an unused coupon reward when its order is refunded in full, and records a used one as not reclaimable with the order it paid', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.api('POST', '/v1/loyalty/coupon-templates', { key: 'thanks', name: '¥10', kind: 'fixed', amountFen: 1000, validity: { days: 30 } });
    await app.programme({ rules: [{ id: 'thanks', on: 'purchase', days: 7, to: 'referrer', reward: { kind: 'coupon', template: 'thanks' } }] });
    const alice = await app.person('alice');
    const bob = await app.person('bob');
    await app.attribute(await app.codeOf(alice), bob);
    for (const id of ['b-1', 'b-2', 'b-3']) await app.order('bob', 'Order Completed', { order_id: id, total: 100 });
    await app.orders();
    const rewards = async () =>
      Object.fromEntries(((await app.api('GET', `/v1/loyalty/referrals/rewards?referee=${bob}`)).body.data as any[]).map((r) => [r.orderId, r])) as Record<
        string,
        { reference: string; status: string; reversed: number; note: string | null }
      >;
    const given = await rewards();
    expect(Object.values(given).map((r) => r.status)).toEqual(['granted', 'granted', 'granted']);
    // Alice uses the coupon b-2 gave her on an order of her own.
    const used = await app.api('POST', '/v1/loyalty/coupons/redeem', {
      code: given['b-2']!.reference,
      profile: alice,
      orderId: 'a-9',
      orderAmountFen: 5000,
      idempotencyKey: 'use-b2',
    });
    expect(used.status).toBe(200);
    // Bob refunds b-1 and b-2 in full, b-3 in part.
    await app.order('bob', 'Order Refunded', { order_id: 'b-1', total: 100, refund_id: 'r-1' });
    await app.order('bob', 'Order Refunded', { order_id: 'b-2', total: 100, refund_id: 'r-2' });
    await app.order('bob', 'Order Refunded', { order_id: 'b-3', total: 40, refund_id: 'r-3' });
    await app.orders();
    await app.orders();
    const after = await rewards();
    expect([after['b-1']!.status, after['b-1']!.reversed]).toEqual(['reversed', 1]);
    expect([after['b-2']!.status, after['b-2']!.reversed]).toEqual(['not_reclaimable', 0]);
    expect(after['b-2']!.note).toMatch(new RegExp(`^not reclaimable: coupon ${given['b-2']!.reference} was used on order a-9 at .*\\(order b-2 refunded`));
    expect([after['b-3']!.status, after['b-3']!.reversed]).toEqual(['granted', 0]);
    const coupons = Object.fromEntries(((await app.api('GET', `/v1/profiles/${alice}/coupons`)).body.data as any[]).map((c) => [c.code, c]));
    expect(coupons[given['b-1']!.reference]).toMatchObject({
      status: 'voided',
      voidReason: expect.stringMatching(/^referral reward reversed: order b-1 refunded/),
    });
    expect(coupons[given['b-2']!.reference].status).toBe('redeemed');
    expect(coupons[given['b-3']!.reference].status).toBe('issued');
    // On Alice's timeline: the coupon voided, and the reward reversed (once each).
    const timeline = await app.t.database.db
      .selectFrom('events')
      .select(['event'])
      .where('workspace_id', '=', app.t.workspaceId)
      .where('profile_id', '=', alice)
      .where('event', 'in', ['Coupon Voided', 'Referral Reward Reversed'])
      .execute();
    expect(timeline.map((e) => e.event).sort()).toEqual(['Coupon Voided', 'Referral Reward Reversed']);
    // A voided coupon cannot be used.
    const refused = await app.api('POST', '/v1/loyalty/coupons/redeem', {
      code: given['b-1']!.reference,
      profile: alice,
      orderId: 'a-10',
      orderAmountFen: 5000,
      idempotencyKey: 'use-b1',
    });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'COUPON_VOIDED']);
  });
});
