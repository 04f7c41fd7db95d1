import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { awardPointsWith } from './port.js';
import { memberTestApp } from './testing/member-api-kit.js';
import { referralsTestApp } from './testing/referrals-kit.js';

const HOUR = 3_600_000;
const program = (threshold: number) => ({
  basis: 'points',
  window: { kind: 'lifetime' },
  tiers: [
    { key: 'silver', name: 'Silver', threshold },
    { key: 'gold', name: 'Gold', threshold: threshold * 100 },
  ],
});

// Issue #17: tiers "upgrade at once". Every credit goes through the ledger's posting, which
// upgrades in its own transaction: the member read right after the request shows the tier, with
// no worker pass anywhere in these tests (the points API's own case: tiers.changes.test.ts).
describeEngines('tiers: credits made outside the points API upgrade at once', (engine) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  type Api = (method: 'GET' | 'PUT', url: string, payload?: unknown) => Promise<{ status: number; body: any }>;
  const tierOf = async (api: Api, p: string) => ((await api('GET', `/v1/loyalty/members/${p}`)).body.tier?.key ?? null) as string | null;
  const history = async (api: Api, p: string) =>
    ((await api('GET', `/v1/loyalty/members/${p}`)).body.history as { from: string | null; to: string; reason: string }[]).map((h) => [h.from, h.to, h.reason]);

  it('a check-in, a lottery prize, a group-buy reward and the journeys award step each upgrade in their own request', async () => {
    const app = await memberTestApp(engine);
    close = app.close;
    const api: Api = (m, u, b) => app.call(m, u, b);
    expect((await app.call('PUT', '/v1/loyalty/tier-program', program(50))).status).toBe(200);

    // Check-in: 60 points a day.
    await app.call('POST', '/v1/loyalty/rules', { name: 'check-in', kind: 'checkin', definition: { points: 60 } });
    const checker = await app.profile('checker');
    expect((await app.call('POST', '/v1/loyalty/checkins', { profile: checker })).body).toMatchObject({ points: 60, alreadyCheckedIn: false });
    expect(await tierOf(api, checker)).toBe('silver');
    expect(await history(api, checker)).toEqual([[null, 'silver', 'qualified']]);

    // Lottery: 40 points earned (below silver), a draw costs 10 and always wins 20: 60 earned.
    const player = await app.profile('player');
    await app.earn(player, 40);
    expect(await tierOf(api, player)).toBeNull();
    const lot = (
      await app.call('POST', '/v1/loyalty/lotteries', {
        name: 'Spin',
        costPoints: 10,
        prizes: [{ id: 'twenty', name: '20 points', kind: 'points', ppm: 1_000_000, points: 20, fallback: true }],
      })
    ).body;
    const draw = await app.member(await app.mint(player), 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: 'd1' });
    expect(draw.status, JSON.stringify(draw.body)).toBe(200);
    expect(await tierOf(api, player)).toBe('silver');

    // Group-buy: the join that forms the group rewards all three members, each upgraded in that request.
    const c = await app.call('POST', '/v1/loyalty/group-buy-campaigns', {
      name: 'Tea set for three',
      productId: 'sku-tea',
      productName: 'Tea set',
      priceFen: 9900,
      groupSize: 3,
      groupHours: 24,
      endsAt: new Date(app.t.clock.now() + 30 * 24 * HOUR).toISOString(),
      rewardPoints: 50,
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const buyers = [await app.profile('lead'), await app.profile('b2'), await app.profile('b3')];
    const code = (await app.member(await app.mint(buyers[0]!), 'POST', '/v1/member/group-buys', { campaignId: c.body.id })).body.code as string;
    await app.member(await app.mint(buyers[1]!), 'POST', `/v1/member/group-buys/${code}/join`);
    expect(await tierOf(api, buyers[0]!)).toBeNull();
    expect((await app.member(await app.mint(buyers[2]!), 'POST', `/v1/member/group-buys/${code}/join`)).body).toMatchObject({ status: 'formed' });
    for (const p of buyers) expect(await tierOf(api, p)).toBe('silver');

    // The journeys' award step (the port the composition root installs), in the step's transaction.
    const walker = await app.profile('walker');
    const award = awardPointsWith(app.t.database.dialect);
    const r = await app.t.database.db.transaction().execute((trx) =>
      award(trx, {
        workspaceId: app.t.workspaceId,
        profileId: walker,
        points: 75,
        reason: 'journey',
        idempotencyKey: 'j1:award:points',
        now: app.t.clock.now(),
      }),
    );
    expect(r.ok).toBe(true);
    expect(await tierOf(api, walker)).toBe('silver');
    // A replay of the step upgrades nothing again.
    await app.t.database.db.transaction().execute((trx) =>
      award(trx, {
        workspaceId: app.t.workspaceId,
        profileId: walker,
        points: 75,
        reason: 'journey',
        idempotencyKey: 'j1:award:points',
        now: app.t.clock.now(),
      }),
    );
    expect(await history(api, walker)).toEqual([[null, 'silver', 'qualified']]);
    // The worker's pass afterwards finds nobody left to upgrade.
    expect((await app.pass()).tiers.upgraded).toBe(0);
    expect(await app.mismatches()).toEqual([]);
  });

  it('referral points given by POST /v1/loyalty/referrals/attribute upgrade referrer and referee in that request', async () => {
    const app = await referralsTestApp(engine, { clockStart: Date.parse('2026-11-03T04:00:00Z') });
    close = app.close;
    const api: Api = (m, u, b) => app.api(m, u, b);
    expect((await app.api('PUT', '/v1/loyalty/tier-program', program(50))).status).toBe(200);
    await app.programme({ rules: [{ id: 'welcome', on: 'registration', to: 'both', reward: { kind: 'points', points: 50 } }] });
    const alice = await app.person('alice');
    const code = await app.codeOf(alice);
    app.t.clock.advance(2 * HOUR);
    const bob = await app.person('bob');
    const ok = await app.attribute(code, bob);
    expect(ok.body.decision).toMatchObject({ outcome: 'accepted' });
    expect(await tierOf(api, alice)).toBe('silver');
    expect(await tierOf(api, bob)).toBe('silver');
    expect((await app.pass()).tiers.upgraded).toBe(0);
    expect(await app.mismatches()).toEqual([]);
  });
});
