import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { loyaltyTestApp } from './test-kit.js';
import { postEntry } from './ledger.service.js';
import { runTiers } from './tiers.worker.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

const TIERS = [
  { key: 'silver', name: 'Silver', threshold: 100, benefits: { discountPercent: 2 } },
  {
    key: 'gold',
    name: 'Gold',
    threshold: 500,
    benefits: { discountPercent: 5, pointsMultiplier: 2, freeShipping: true, birthdayGift: 'birthday', earlyAccess: true },
  },
];

describeEngines('tiers: qualification, upgrades at once, downgrades on evaluation dates, history, benefits', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  const earn = (p: string, points: number, key: string) =>
    app.api('POST', '/v1/loyalty/points/earn', { profile: p, points, reason: 'test', idempotencyKey: key });
  const member = async (p: string) => (await app.api('GET', `/v1/loyalty/members/${p}`)).body;
  const tierEvents = async (p: string) =>
    (
      await app.t.database.db
        .selectFrom('events')
        .select(['event', 'payload'])
        .where('workspace_id', '=', app.t.workspaceId)
        .where('profile_id', '=', p)
        .where('event', '=', 'Tier Changed')
        .orderBy('timestamp')
        .execute()
    ).map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties);

  it('validates the program and keeps tiers in order through CRUD, each change a new version', async () => {
    app = await loyaltyTestApp(engine);
    const bad = await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'rolling' }, tiers: [] });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'TIER_PROGRAM_INVALID']);
    const falling = await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: [...TIERS].reverse() });
    expect([falling.status, falling.body.error.code, falling.body.error.message]).toEqual([
      400,
      'TIER_PROGRAM_INVALID',
      expect.stringMatching(/tiers\/1 \("silver"\)/),
    ]);
    const schema = await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'visits', window: { kind: 'lifetime' }, tiers: [] });
    expect([schema.status, schema.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const v1 = await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: TIERS });
    expect(v1.body).toMatchObject({ version: 1, program: { graceDays: 30, evaluation: { every: 'month' } } });
    const added = await app.api('POST', '/v1/loyalty/tiers', { key: 'platinum', name: 'Platinum', threshold: 300 });
    expect([added.status, added.body.data.map((t: { key: string }) => t.key)]).toEqual([201, ['silver', 'platinum', 'gold']]);
    const dup = await app.api('POST', '/v1/loyalty/tiers', { key: 'gold', name: 'x', threshold: 9000 });
    expect([dup.status, dup.body.error.code]).toEqual([409, 'TIER_KEY_TAKEN']);
    const put = await app.api('PUT', '/v1/loyalty/tiers/platinum', { key: 'platinum', name: 'Platinum+', threshold: 1000 });
    expect([put.status, put.body.error.code]).toEqual([400, 'TIER_PROGRAM_INVALID']);
    const del = await app.api('DELETE' as 'POST', '/v1/loyalty/tiers/platinum');
    expect(del.body.data.map((t: { key: string; rank: number }) => [t.key, t.rank])).toEqual([
      ['silver', 0],
      ['gold', 1],
    ]);
    expect((await app.api('GET', '/v1/loyalty/tier-program')).body.version).toBe(3);
    const missing = await app.api('DELETE' as 'POST', '/v1/loyalty/tiers/nope');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'TIER_NOT_FOUND']);
  });

  it('upgrades at once on earnings, records history and events, answers benefits, and multiplies order points', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: TIERS });
    await app.api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: { pointsPerYuan: 1, pendingDays: 0 } });
    const p = await app.profile('m1');
    await earn(p, 150, 'e1');
    await app.pass();
    expect((await member(p)).tier).toEqual({ key: 'silver', name: 'Silver', rank: 0 });
    app.t.clock.advance(60_000);
    await earn(p, 360, 'e2');
    await app.pass();
    const m = await member(p);
    expect(m).toMatchObject({
      balance: 510,
      tier: { key: 'gold' },
      benefits: {
        discountPercent: 5,
        pointsMultiplier: 2,
        freeShipping: true,
        birthdayGift: 'birthday',
        memberDayPrice: false,
        priorityService: false,
        earlyAccess: true,
      },
      qualification: { basis: 'points', value: 510, tier: { key: 'gold' }, graceUntil: null, next: null },
    });
    expect(m.history.map((h: { from: string; to: string; reason: string; value: number }) => [h.from, h.to, h.reason, h.value])).toEqual([
      ['silver', 'gold', 'qualified', 510],
      [null, 'silver', 'qualified', 150],
    ]);
    expect(await tierEvents(p)).toEqual([
      expect.objectContaining({ from: null, to: 'silver', direction: 'up', reason: 'qualified', to_name: 'Silver' }),
      expect.objectContaining({ from: 'silver', to: 'gold', direction: 'up', reason: 'qualified', value: 510 }),
    ]);
    // Gold's multiplier 2 applies to order points: ¥100 earns 200.
    await app.track({ userId: 'm1', event: 'Order Completed', properties: { order_id: 'o-1', total: 100 } });
    await app.pass();
    expect((await member(p)).balance).toBe(710);
    // A pass with nothing new changes nothing.
    await app.pass();
    expect((await member(p)).history).toHaveLength(2);
  });

  it('downgrades only on an evaluation date, after the grace period; a lifetime window keeps the tier', async () => {
    app = await loyaltyTestApp(engine);
    const at = (iso: string) => app.t.clock.set(Date.parse(iso));
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'rolling', months: 12 }, graceDays: 30, tiers: TIERS });
    const p = await app.profile('roll');
    await earn(p, 150, 'r1');
    await app.pass();
    expect((await member(p)).tier.key).toBe('silver');
    // The earning left the 12-month window on 2027-11-03: no evaluation date yet, no change.
    at('2027-11-20T00:00:00Z');
    await app.pass();
    expect((await member(p)).tier.key).toBe('silver');
    expect((await member(p)).qualification.value).toBe(0);
    // 2027-12-01 in Shanghai: an evaluation date. A grace period starts; the tier stays.
    at('2027-11-30T16:30:00Z');
    await app.pass();
    const graced = await member(p);
    expect([graced.tier.key, graced.qualification.graceUntil]).toEqual(['silver', new Date(Date.parse('2027-11-30T16:00:00Z') + 30 * DAY_MS).toISOString()]);
    at('2027-12-29T00:00:00Z');
    await app.pass();
    expect((await member(p)).tier.key).toBe('silver');
    // The grace period is over: downgraded, with its reason.
    at('2027-12-31T17:00:00Z');
    await app.pass();
    const down = await member(p);
    expect(down.tier).toBeNull();
    expect(down.history[0]).toMatchObject({ from: 'silver', to: null, reason: 'evaluation', note: 'grace period ended', value: 0 });
    expect((await tierEvents(p)).at(-1)).toMatchObject({ from: 'silver', to: null, direction: 'down', reason: 'evaluation' });

    // The same history under a lifetime window keeps the tier.
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, graceDays: 30, tiers: TIERS });
    const q = await app.profile('life');
    at('2028-01-05T00:00:00Z');
    await earn(q, 150, 'l1');
    await app.pass();
    at('2029-03-01T00:00:00Z');
    await app.pass();
    at('2029-05-01T00:00:00Z');
    await app.pass();
    expect(await member(q)).toMatchObject({ tier: { key: 'silver' }, qualification: { value: 150, graceUntil: null } });
  });

  it('a refund lowers spend-based qualification: downgraded on the next evaluation date', async () => {
    app = await loyaltyTestApp(engine);
    const tiers = [{ key: 'vip', name: 'VIP', threshold: 50_000, benefits: { discountPercent: 10 } }];
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'spend', window: { kind: 'rolling', months: 12 }, graceDays: 0, tiers });
    const p = await app.profile('spender');
    await app.track({ userId: 'spender', event: 'Order Completed', properties: { order_id: 'so-1', total: 600 } });
    await app.pass();
    expect(await member(p)).toMatchObject({ tier: { key: 'vip' }, benefits: { discountPercent: 10 }, qualification: { basis: 'spend', value: 60_000 } });
    await app.track({ userId: 'spender', event: 'Order Refunded', properties: { order_id: 'so-1', total: 200, refund_id: 'r-1' } });
    await app.pass();
    // Net spend ¥400 now; the tier stays until the evaluation date.
    expect(await member(p)).toMatchObject({ tier: { key: 'vip' }, qualification: { value: 40_000 } });
    app.t.clock.set(Date.parse('2026-11-30T16:00:01Z'));
    await app.pass();
    const m = await member(p);
    expect(m.tier).toBeNull();
    expect(m.history[0]).toMatchObject({ from: 'vip', to: null, reason: 'evaluation', value: 40_000 });
    // A new order brings it back at once.
    await app.track({ userId: 'spender', event: 'Order Completed', properties: { order_id: 'so-2', total: 100 } });
    await app.pass();
    expect((await member(p)).tier.key).toBe('vip');
  });

  it('lists members with tier and balance, paged and filtered by tier', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: TIERS });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await app.profile(`list-${i}`);
      ids.push(p);
      await earn(p, i < 2 ? 600 : 120, `k${i}`);
    }
    await app.pass();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { profileId: string; balance: number; tier: { key: string } }[]; nextCursor: string | null } } = await app.api(
        'GET',
        `/v1/loyalty/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.data.map((d) => d.profileId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].sort());
    const gold = await app.api('GET', '/v1/loyalty/members?tier=gold');
    expect(gold.body.data.map((d: { profileId: string; balance: number }) => [d.profileId, d.balance])).toEqual(
      ids
        .slice(0, 2)
        .sort()
        .map((id) => [id, 600]),
    );
    const held = await app.api('DELETE' as 'POST', '/v1/loyalty/tiers/gold');
    expect([held.status, held.body.error.code]).toEqual([409, 'TIER_IN_USE']);
  });
});

describeEngines('tiers: worker passes side by side', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('two passes at once upgrade and expire each member once (cursor and member claims with SKIP LOCKED)', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('PUT', '/v1/loyalty/tier-program', {
      basis: 'points',
      window: { kind: 'lifetime' },
      tiers: [...TIERS, { key: 'plus', name: 'Plus', threshold: 0, paidOnly: true }],
    });
    const db = app.t.database.db;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const p = await app.profile(`pair-${i}`);
      ids.push(p);
      // Straight into the ledger, as the earning rules post: a credit upgrades at once (to silver, before the paid tier).
      const earn = {
        workspaceId: app.t.workspaceId,
        profileId: p,
        kind: 'earn' as const,
        points: 150,
        reason: 'x',
        source: { type: 'system' as const, id: null },
      };
      await db.transaction().execute((trx) => postEntry(trx, app.t.database.dialect, { ...earn, idempotencyKey: `pair-${i}` }, app.t.clock.now()));
      await app.api('POST', '/v1/loyalty/paid-memberships', {
        profile: p,
        tier: 'plus',
        periodDays: 1,
        orderId: `po-${i}`,
        amountFen: 100,
        idempotencyKey: `pk-${i}`,
      });
    }
    const deps = { ...app.deps(), database: app.t.database };
    await Promise.all([runTiers(deps), runTiers(deps)]);
    app.t.clock.advance(2 * DAY_MS);
    const [a, b] = await Promise.all([runTiers(deps), runTiers(deps)]);
    expect(a.paidExpired + b.paidExpired).toBe(30);
    const history = await app.t.database.db
      .selectFrom('loyalty_tier_history')
      .select(['profile_id', 'reason', 'to_key'])
      .where('workspace_id', '=', app.t.workspaceId)
      .orderBy('created_at')
      .execute();
    // Per member: silver qualified at once by the credit and plus bought (the same clock time: either order), then plus ended
    // to silver two days later (once, whichever pass took it).
    for (const id of ids) {
      const mine = history.filter((h) => h.profile_id === id).map((h) => [h.reason, h.to_key]);
      expect(mine).toHaveLength(3);
      expect(mine.slice(0, 2)).toEqual(
        expect.arrayContaining([
          ['qualified', 'silver'],
          ['paid_purchase', 'plus'],
        ]),
      );
      expect(mine[2]).toEqual(['paid_expired', 'silver']);
    }
    const expired = await app.t.database.db
      .selectFrom('events')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .where('workspace_id', '=', app.t.workspaceId)
      .where('event', '=', 'Paid Membership Expired')
      .executeTakeFirstOrThrow();
    expect(Number(expired.n)).toBe(30);
    const members = await app.t.database.db.selectFrom('loyalty_members').select(['qualified_key']).where('workspace_id', '=', app.t.workspaceId).execute();
    expect(members.map((m) => m.qualified_key)).toEqual(ids.map(() => 'silver'));
  });
});
