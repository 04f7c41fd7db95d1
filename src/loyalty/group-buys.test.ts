import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { cancelDueGroups } from './group-buys.worker.js';
import { groupBuysLedBy } from './group-buys.service.js';
import { memberTestApp } from './testing/member-api-kit.js';

type App = Awaited<ReturnType<typeof memberTestApp>>;
const HOUR = 3_600_000;

describeEngines('group-buys (拼团)', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  async function campaign(a: App, extra: Record<string, unknown> = {}) {
    const r = await a.call('POST', '/v1/loyalty/group-buy-campaigns', {
      name: 'Tea set for three',
      productId: 'sku-tea',
      productName: 'Tea set',
      priceFen: 9900,
      groupSize: 3,
      groupHours: 24,
      endsAt: new Date(a.t.clock.now() + 30 * 24 * HOUR).toISOString(),
      rewardPoints: 50,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string };
  }

  it('forms a group of three different people: rewards and "Group Buy Formed" for each; self-joins and shared devices refused', async () => {
    app = await memberTestApp(engine);
    const tpl = (await app.call('POST', '/v1/loyalty/coupon-templates', { name: '¥5', kind: 'fixed', amountFen: 500, validity: { days: 30 } })).body;
    const c = await campaign(app, { rewardCouponTemplateId: tpl.id });
    const [leader, b, twin, d, late] = [
      await app.profile('leader'),
      await app.profile('b'),
      await app.profile('twin'),
      await app.profile('d'),
      await app.profile('late'),
    ];
    // b and twin are different profiles (different user ids) with one device: the same person to a group-buy.
    for (const p of [b, twin]) expect((await app.call('PATCH', `/v1/profiles/${p}/traits`, { set: { device_id: 'dev-42' } })).status).toBeLessThan(300);
    const tk = Object.fromEntries(await Promise.all(Object.entries({ leader, b, twin, d, late }).map(async ([k, p]) => [k, await app.mint(p)])));
    const opened = await app.member(tk.leader, 'POST', '/v1/member/group-buys', { campaignId: c.id });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    expect(opened.body).toMatchObject({ status: 'open', size: 3, joined: 1, you: true });
    const code = opened.body.code as string;
    expect(code).toMatch(/^G[2-9A-Z]{10}$/);
    const self = await app.member(tk.leader, 'POST', `/v1/member/group-buys/${code}/join`);
    expect([self.status, self.body.error.code, self.body.error.details.reason]).toEqual([409, 'GROUP_BUY_SELF_JOIN', 'same profile']);
    expect((await app.member(tk.b, 'POST', `/v1/member/group-buys/${code.toLowerCase()}/join`)).body).toMatchObject({ joined: 2, you: true });
    const shared = await app.member(tk.twin, 'POST', `/v1/member/group-buys/${code}/join`);
    expect([shared.body.error.code, shared.body.error.details.reason]).toEqual(['GROUP_BUY_SELF_JOIN', 'shares device_id']);
    expect((await app.member(tk.late, 'GET', `/v1/member/group-buys/${code}`)).body).toMatchObject({ status: 'open', you: false });
    const formed = await app.member(tk.d, 'POST', `/v1/member/group-buys/${code}/join`);
    expect(formed.body).toMatchObject({ status: 'formed', joined: 3 });
    const closed = await app.member(tk.late, 'POST', `/v1/member/group-buys/${code}/join`);
    expect([closed.status, closed.body.error.code]).toEqual([409, 'GROUP_BUY_CLOSED']);
    for (const p of [leader, b, d]) {
      const ev = await app.timeline(p, 'Group Buy Formed');
      expect(ev, p).toHaveLength(1);
      expect(ev[0]).toMatchObject({ product_id: 'sku-tea', reward_points: 50, leader: p === leader });
      expect(ev[0]!.reward_coupon_id).toMatch(/^cpn/);
      expect((await app.call('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(50);
    }
    expect((await app.call('GET', `/v1/profiles/${twin}/points`)).body.balance).toBe(0);
    const groups = (await app.call('GET', `/v1/loyalty/group-buy-campaigns/${c.id}/groups`)).body.data;
    expect(groups[0].members.map((m: { profileId: string }) => m.profileId).sort()).toEqual([leader, b, d].sort());
    expect((await app.call('GET', `/v1/loyalty/group-buy-campaigns/${c.id}`)).body.groups).toEqual({ open: 0, formed: 1, cancelled: 0 });
    expect(await groupBuysLedBy(app.t.database.db, app.t.workspaceId, leader)).toBe(1);
    expect(await groupBuysLedBy(app.t.database.db, app.t.workspaceId, b)).toBe(0);
    expect(await app.mismatches()).toEqual([]);
  });

  it('a member merged (One ID) into one already in the group cannot join it again', async () => {
    app = await memberTestApp(engine);
    const c = await campaign(app);
    const leader = await app.profile('leader');
    // An anonymous visitor joins; later the same person identifies with a user id that had a profile of its own: One ID merges them.
    await app.identify({ anonymousId: 'anon-7', traits: {} });
    const anon = (await app.call('GET', '/v1/profiles/anonymous_id:anon-7')).body.id as string;
    const known = await app.profile('known');
    const anonToken = await app.mint(anon);
    const knownToken = await app.mint(known);
    const code = (await app.member(await app.mint(leader), 'POST', '/v1/member/group-buys', { campaignId: c.id })).body.code;
    expect((await app.member(anonToken, 'POST', `/v1/member/group-buys/${code}/join`)).status).toBe(200);
    await app.identify({ userId: 'known', anonymousId: 'anon-7' });
    const again = await app.member(knownToken, 'POST', `/v1/member/group-buys/${code}/join`);
    expect([again.body.error?.code, again.body.error?.details?.reason]).toEqual(['GROUP_BUY_SELF_JOIN', 'same profile']);
  });

  it('refuses a second account that shares any One ID identifier (phone written differently, a device in context), whatever its traits say', async () => {
    app = await memberTestApp(engine);
    const c = await campaign(app, { groupSize: 5 });
    await app.identify({ userId: 'leader', traits: { phone: '13800138000' }, context: { device: { id: 'dev-leader' } } });
    const leader = (await app.call('GET', '/v1/profiles/user_id:leader')).body.id as string;
    const code = (await app.member(await app.mint(leader), 'POST', '/v1/member/group-buys', { campaignId: c.id })).body.code as string;
    // Each second account exists first (its own user id), then presents one of the leader's identifiers: One ID refuses to merge them.
    const cases: [string, Record<string, unknown>, string][] = [
      ['alt-phone', { traits: { phone: '+86 138 0013 8000' } }, 'shares phone'],
      ['alt-device', { context: { device: { id: 'dev-leader' } } }, 'shares device_id'],
    ];
    for (const [userId, extra, reason] of cases) {
      const alt = await app.profile(userId);
      await app.identify({ userId, traits: {}, ...extra });
      expect((await app.call('GET', `/v1/profiles/user_id:${userId}`)).body.id, userId).toBe(alt);
      const r = await app.member(await app.mint(alt), 'POST', `/v1/member/group-buys/${code}/join`);
      expect([r.status, r.body.error?.code, r.body.error?.details?.reason], userId).toEqual([409, 'GROUP_BUY_SELF_JOIN', reason]);
    }
    // A different person joins.
    const other = await app.profile('other');
    expect((await app.member(await app.mint(other), 'POST', `/v1/member/group-buys/${code}/join`)).body).toMatchObject({ joined: 2 });
  });

  it('cancels groups not full at their deadline (SKIP LOCKED claims; two passes at once cancel each once) with "Group Buy Cancelled" and the refund intent', async () => {
    app = await memberTestApp(engine);
    const c = await campaign(app, { groupHours: 2 });
    const leader = await app.profile('leader');
    const other = await app.profile('other');
    const lt = await app.mint(leader, 86_400);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await app.member(lt, 'POST', '/v1/member/group-buys', { campaignId: c.id })).body.code as string);
    const ot = await app.mint(other, 86_400);
    expect((await app.member(ot, 'POST', `/v1/member/group-buys/${codes[0]}/join`)).status).toBe(200);
    app.t.clock.advance(2 * HOUR);
    // Past the deadline a join is refused even before the worker ran.
    expect((await app.member(ot, 'POST', `/v1/member/group-buys/${codes[1]}/join`)).body.error.code).toBe('GROUP_BUY_CLOSED');
    const [x, y] = await Promise.all([cancelDueGroups(app.t.database, app.t.clock.now()), cancelDueGroups(app.t.database, app.t.clock.now())]);
    expect(x + y).toBe(5);
    expect(await cancelDueGroups(app.t.database, app.t.clock.now())).toBe(0);
    const cancelled = await app.timeline(leader, 'Group Buy Cancelled');
    expect(cancelled).toHaveLength(5);
    expect(cancelled[0]).toMatchObject({ refund_intent: true, product_id: 'sku-tea', price_fen: 9900, reason: 'deadline passed before the group filled' });
    expect(await app.timeline(other, 'Group Buy Cancelled')).toHaveLength(1);
    expect((await app.call('GET', `/v1/loyalty/group-buy-campaigns/${c.id}`)).body.groups).toEqual({ open: 0, formed: 0, cancelled: 5 });
    expect(await groupBuysLedBy(app.t.database.db, app.t.workspaceId, leader)).toBe(0);
    // The loyalty worker's pass runs the same cancellation.
    const more = (await app.member(lt, 'POST', '/v1/member/group-buys', { campaignId: c.id })).body.code;
    app.t.clock.advance(3 * HOUR);
    expect((await app.pass()).groupBuysCancelled).toBe(1);
    expect((await app.member(await app.mint(leader), 'GET', `/v1/member/group-buys/${more}`)).body.status).toBe('cancelled');
  });

  it('joins racing for the last places of a group: exactly size members, formed once', async () => {
    app = await memberTestApp(engine);
    const c = await campaign(app, { groupSize: 4 });
    const leader = await app.profile('leader');
    const code = (await app.member(await app.mint(leader), 'POST', '/v1/member/group-buys', { campaignId: c.id })).body.code;
    const tokens = [];
    for (let i = 0; i < 12; i++) tokens.push(await app.mint(await app.profile(`j${i}`)));
    const answers = await Promise.all(tokens.map((t) => app.member(t, 'POST', `/v1/member/group-buys/${code}/join`)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    expect(new Set(answers.filter((a) => a.status !== 200).map((a) => a.body.error.code))).toEqual(new Set(['GROUP_BUY_CLOSED']));
    const formedEvents = await app.t.database.db.selectFrom('events').select('message_id').where('event', '=', 'Group Buy Formed').execute();
    expect(formedEvents).toHaveLength(4);
  });
});
