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
});
