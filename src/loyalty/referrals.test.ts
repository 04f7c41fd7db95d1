import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { referralsTestApp } from './testing/referrals-kit.js';

type App = Awaited<ReturnType<typeof referralsTestApp>>;

const START = Date.parse('2026-11-03T04:00:00Z');
const points = (n: number) => ({ kind: 'points' as const, points: n });

describeEngines('referrals: codes, attribution through One ID, anti-fraud decisions, rewards', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('validates the programme, gives a member one code with its share link, refuses tier days without a tier module', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    const bad = await app.api('PUT', '/v1/loyalty/referrals/settings', { enabled: true });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const noDays = await app.api('PUT', '/v1/loyalty/referrals/settings', {
      ...(await app.api('GET', '/v1/loyalty/referrals/settings')).body,
      rules: [{ id: 'every', on: 'purchase', to: 'referrer', reward: points(10) }],
    });
    expect([noDays.status, noDays.body.error.details]).toEqual([400, { field: 'rules[0].days' }]);
    const tier = await app.api('PUT', '/v1/loyalty/referrals/settings', {
      ...(await app.api('GET', '/v1/loyalty/referrals/settings')).body,
      milestones: [{ id: 'vip', count: 3, reward: { kind: 'tier_days', days: 30 } }],
    });
    expect([tier.status, tier.body.error.code]).toEqual([409, 'TIER_DAYS_UNAVAILABLE']);
    // A coupon reward names a template of this workspace: another workspace's (or none) is refused, not saved.
    const other = await app.t.newWorkspace('Other brand');
    const theirs = await app.t.app.inject({
      method: 'POST',
      url: '/v1/loyalty/coupon-templates',
      headers: { authorization: `Bearer ${other.secretKey}` },
      payload: { key: 'theirs', name: '¥5', kind: 'fixed', amountFen: 500, validity: { days: 30 } },
    });
    expect(theirs.statusCode, theirs.body).toBe(201);
    for (const template of [theirs.json().id, 'theirs']) {
      const foreign = await app.api('PUT', '/v1/loyalty/referrals/settings', {
        ...(await app.api('GET', '/v1/loyalty/referrals/settings')).body,
        milestones: [{ id: 'gift', count: 3, reward: { kind: 'coupon', template } }],
      });
      expect([foreign.status, foreign.body.error.code, foreign.body.error.details]).toEqual([404, 'COUPON_TEMPLATE_NOT_FOUND', { template }]);
    }
    const saved = await app.programme({
      shareUrl: 'https://shop.example/r/{code}',
      rules: [{ id: 'welcome', on: 'registration', to: 'both', reward: points(50) }],
    });
    expect(saved.rules).toEqual([{ id: 'welcome', on: 'registration', to: 'both', reward: points(50) }]);
    expect((await app.api('GET', '/v1/loyalty/referrals/settings')).body).toMatchObject({ enabled: true, shareUrl: 'https://shop.example/r/{code}' });

    const alice = await app.person('alice');
    const c1 = await app.api('POST', '/v1/loyalty/referrals/codes', { profile: 'user_id:alice' });
    const c2 = await app.api('POST', '/v1/loyalty/referrals/codes', { profile: alice });
    expect(c1.body).toMatchObject({ ownerKind: 'member', ownerId: alice, commissionBp: null, shareLink: `https://shop.example/r/${c1.body.code}` });
    expect(c2.body.code).toBe(c1.body.code);
    const unknown = await app.attribute('NOPE', alice);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'REFERRAL_CODE_NOT_FOUND']);
  });

  it('accepts a new referee once, rewards both sides once, rejects an already-known referee and a second referral, with reasons and events', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({ rules: [{ id: 'welcome', on: 'registration', to: 'both', reward: points(50) }] });
    const alice = await app.person('alice');
    const carol = await app.person('carol');
    const code = await app.codeOf(alice);
    const carolCode = await app.codeOf(carol);
    const oldTimer = await app.person('old-timer');
    app.t.clock.advance(2 * 60 * 60_000);
    const bob = await app.person('bob');

    const ok = await app.attribute(code.toLowerCase(), 'user_id:bob');
    expect(ok.status).toBe(200);
    expect(ok.body.decision).toMatchObject({ outcome: 'accepted', reason: 'accepted', referrerId: alice, refereeId: bob });
    expect(ok.body.rewards.map((r: any) => [r.profileId, r.kind, r.amount, r.status])).toEqual([
      [alice, 'points', 50, 'granted'],
      [bob, 'points', 50, 'granted'],
    ]);
    // The same attribution again answers the first answer and gives nothing more.
    const again = await app.attribute(code, bob);
    expect([again.replayed, again.body.decision.id]).toEqual([true, ok.body.decision.id]);
    // Another referrer's code for the same referee: one reward per referee. (Decision ids sort by creation time to the millisecond: the clock moves.)
    app.t.clock.advance(1);
    const second = await app.attribute(carolCode, bob);
    expect(second.body.decision).toMatchObject({ outcome: 'rejected', reason: 'already_referred' });
    expect(second.body.decision.detail).toMatch(new RegExp(`already referred with code ${code}`));
    expect([await app.balance(alice), await app.balance(bob), await app.balance(carol)]).toEqual([50, 50, 0]);

    // Known for two hours before the referral: not new, no reward.
    app.t.clock.advance(1);
    const known = await app.attribute(code, oldTimer);
    expect(known.body.decision).toMatchObject({ outcome: 'rejected', reason: 'already_known', refereeId: oldTimer });
    expect(known.body.decision.detail).toMatch(/120 minutes before the referral \(new means within 60\)/);
    expect(await app.balance(oldTimer)).toBe(0);

    const decisions = await app.api('GET', '/v1/loyalty/referrals/decisions?limit=2');
    expect(decisions.body.data.map((d: any) => d.reason)).toEqual(['already_known', 'already_referred']);
    const rest = await app.api('GET', `/v1/loyalty/referrals/decisions?limit=2&cursor=${decisions.body.nextCursor}`);
    expect([rest.body.data.map((d: any) => d.reason), rest.body.nextCursor]).toEqual([['accepted'], null]);
    expect((await app.api('GET', '/v1/loyalty/referrals/decisions?outcome=rejected')).body.data).toHaveLength(2);

    expect((await app.referralEvents(bob)).map((e) => e.event)).toEqual(['Referral Completed', 'Referral Reward Granted', 'Referral Rejected']);
    expect((await app.referralEvents(alice)).map((e) => e.event)).toEqual(['Referral Completed', 'Referral Reward Granted']);
    expect((await app.referralEvents(oldTimer))[0]).toMatchObject({ event: 'Referral Rejected', properties: { reason: 'already_known' } });
    // The referrer's successful referrals, as a trait segment rules can read.
    expect((await app.api('GET', `/v1/profiles/${alice}`)).body.traits).toMatchObject({ referral_count: 1 });
    expect(await app.mismatches()).toEqual([]);
  });

  it('rejects self-referral: the same profile, a shared phone, a shared unionid, a shared device', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({ rules: [{ id: 'welcome', on: 'registration', to: 'referrer', reward: points(50) }] });
    const alice = await app.person('alice', { phone: '13800138000', unionid: 'union-alice' }, { device: { id: 'dev-alice' } });
    const code = await app.codeOf(alice);
    expect((await app.attribute(code, alice)).body.decision).toMatchObject({
      outcome: 'rejected',
      reason: 'self_referral',
      detail: 'the referee is the referrer',
    });

    // Each second account presents one of alice's identifiers: One ID refuses to merge (two user ids) and records it.
    const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, string][] = [
      ['alt-phone', { phone: '+86 138 0013 8000' }, undefined, 'phone'],
      ['alt-union', { unionid: 'union-alice' }, undefined, 'unionid'],
      ['alt-device', {}, { device: { id: 'dev-alice' } }, 'device_id'],
    ];
    for (const [userId, traits, context, type] of cases) {
      await app.person(userId);
      const alt = await app.person(userId, traits, context);
      const r = await app.attribute(code, alt);
      expect(r.body.decision, userId).toMatchObject({ outcome: 'rejected', reason: 'shared_identifier', refereeId: alt });
      expect(r.body.decision.detail).toBe(`the referee shares ${type} with the referrer (One ID refused to merge their profiles)`);
    }
    expect(await app.balance(alice)).toBe(0);
    const rejected = await app.api('GET', '/v1/loyalty/referrals/decisions?reason=shared_identifier');
    expect(rejected.body.data).toHaveLength(3);
  });

  it('holds the velocity limit per referrer per 24 hours and gives a milestone once', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({ maxPerReferrerPerDay: 2, milestones: [{ id: 'three', count: 3, reward: points(500) }] });
    const alice = await app.person('alice');
    const code = await app.codeOf(alice);
    const outcomes: string[] = [];
    for (const u of ['r1', 'r2', 'r3']) outcomes.push((await app.attribute(code, await app.person(u))).body.decision.reason);
    expect(outcomes).toEqual(['accepted', 'accepted', 'velocity_limit']);
    const limited = (await app.api('GET', '/v1/loyalty/referrals/decisions?reason=velocity_limit')).body.data[0];
    expect(limited.detail).toBe('the referrer already has 2 accepted referrals in the last 24 hours (the limit is 2)');

    app.t.clock.advance(DAY_MS + 1);
    const third = await app.attribute(code, await app.person('r4'));
    expect(third.body.rewards.map((r: any) => [r.trigger, r.ruleId, r.amount])).toEqual([['milestone', 'three', 500]]);
    const fourth = await app.attribute(code, await app.person('r5'));
    expect([fourth.body.decision.reason, fourth.body.rewards]).toEqual(['accepted', []]);
    expect(await app.balance(alice)).toBe(500);
    expect((await app.api('GET', `/v1/profiles/${alice}`)).body.traits.referral_count).toBe(4);
  });

  it('attributes by a tracked sign-up carrying referral_code, once per event, with the same checks', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({ rules: [{ id: 'welcome', on: 'registration', to: 'referrer', reward: points(50) }] });
    const alice = await app.person('alice');
    const code = await app.codeOf(alice);
    const known = await app.person('known');
    app.t.clock.advance(2 * 60 * 60_000);
    // A new member signs up with alice's code (lower case, as typed); a long-known one does too; one names no code.
    await app.send('track', { userId: 'newbie', event: 'Signed Up', properties: { referral_code: code.toLowerCase() } });
    app.t.clock.advance(1);
    await app.send('track', { userId: 'known', event: 'Signed Up', properties: { referral_code: code } });
    await app.send('track', { userId: 'plain', event: 'Signed Up', properties: {} });
    expect(await app.attributions()).toMatchObject({ accepted: 1, rejected: 1 });
    // Read again (the cursor's overlap): nothing is decided twice.
    app.t.clock.advance(60_000);
    expect(await app.attributions()).toMatchObject({ accepted: 0, rejected: 0 });
    const newbie = await app.profileOf('user_id:newbie');
    const decisions = (await app.api('GET', '/v1/loyalty/referrals/decisions')).body.data;
    expect(decisions.map((d: any) => [d.refereeId, d.reason])).toEqual([
      [known, 'already_known'],
      [newbie, 'accepted'],
    ]);
    expect(await app.balance(alice)).toBe(50);
  });

  it('holds under concurrency: the velocity limit and one referral per referee', async () => {
    app = await referralsTestApp(engine, { clockStart: START });
    await app.programme({ maxPerReferrerPerDay: 3, rules: [{ id: 'welcome', on: 'registration', to: 'referee', reward: points(5) }] });
    const alice = await app.person('alice');
    const code = await app.codeOf(alice);
    const referees: string[] = [];
    for (let i = 0; i < 8; i++) referees.push(await app.person(`c${i}`));
    const answers = await Promise.all(referees.map((r) => app.attribute(code, r)));
    const reasons = answers.map((a) => a.body.decision.reason).sort();
    expect(reasons).toEqual(['accepted', 'accepted', 'accepted', 'velocity_limit', 'velocity_limit', 'velocity_limit', 'velocity_limit', 'velocity_limit']);

    // One referee attributed to two codes at once: one referral, one reward.
    const codes = [await app.codeOf(await app.person('p1')), await app.codeOf(await app.person('p2'))];
    const dora = await app.person('dora');
    const both = await Promise.all(codes.map((c) => app.attribute(c, dora)));
    expect(both.map((a) => a.body.decision.reason).sort()).toEqual(['accepted', 'already_referred']);
    expect(await app.balance(dora)).toBe(5);
  });
});
