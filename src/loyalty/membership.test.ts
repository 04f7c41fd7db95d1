import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { processFeed } from '../segments/index.js';
import { loyaltyTestApp } from './test-kit.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

const PROGRAM = {
  basis: 'points',
  window: { kind: 'lifetime' },
  tiers: [
    { key: 'silver', name: 'Silver', threshold: 100 },
    { key: 'gold', name: 'Gold', threshold: 500, benefits: { pointsMultiplier: 2 } },
    {
      key: 'plus',
      name: 'Plus',
      threshold: 0,
      paidOnly: true,
      price: { amountFen: 9900, periodDays: 30 },
      benefits: { freeShipping: true, priorityService: true },
    },
  ],
};

describeEngines('paid membership, and the loyalty traits segments read', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  const member = async (p: string) => (await app.api('GET', `/v1/loyalty/members/${p}`)).body;
  const eventsNamed = async (p: string, like: string) =>
    (
      await app.t.database.db
        .selectFrom('events')
        .select(['event', 'payload'])
        .where('workspace_id', '=', app.t.workspaceId)
        .where('profile_id', '=', p)
        .where('event', 'like', like)
        .orderBy('timestamp')
        .execute()
    ).map((r) => ({ event: r.event, ...(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties }));

  it('buys a tier for a period (idempotent, one order one period), renews by extending, and drops back to the qualified tier at its end', async () => {
    app = await loyaltyTestApp(engine);
    const t0 = app.t.clock.now();
    await app.api('PUT', '/v1/loyalty/tier-program', PROGRAM);
    const p = await app.profile('payer');
    await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 120, reason: 'x', idempotencyKey: 'e1' });
    await app.pass();
    expect((await member(p)).tier.key).toBe('silver');
    app.t.clock.advance(1000);
    const body = { profile: 'user_id:payer', tier: 'plus', periodDays: 30, orderId: 'pay-1', amountFen: 9900, idempotencyKey: 'buy-1' };
    const bought = await app.api('POST', '/v1/loyalty/paid-memberships', body);
    expect(bought.status).toBe(200);
    expect(bought.body).toMatchObject({
      membership: { profileId: p, tier: 'plus', kind: 'purchase', orderId: 'pay-1', amountFen: 9900, endsAt: new Date(t0 + 1000 + 30 * DAY_MS).toISOString() },
      member: { tier: 'plus' },
    });
    const again = await app.api('POST', '/v1/loyalty/paid-memberships', body);
    expect([again.replayed, again.body.membership.id]).toEqual([true, bought.body.membership.id]);
    const conflict = await app.api('POST', '/v1/loyalty/paid-memberships', { ...body, periodDays: 60 });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    const reused = await app.api('POST', '/v1/loyalty/paid-memberships', { ...body, idempotencyKey: 'buy-x' });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'PAID_MEMBERSHIP_ORDER_USED']);
    const other = await app.api('POST', '/v1/loyalty/paid-memberships', { ...body, tier: 'gold', orderId: 'pay-g', idempotencyKey: 'buy-g' });
    expect([other.status, other.body.error.code]).toEqual([409, 'PAID_MEMBERSHIP_CONFLICT']);
    const unknown = await app.api('POST', '/v1/loyalty/paid-memberships', { ...body, tier: 'nope', orderId: 'pay-n', idempotencyKey: 'buy-n' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'TIER_NOT_FOUND']);
    const m = await member(p);
    expect(m).toMatchObject({
      tier: { key: 'plus' },
      benefits: { freeShipping: true, priorityService: true, pointsMultiplier: 1 },
      qualification: { tier: { key: 'silver' } },
    });
    expect(m.history[0]).toMatchObject({ from: 'silver', to: 'plus', reason: 'paid_purchase', note: 'order pay-1' });

    // Renewal ten days later extends the end by the period.
    app.t.clock.advance(10 * DAY_MS);
    const renewed = await app.api('POST', '/v1/loyalty/paid-memberships', { ...body, orderId: 'pay-2', idempotencyKey: 'buy-2' });
    const end = t0 + 1000 + 60 * DAY_MS;
    expect(renewed.body).toMatchObject({
      membership: { kind: 'renewal', endsAt: new Date(end).toISOString() },
      member: { paidUntil: new Date(end).toISOString() },
    });
    app.t.clock.set(end - 1000);
    await app.pass();
    expect((await member(p)).tier.key).toBe('plus');
    app.t.clock.set(end + 1000);
    await app.pass();
    const after = await member(p);
    expect([after.tier.key, after.paidMembership]).toEqual(['silver', null]);
    expect(after.history[0]).toMatchObject({ from: 'plus', to: 'silver', reason: 'paid_expired' });
    expect((await eventsNamed(p, 'Paid Membership %')).map((e) => [e.event, e.tier])).toEqual([
      ['Paid Membership Purchased', 'plus'],
      ['Paid Membership Renewed', 'plus'],
      ['Paid Membership Expired', 'plus'],
    ]);
    expect((await eventsNamed(p, 'Tier Changed')).map((e) => [e.from, e.to, e.reason])).toEqual([
      [null, 'silver', 'qualified'],
      ['silver', 'plus', 'paid_purchase'],
      ['plus', 'silver', 'paid_expired'],
    ]);
    // Another pass expires nothing twice.
    await app.pass();
    expect((await eventsNamed(p, 'Paid Membership Expired')).length).toBe(1);
  });

  it('mirrors tier, balance and expiring points into traits, and a segment rule on loyalty_tier matches after the upgrade', async () => {
    app = await loyaltyTestApp(engine);
    const t = app.t;
    await app.api('PUT', '/v1/loyalty/tier-program', PROGRAM);
    const p = await app.profile('trait');
    const seg = await app.api('POST', '/v1/segments', { name: 'Gold members', rule: { type: 'trait', key: 'loyalty_tier', op: 'eq', value: 'gold' } });
    expect(seg.status).toBe(201);
    const members = async () => {
      t.clock.advance(1000);
      await processFeed(t.services.membership, t.workspaceId, { lagMs: 0 });
      return ((await app.api('GET', `/v1/segments/${seg.body.id}/members?limit=100`)).body.data as { profileId: string }[]).map((m) => m.profileId);
    };
    const traits = async () => (await app.api('GET', `/v1/profiles/${p}`)).body.traits as Record<string, unknown>;
    await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 200, reason: 'x', idempotencyKey: 't1' });
    // Points expiring in 20 days count as expiring; in 40 days not yet.
    const soon = new Date(t.clock.now() + 20 * DAY_MS).toISOString();
    await app.api('POST', '/v1/loyalty/points/earn', {
      profile: p,
      points: 350,
      reason: 'x',
      idempotencyKey: 't2',
      expiresAt: new Date(t.clock.now() + 40 * DAY_MS).toISOString(),
    });
    await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 5, reason: 'x', idempotencyKey: 't3', expiresAt: soon });
    expect(await members()).toEqual([]);
    await app.pass();
    expect(await traits()).toMatchObject({ loyalty_tier: 'gold', loyalty_points_balance: 555, loyalty_points_expiring: 5 });
    expect(await members()).toEqual([p]);
    // The console rule builder's trait picker (the data catalogue) offers them.
    const catalogue = (await app.api('GET', '/v1/catalog/traits')).body.data as { key: string }[];
    expect(catalogue.map((k) => k.key)).toEqual(expect.arrayContaining(['loyalty_tier', 'loyalty_points_balance', 'loyalty_points_expiring']));
    // Eleven days on, the 350 points enter the 30-day window without any posting: the pass sees them.
    t.clock.advance(11 * DAY_MS);
    await app.pass();
    expect(await traits()).toMatchObject({ loyalty_points_expiring: 355 });
    await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 55, reason: 'x', idempotencyKey: 's1' });
    await app.pass();
    expect(await traits()).toMatchObject({ loyalty_tier: 'gold', loyalty_points_balance: 500, loyalty_points_expiring: 300 });
  });
});
