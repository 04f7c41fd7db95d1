import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { kocRanking } from './koc.service.js';
import { referralsTestApp } from './testing/referrals-kit.js';

type App = Awaited<ReturnType<typeof referralsTestApp>>;

const START = Date.parse('2026-11-03T04:00:00Z');
const points = (n: number) => ({ kind: 'points' as const, points: n });

describeEngines('referrals over orders: purchase rewards, commissions, refunds, merges, KOC', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('rewards the first purchase and purchases for N days, records staff commission, reverses both on refunds', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({
      rules: [
        { id: 'first', on: 'first_purchase', to: 'referrer', reward: points(100), minOrderFen: 5000 },
        { id: 'repeat', on: 'purchase', days: 7, to: 'referee', reward: points(10) },
      ],
    });
    const alice = await app.person('alice');
    const bob = await app.person('bob');
    expect((await app.attribute(await app.codeOf(alice), bob)).body.decision.reason).toBe('accepted');
    const staff = await app.api('POST', '/v1/loyalty/referrals/staff-codes', { staffId: 'guide-li', code: 'li-2026', commissionBp: 1000 });
    expect(staff.body).toMatchObject({ code: 'LI2026', ownerKind: 'staff', ownerId: 'guide-li', commissionBp: 1000 });
    const dan = await app.person('dan');
    expect((await app.attribute('LI2026', dan)).body.decision).toMatchObject({ outcome: 'accepted', referrerKind: 'staff' });

    // A ¥30 order is below the first-purchase minimum; the ¥200 one qualifies; both are within 7 days.
    await app.order('bob', 'Order Completed', { order_id: 'b-1', total: 30 });
    await app.order('bob', 'Order Completed', { order_id: 'b-2', total: 200 });
    await app.order('dan', 'Order Completed', { order_id: 'd-1', total: 300 });
    await app.orders();
    // Read twice: nothing twice.
    await app.orders();
    expect([await app.balance(alice), await app.balance(bob)]).toEqual([100, 20]);
    const commissions = (await app.api('GET', '/v1/loyalty/referrals/commissions')).body;
    expect(commissions.data.map((c: any) => [c.staffId, c.orderId, c.commissionFen, c.netFen, c.status])).toEqual([['guide-li', 'd-1', 3000, 3000, 'earned']]);

    // b-2 refunded in full: the first-purchase reward and b-2's purchase reward are clawed back; d-1 refunded ¥100 of ¥300.
    await app.order('bob', 'Order Refunded', { order_id: 'b-2', total: 200, refund_id: 'rf-1' });
    await app.order('dan', 'Order Refunded', { order_id: 'd-1', total: 100, refund_id: 'rf-2' });
    await app.orders();
    expect([await app.balance(alice), await app.balance(bob)]).toEqual([0, 10]);
    let c = (await app.api('GET', '/v1/loyalty/referrals/commissions?staff=guide-li')).body.data[0];
    expect([c.commissionFen, c.reversedFen, c.netFen, c.status]).toEqual([3000, 1000, 2000, 'earned']);
    await app.order('dan', 'Order Cancelled', { order_id: 'd-1' });
    await app.orders();
    c = (await app.api('GET', '/v1/loyalty/referrals/commissions')).body.data[0];
    expect([c.reversedFen, c.netFen, c.status]).toEqual([3000, 0, 'reversed']);
    const rewards = (await app.api('GET', `/v1/loyalty/referrals/rewards?referee=${bob}`)).body.data;
    expect(rewards.map((r: any) => [r.ruleId, r.orderId, r.amount, r.reversed, r.status]).sort()).toEqual([
      ['first', 'b-2', 100, 100, 'reversed'],
      ['repeat', 'b-1', 10, 0, 'granted'],
      ['repeat', 'b-2', 10, 10, 'reversed'],
    ]);
    expect((await app.referralEvents(alice)).map((e) => e.event)).toEqual(['Referral Completed', 'Referral Reward Granted', 'Referral Reward Reversed']);
    // dan's commission: recorded, a third taken back, then the rest; his own purchase reward (10) went the same way.
    const danEvents = (await app.referralEvents(dan)).filter((e) => e.event.includes('Commission'));
    expect(danEvents.map((e) => [e.event, e.properties.commission_fen ?? e.properties.reversed_fen])).toEqual([
      ['Referral Commission Recorded', 3000],
      ['Referral Commission Reversed', 1000],
      ['Referral Commission Reversed', 2000],
    ]);
    expect(await app.balance(dan)).toBe(0);

    // Past the 7 days, purchases give nothing more; the first purchase was given once and stays taken back.
    app.t.clock.advance(8 * DAY_MS);
    await app.order('bob', 'Order Completed', { order_id: 'b-3', total: 500 });
    await app.orders();
    expect([await app.balance(alice), await app.balance(bob)]).toEqual([0, 10]);
    expect(await app.mismatches()).toEqual([]);
  });

  it('follows the referee through merges: an anonymous referee who registers keeps the referral; one who turns out to be the referrer loses it', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({
      rules: [
        { id: 'first', on: 'first_purchase', to: 'referrer', reward: points(100) },
        { id: 'hello', on: 'registration', to: 'referee', reward: points(20) },
      ],
    });
    const alice = await app.person('alice');
    const code = await app.codeOf(alice);

    // A visitor opens alice's link (anonymous), is attributed, then registers as erin on that device: one profile.
    await app.send('track', { anonymousId: 'anon-erin', event: 'Page Viewed', properties: {} });
    const anon = await app.profileOf('anonymous_id:anon-erin');
    expect((await app.attribute(code, 'anonymous_id:anon-erin')).body.decision).toMatchObject({ outcome: 'accepted', refereeId: anon });
    const erin = await app.person('erin');
    await app.send('identify', { userId: 'erin', anonymousId: 'anon-erin', traits: {} });
    expect(await app.profileOf('anonymous_id:anon-erin')).toBe(await app.profileOf('user_id:erin'));
    await app.order('erin', 'Order Completed', { order_id: 'e-1', total: 99 });
    await app.orders();
    expect(await app.balance(alice)).toBe(100);
    expect((await app.api('GET', `/v1/profiles/${alice}`)).body.traits.referral_count).toBe(1);
    expect(erin).toBeTruthy();

    // Another anonymous visitor is attributed, then signs in as alice herself: merged into the referrer.
    app.t.clock.advance(60_000);
    await app.send('track', { anonymousId: 'anon-x', event: 'Page Viewed', properties: {} });
    app.t.clock.advance(1);
    const x = await app.attribute(code, 'anonymous_id:anon-x');
    expect([x.body.decision.outcome, x.body.rewards.map((r: any) => r.amount)]).toEqual(['accepted', [20]]);
    expect((await app.api('GET', `/v1/profiles/${alice}`)).body.traits.referral_count).toBe(2);
    await app.send('identify', { userId: 'alice', anonymousId: 'anon-x', traits: {} });
    expect(await app.profileOf('anonymous_id:anon-x')).toBe(alice);
    app.t.clock.advance(1);
    await app.order('alice', 'Order Completed', { order_id: 'a-1', total: 500 });
    // The whole worker pass: the merged-away account's 20 points move to alice, then the referral is rejected and its 20 taken back.
    await app.pass();
    expect(await app.balance(alice)).toBe(100);
    const xReward = (await app.api('GET', `/v1/loyalty/referrals/rewards?referee=${x.body.decision.refereeId}`)).body.data[0];
    expect([xReward.status, xReward.reversed]).toEqual(['reversed', 20]);
    expect(await app.mismatches()).toEqual([]);
    const last = (await app.api('GET', '/v1/loyalty/referrals/decisions?limit=1')).body.data[0];
    expect(last).toMatchObject({ outcome: 'rejected', reason: 'self_referral', refereeId: alice });
    expect(last.detail).toMatch(/^on order a-1, after a merge: the referee is the referrer/);
    expect((await app.api('GET', `/v1/profiles/${alice}`)).body.traits.referral_count).toBe(1);
  });

  it('ranks KOCs by referrals, group-buys led (port) and community score, paged by cursor', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({ kocWeights: { referral: 10, groupBuy: 20, community: 1 } });
    const [ann, ben, cat] = [await app.person('ann'), await app.person('ben'), await app.person('cat')];
    const refer = async (referrer: string, n: number) => {
      const code = await app.codeOf(referrer);
      for (let i = 0; i < n; i++) await app.attribute(code, await app.person(`${referrer}-${i}`));
    };
    await refer(ann, 3);
    await refer(ben, 1);
    await refer(cat, 1);
    // Segments' community model scored cat (what its pass writes into profile_scores).
    await app.t.database.db
      .insertInto('profile_scores')
      .values({ workspace_id: app.t.workspaceId, profile_id: cat, community_role: 'koc', community_score: 25, community_at: START } as never)
      .execute();

    const page1 = await app.api('GET', '/v1/loyalty/koc?limit=2');
    expect(page1.body.data.map((e: any) => [e.rank, e.profileId, e.score, e.referrals, e.communityScore, e.communityRole])).toEqual([
      [1, cat, 35, 1, 25, 'koc'],
      [2, ann, 30, 3, 0, null],
    ]);
    const page2 = await app.api('GET', `/v1/loyalty/koc?limit=2&cursor=${page1.body.nextCursor}`);
    expect([page2.body.data.map((e: any) => [e.rank, e.profileId, e.score]), page2.body.nextCursor]).toEqual([[[3, ben, 10]], null]);

    // With the group-buy port wired, group-buys led count (ben led two).
    const ranked = await kocRanking({ ...app.deps(), groupBuysLed: async () => new Map([[ben, 2]]) }, app.t.workspaceId);
    expect(ranked.map((e) => [e.profileId, e.score, e.groupBuysLed])).toEqual([
      [ben, 50, 2],
      [cat, 35, 0],
      [ann, 30, 0],
    ]);
  });
});
