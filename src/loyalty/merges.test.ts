import { afterEach, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { loyaltyTestApp } from './test-kit.js';
import { loyaltyPass } from './worker.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

describeEngines('points on profile merges (One ID)', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it("moves the merged-away account's lots (expiry kept) and holds to the survivor, with entries on both sides, once", async () => {
    app = await loyaltyTestApp(engine);
    const db = app.t.database.db;
    await app.api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: { pointsPerYuan: 1, pendingDays: 7 } });
    const member = await app.profile('acct-1');
    await app.track({ anonymousId: 'visitor-1', event: 'Order Completed', properties: { order_id: 'o-v', total: 80 } });
    const visitor = (await db.selectFrom('events').select('profile_id').where('event', '=', 'Order Completed').executeTakeFirstOrThrow()).profile_id;
    expect(visitor).not.toBe(member);
    const expiresAt = new Date(app.t.clock.now() + 20 * DAY_MS).toISOString();
    await app.api('POST', '/v1/loyalty/points/earn', { profile: visitor, points: 30, reason: 'promo', idempotencyKey: 'v1', expiresAt });
    await app.api('POST', '/v1/loyalty/points/earn', { profile: member, points: 50, reason: 'promo', idempotencyKey: 'm1', expiresAt: null });
    await app.pass();
    // The merge, through the tracking API; the worker hears the committed batch's survivors on the hub.
    const survivors = new Map<string, Set<string>>();
    const off = app.t.services.hub.on('cdp.events-committed', (e) => survivors.set(e.workspaceId, new Set(e.profileIds)));
    await app.t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(app.t.writeKey) },
      payload: { userId: 'acct-1', anonymousId: 'visitor-1' },
    });
    off();
    const merge = await db.selectFrom('profile_merges').select(['from_profile_id', 'into_profile_id']).where('kind', '=', 'merge').executeTakeFirstOrThrow();
    const [from, into] = [merge.from_profile_id, merge.into_profile_id];
    await loyaltyPass(app.deps(), survivors);
    const s = (await app.api('GET', `/v1/profiles/${into}/points`)).body;
    expect(s).toMatchObject({ balance: 80, pending: 80 });
    const account = await db.selectFrom('loyalty_accounts').select(['balance', 'pending']).where('profile_id', '=', from).executeTakeFirstOrThrow();
    expect([Number(account.balance), Number(account.pending)]).toEqual([0, 0]);
    const moved = await db
      .selectFrom('loyalty_entries')
      .select(['profile_id', 'amount', 'expires_at'])
      .where('kind', '=', 'transfer')
      .orderBy('amount')
      .execute();
    const fromLots = from === visitor ? [-30] : [-50];
    expect(moved.filter((m) => m.profile_id === from).map((m) => Number(m.amount))).toEqual(fromLots);
    const inLot = moved.find((m) => m.profile_id === into && Number(m.amount) === -fromLots[0]!)!;
    expect(inLot.expires_at === null ? null : new Date(Number(inLot.expires_at)).toISOString()).toBe(from === visitor ? expiresAt : null);
    // Again (the sweep, a second pass): nothing more moves.
    await app.pass();
    expect(await db.selectFrom('loyalty_entries').select('id').where('kind', '=', 'transfer').execute()).toHaveLength(2);
    // The visitor's order, refunded after the merge, is taken out of the survivor's hold.
    await app.track({ userId: 'acct-1', event: 'Order Refunded', properties: { order_id: 'o-v', total: 40 } });
    await app.pass();
    expect((await app.api('GET', `/v1/profiles/${into}/points`)).body).toMatchObject({ balance: 80, pending: 40 });
    app.t.clock.advance(8 * DAY_MS);
    await app.pass();
    expect((await app.api('GET', `/v1/profiles/${into}/points`)).body).toMatchObject({ balance: 120, pending: 0 });
    expect((await app.events(into)).filter((e) => e.event === 'Points Transferred')).toHaveLength(1);
    expect(await app.mismatches()).toEqual([]);
  });

  it("gives the survivor the merged-away profile's coupons: listed as theirs and redeemable by them", async () => {
    app = await loyaltyTestApp(engine);
    const db = app.t.database.db;
    const member = await app.profile('acct-2');
    await app.track({ anonymousId: 'visitor-2', event: 'Page Viewed', properties: {} });
    const visitor = (await db.selectFrom('events').select('profile_id').where('anonymous_id', '=', 'visitor-2').executeTakeFirstOrThrow()).profile_id;
    const tpl = (await app.api('POST', '/v1/loyalty/coupon-templates', { name: '¥5', kind: 'fixed', amountFen: 500, validity: { days: 30 } })).body;
    // One coupon each; whichever profile the merge keeps, the other's coupon is the one to follow.
    const codes = new Map<string, string>();
    for (const [p, key] of [
      [visitor, 'v-c1'],
      [member, 'm-c1'],
    ] as const)
      codes.set(p, (await app.api('POST', '/v1/loyalty/coupons/issue', { template: tpl.id, profile: p, idempotencyKey: key })).body.coupon.code);
    // Before the merge neither may use the other's coupon.
    const refused = await app.api('POST', '/v1/loyalty/coupons/redeem', {
      code: codes.get(visitor),
      profile: member,
      orderId: 'o-1',
      orderAmountFen: 3000,
      idempotencyKey: 'r0',
    });
    expect(refused.body.error?.code).toBe('COUPON_NOT_OWNED');
    await app.t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(app.t.writeKey) },
      payload: { userId: 'acct-2', anonymousId: 'visitor-2' },
    });
    await app.t.services.writer.drain();
    const merge = await db.selectFrom('profile_merges').select(['from_profile_id', 'into_profile_id']).where('kind', '=', 'merge').executeTakeFirstOrThrow();
    const [from, into] = [merge.from_profile_id, merge.into_profile_id];
    const code = codes.get(from)!;
    const listed = (await app.api('GET', `/v1/profiles/${into}/coupons`)).body.data as { code: string }[];
    expect(listed.map((c) => c.code).sort()).toEqual([...codes.values()].sort());
    const redeemed = await app.api('POST', '/v1/loyalty/coupons/redeem', { code, profile: into, orderId: 'o-2', orderAmountFen: 3000, idempotencyKey: 'r1' });
    expect(redeemed.status, JSON.stringify(redeemed.body)).toBeLessThan(300);
  });
});
