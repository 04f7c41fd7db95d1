import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
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
    const none = await db.transaction().execute((trx) => grantReward(trx, { ...app.deps(), tierDays: undefined }, req('no-port'), START));
    expect([none.reward.status, none.reward.note]).toEqual(['failed', 'TIER_DAYS_UNAVAILABLE: tier-day rewards need the tier module, which is not wired in']);
  });
  it('gives tier days through the real flow: the next tier up for N days (days added to a running one), history and Tier Changed, revoked on a refund', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    const member = async (p: string) => (await app.api('GET', `/v1/loyalty/members/${p}`)).body;
    const tierChanges = async (p: string) =>
      (
        await app.t.database.db
          .selectFrom('events')
          .select('payload')
          .where('profile_id', '=', p)
          .where('event', '=', 'Tier Changed')
          .orderBy('timestamp')
          .orderBy('message_id')
          .execute()
      ).map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties);
    const tiers = [
      { key: 'silver', name: 'Silver', threshold: 100 },
      { key: 'gold', name: 'Gold', threshold: 500 },
    ];
    const vip = { id: 'vip', on: 'registration', to: 'both', reward: { kind: 'tier_days', days: 30 } } as const;
    // Without tiers the programme is refused: there is nothing to give days of.
    const early = await app.api('PUT', '/v1/loyalty/referrals/settings', {
      ...(await app.api('GET', '/v1/loyalty/referrals/settings')).body,
      enabled: true,
      rules: [vip],
    });
    expect([early.status, early.body.error.code]).toEqual([409, 'TIER_DAYS_UNAVAILABLE']);
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers });
    const firstPurchase = { id: 'buy', on: 'first_purchase', to: 'referrer', reward: { kind: 'tier_days', days: 10 } } as const;
    expect((await app.programme({ rules: [vip, firstPurchase] })).rules).toEqual([vip, firstPurchase]);
    const alice = await app.person('alice');
    await app.api('POST', '/v1/loyalty/points/earn', { profile: alice, points: 150, reason: 'test', idempotencyKey: 'a1' });
    expect((await member(alice)).tier?.key).toBe('silver');
    app.t.clock.advance(1000);

    // Alice (silver) gets 30 days of gold; bob (no tier) 30 days of silver.
    const code = await app.codeOf(alice);
    const bob = await app.person('bob');
    const first = await app.attribute(code, bob);
    expect(first.body.rewards.map((r: any) => [r.profileId, r.kind, r.amount, r.status, r.note])).toEqual([
      [alice, 'tier_days', 30, 'granted', null],
      [bob, 'tier_days', 30, 'granted', null],
    ]);
    const a = await member(alice);
    expect(a).toMatchObject({
      tier: { key: 'gold' },
      qualification: { tier: { key: 'silver' } },
      paidMembership: { tier: 'gold', until: new Date(START + 1000 + 30 * DAY_MS).toISOString() },
      purchases: [{ kind: 'reward', tier: 'gold', amountFen: 0 }],
    });
    expect(a.history[0]).toMatchObject({ from: 'silver', to: 'gold', reason: 'referral_reward' });
    expect((await member(bob)).tier?.key).toBe('silver');
    expect((await tierChanges(alice)).at(-1)).toMatchObject({ from: 'silver', to: 'gold', direction: 'up', reason: 'referral_reward' });

    // A second referral adds 30 days to the running gold.
    app.t.clock.advance(DAY_MS);
    const carl = await app.person('carl');
    expect((await app.attribute(code, carl)).body.rewards[0]).toMatchObject({ profileId: alice, kind: 'tier_days', status: 'granted' });
    expect((await member(alice)).paidMembership).toEqual({ tier: 'gold', until: new Date(START + 1000 + 60 * DAY_MS).toISOString() });

    // Carl's first purchase gives alice 10 more days; its refund takes them back.
    await app.order('carl', 'Order Completed', { order_id: 'c-1', total: 80 });
    await app.orders();
    expect((await member(alice)).paidMembership.until).toBe(new Date(START + 1000 + 70 * DAY_MS).toISOString());
    await app.order('carl', 'Order Refunded', { order_id: 'c-1', total: 80, refund_id: 'rf-1' });
    await app.orders();
    expect((await member(alice)).paidMembership.until).toBe(new Date(START + 1000 + 60 * DAY_MS).toISOString());
    const rewards = (await app.api('GET', `/v1/loyalty/referrals/rewards?referee=${carl}`)).body.data;
    expect(rewards.map((r: any) => [r.ruleId, r.kind, r.amount, r.reversed, r.status]).sort()).toEqual([
      ['buy', 'tier_days', 10, 10, 'reversed'],
      ['vip', 'tier_days', 30, 0, 'granted'],
      ['vip', 'tier_days', 30, 0, 'granted'],
    ]);

    // When the days run out the worker drops alice back to the tier she qualifies for.
    app.t.clock.advance(60 * DAY_MS);
    await app.pass();
    const after = await member(alice);
    expect([after.tier?.key, after.paidMembership, after.history[0].reason]).toEqual(['silver', null, 'paid_expired']);
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
