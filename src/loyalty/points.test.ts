import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { loyaltyTestApp } from './test-kit.js';
import { verifyBalances } from './verify.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

describeEngines('the points API', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('earns, spends, adjusts and claws back; balance, history and timeline follow; a retried key answers the first answer', async () => {
    app = await loyaltyTestApp(engine);
    const p = await app.profile('u1');
    const earn = await app.api('POST', '/v1/loyalty/points/earn', {
      profile: 'user_id:u1',
      points: 500,
      reason: 'order paid',
      source: { type: 'order', id: 'o-1' },
      idempotencyKey: 'earn-o-1',
    });
    expect(earn.status).toBe(200);
    expect(earn.replayed).toBe(false);
    expect(earn.body).toMatchObject({
      balance: 500,
      entry: { profileId: p, seq: 1, kind: 'earn', points: 500, requested: 500, source: { type: 'order', id: 'o-1' } },
    });
    // No expiresAt: the workspace's policy (default: the end of the year after earning, local time).
    expect(earn.body.entry.expiresAt).toBe('2027-12-31T16:00:00.000Z');
    expect(earn.body).toMatchObject({});
    // The same request again: no second effect, the first answer.
    const again = await app.api('POST', '/v1/loyalty/points/earn', {
      profile: 'user_id:u1',
      points: 500,
      reason: 'order paid',
      source: { type: 'order', id: 'o-1' },
      idempotencyKey: 'earn-o-1',
    });
    expect([again.status, again.replayed, again.body]).toEqual([200, true, earn.body]);
    // The key with another request is a conflict, and changes nothing.
    const conflict = await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 501, reason: 'order paid', idempotencyKey: 'earn-o-1' });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    const spend = await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 120, reason: 'redeemed', idempotencyKey: 'sp-1' });
    expect(spend.body).toMatchObject({ balance: 380, entry: { seq: 2, kind: 'spend', points: -120 } });
    const short = await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 381, reason: 'redeemed', idempotencyKey: 'sp-2' });
    expect([short.status, short.body.error.code, short.body.error.details]).toEqual([409, 'INSUFFICIENT_POINTS', { balance: 380, requested: 381 }]);
    const down = await app.api('POST', '/v1/loyalty/points/adjust', {
      profile: p,
      points: -80,
      reason: 'correction',
      source: { type: 'operator', id: 'ann' },
      idempotencyKey: 'adj-1',
    });
    expect(down.body).toMatchObject({ balance: 300, entry: { kind: 'adjust', points: -80 } });
    const tooMuch = await app.api('POST', '/v1/loyalty/points/adjust', { profile: p, points: -301, reason: 'correction', idempotencyKey: 'adj-2' });
    expect(tooMuch.body.error.code).toBe('INSUFFICIENT_POINTS');
    const up = await app.api('POST', '/v1/loyalty/points/adjust', { profile: p, points: 20, reason: 'goodwill', idempotencyKey: 'adj-3' });
    expect(up.body.balance).toBe(320);
    // A claw back takes what it can and reports the shortfall; the balance never goes below zero.
    const claw = await app.api('POST', '/v1/loyalty/points/clawback', {
      profile: p,
      points: 400,
      reason: 'order refunded',
      source: { type: 'order', id: 'o-1' },
      idempotencyKey: 'cb-1',
    });
    expect(claw.body).toMatchObject({ balance: 0, entry: { kind: 'clawback', points: -320, requested: 400 } });

    const summary = await app.api('GET', `/v1/profiles/${p}/points`);
    expect(summary.body).toEqual({ profileId: p, balance: 0, pending: 0, lifetimeEarned: 520, expiringSoon: { days: 30, points: 0, lots: [] } });
    const page1 = await app.api('GET', `/v1/profiles/user_id:u1/points/history?limit=3`);
    expect(page1.body.data.map((e: { seq: number; kind: string }) => `${e.seq}:${e.kind}`)).toEqual(['5:clawback', '4:adjust', '3:adjust']);
    const page2 = await app.api('GET', `/v1/profiles/${p}/points/history?limit=3&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect(page2.body.data.map((e: { seq: number }) => e.seq)).toEqual([2, 1]);
    // Every entry is on the timeline once, under its own name.
    const events = await app.events(p);
    expect(events.map((e) => e.event).sort()).toEqual(['Points Adjusted', 'Points Adjusted', 'Points Clawed Back', 'Points Earned', 'Points Spent']);
    expect(events.find((e) => e.event === 'Points Clawed Back')!.properties).toMatchObject({
      points: -320,
      balance: 0,
      shortfall: 80,
      source_type: 'order',
      source_id: 'o-1',
    });
    expect(await verifyBalances(app.t.database.db)).toEqual({ accounts: 1, mismatches: [] });
  });

  it('spends the earliest-expiring points first; expired points leave the balance with an expire entry', async () => {
    app = await loyaltyTestApp(engine);
    const p = await app.profile('u1');
    const at = (days: number) => new Date(app.t.clock.now() + days * DAY_MS).toISOString();
    const earn = (key: string, points: number, expiresAt: string | null) =>
      app.api('POST', '/v1/loyalty/points/earn', { profile: p, points, reason: 'promo', idempotencyKey: key, expiresAt });
    const late = (await earn('late', 100, at(10))).body.entry.id;
    const never = (await earn('never', 50, null)).body.entry.id;
    const soon = (await earn('soon', 30, at(5))).body.entry.id;
    expect((await app.api('GET', `/v1/profiles/${p}/points?days=7`)).body.expiringSoon).toEqual({
      days: 7,
      points: 30,
      lots: [{ points: 30, expiresAt: at(5) }],
    });
    await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 40, reason: 'redeemed', idempotencyKey: 'sp' });
    const remaining = async () =>
      Object.fromEntries(
        (await app.t.database.db.selectFrom('loyalty_entries').select(['id', 'remaining']).where('remaining', 'is not', null).execute()).map((r) => [
          r.id,
          Number(r.remaining),
        ]),
      );
    expect(await remaining()).toEqual({ [soon]: 0, [late]: 90, [never]: 50 });
    // Past the later expiry: the balance shows only what is still good, before any job ran.
    app.t.clock.advance(11 * DAY_MS);
    expect((await app.api('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(50);
    // A spend of more than what is still good is refused, and the overdue lot is expired on the way.
    const short = await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 60, reason: 'redeemed', idempotencyKey: 'sp2' });
    expect(short.body.error).toMatchObject({ code: 'INSUFFICIENT_POINTS', details: { balance: 50, requested: 60 } });
    const ok = await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 50, reason: 'redeemed', idempotencyKey: 'sp3' });
    expect(ok.body).toMatchObject({ balance: 0, entry: { seq: 6, points: -50 } });
    const history = (await app.api('GET', `/v1/profiles/${p}/points/history`)).body.data;
    expect(history.map((e: { kind: string; points: number }) => `${e.kind}:${e.points}`)).toEqual([
      'spend:-50',
      'expire:-90',
      'spend:-40',
      'earn:30',
      'earn:50',
      'earn:100',
    ]);
    expect(history[1].source).toEqual({ type: 'system', id: late });
    expect((await app.events(p)).filter((e) => e.event === 'Points Expired').map((e) => e.properties.points)).toEqual([-90]);
    expect((await verifyBalances(app.t.database.db)).mismatches).toEqual([]);
  });

  it('claws back the points of its own source first', async () => {
    app = await loyaltyTestApp(engine);
    const p = await app.profile('u1');
    const earn = (key: string, id: string, expiresAt: string | null) =>
      app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 100, reason: 'order', source: { type: 'order', id }, idempotencyKey: key, expiresAt });
    const a = (await earn('a', 'o-a', new Date(app.t.clock.now() + DAY_MS).toISOString())).body.entry.id;
    const b = (await earn('b', 'o-b', null)).body.entry.id;
    await app.api('POST', '/v1/loyalty/points/clawback', {
      profile: p,
      points: 70,
      reason: 'refund',
      source: { type: 'order', id: 'o-b' },
      idempotencyKey: 'cb',
    });
    const lots = await app.t.database.db.selectFrom('loyalty_entries').select(['id', 'remaining']).where('remaining', 'is not', null).orderBy('seq').execute();
    expect(lots.map((l) => [l.id, Number(l.remaining)])).toEqual([
      [a, 100],
      [b, 30],
    ]);
  });

  it('refuses what is not a whole number of points in range, precisely, and posts nothing', async () => {
    app = await loyaltyTestApp(engine);
    const p = await app.profile('u1');
    const post = (kind: string, body: Record<string, unknown>) =>
      app.api('POST', `/v1/loyalty/points/${kind}`, { profile: p, reason: 'r', idempotencyKey: 'k', ...body });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['earn', { points: 1.5 }, /points must be integer/],
      ['earn', { points: 0 }, /points must be >= 1/],
      ['earn', { points: -5 }, /points must be >= 1/],
      ['earn', { points: 1e13 }, /points must be <= 1000000000000/],
      ['earn', { points: 2 ** 60 }, /points must be <= 1000000000000/],
      ['adjust', { points: 0 }, /points must NOT be valid/],
      ['spend', { points: 5, expiresAt: '2030-01-01T00:00:00Z' }, /must NOT have additional properties/],
      ['earn', { points: 5, expiresAt: '2020-01-01T00:00:00Z' }, /expiresAt must be in the future/],
      ['earn', { points: 5, expiresAt: 'next year' }, /expiresAt must be an ISO-8601 time/],
      ['adjust', { points: -5, expiresAt: '2030-01-01T00:00:00Z' }, /expiresAt is for credits only/],
      ['earn', { points: 5, source: { type: 'system', id: 'x' } }, /source\/type must be equal to one of the allowed values/],
      ['earn', { points: 5, idempotencyKey: '' }, /idempotencyKey must NOT have fewer than 1 characters/],
    ];
    for (const [kind, body, message] of cases) {
      const r = await post(kind, body);
      expect([r.status, r.body.error.code], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    const missing = await app.api('POST', '/v1/loyalty/points/earn', { profile: 'user_id:nobody', points: 5, reason: 'r', idempotencyKey: 'k' });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'PROFILE_NOT_FOUND']);
    // The balance cannot pass the largest safe integer: planted near it (a billion requests of the largest amount would take too long).
    await post('earn', { points: 10, idempotencyKey: 'ten' });
    const big = Number.MAX_SAFE_INTEGER - 5;
    await app.t.database.db.updateTable('loyalty_accounts').set({ balance: big }).execute();
    await app.t.database.db.updateTable('loyalty_entries').set({ amount: big, remaining: big, balance_after: big }).execute();
    const over = await post('earn', { points: 10, idempotencyKey: 'over' });
    expect([over.status, over.body.error.code, over.body.error.details]).toEqual([
      400,
      'POINTS_OUT_OF_RANGE',
      { balance: big, limit: Number.MAX_SAFE_INTEGER },
    ]);
    expect(await app.t.database.db.selectFrom('loyalty_entries').select('id').execute()).toHaveLength(1);
  });

  it('an API earning without expiresAt follows the policy the earning rules use; null never expires; a set time wins', async () => {
    app = await loyaltyTestApp(engine);
    const p = await app.profile('u1');
    const earn = async (key: string, extra: Record<string, unknown> = {}) =>
      (await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 10, reason: 'r', idempotencyKey: key, ...extra })).body.entry.expiresAt;
    expect(await earn('default')).toBe('2027-12-31T16:00:00.000Z');
    expect((await app.api('PUT', '/v1/loyalty/settings', { expiry: { kind: 'days', days: 30 }, noticeDays: 7 })).status).toBe(200);
    expect(await earn('days')).toBe(new Date(app.t.clock.now() + 30 * 86_400_000).toISOString());
    expect(await earn('never', { expiresAt: null })).toBeNull();
    expect(await earn('given', { expiresAt: '2030-01-01T00:00:00Z' })).toBe('2030-01-01T00:00:00.000Z');
    const up = await app.api('POST', '/v1/loyalty/points/adjust', { profile: p, points: 5, reason: 'goodwill', idempotencyKey: 'adj' });
    expect(up.body.entry.expiresAt).toBe(new Date(app.t.clock.now() + 30 * 86_400_000).toISOString());
    await app.api('PUT', '/v1/loyalty/settings', { expiry: { kind: 'none' }, noticeDays: 7 });
    expect(await earn('none')).toBeNull();
    // A retry after the policy changed is the same request: its first answer.
    expect(await earn('days')).toBe(new Date(app.t.clock.now() + 30 * 86_400_000).toISOString());
  });

  it('keeps workspaces apart: a key, a balance and a profile belong to one workspace', async () => {
    app = await loyaltyTestApp(engine);
    const p = await app.profile('u1');
    await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 10, reason: 'r', idempotencyKey: 'k' });
    const other = await app.t.newWorkspace('Other');
    const there = await app.api('GET', `/v1/profiles/${p}/points`, undefined, other.secretKey);
    expect([there.status, there.body.error.code]).toEqual([404, 'PROFILE_NOT_FOUND']);
    const none = await app.api('GET', `/v1/profiles/${p}/points/history`, undefined, 'sk_wrong');
    expect(none.status).toBe(401);
  });
});
