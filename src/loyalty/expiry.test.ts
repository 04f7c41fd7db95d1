import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { journeyTestApp } from '../journeys/test-kit.js';
import { DAY_MS } from '../platform/time.js';
import { runExpiry } from './expiry.service.js';
import { postWithRetries } from './points.service.js';
import { loyaltyTestApp } from './test-kit.js';
import { verifyBalances } from './verify.js';

describeEngines('points expiry job and the Points Expiring notice', (engine) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("gives the points the module awards itself the workspace's expiry policy: by default the end of the year after earning, local time", async () => {
    const app = await loyaltyTestApp(engine);
    close = app.close;
    const p = await app.profile('u1');
    await app.api('POST', '/v1/loyalty/rules', { name: 'check-in', kind: 'checkin', definition: { points: 5 } });
    const expiryOfLast = async () => (await app.api('GET', `/v1/profiles/${p}/points/history?limit=1`)).body.data[0].expiresAt;
    await app.api('POST', '/v1/loyalty/checkins', { profile: p });
    // Earned 2026-11-03 in Asia/Shanghai: expires when 2027 ends there.
    expect(await expiryOfLast()).toBe('2027-12-31T16:00:00.000Z');
    expect((await app.api('GET', '/v1/loyalty/settings')).body).toEqual({ expiry: { kind: 'end_of_year', years: 1 }, noticeDays: 30 });
    const bad = await app.api('PUT', '/v1/loyalty/settings', { expiry: { kind: 'days' }, noticeDays: 3 });
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringMatching(/must have required property 'days'/)]);
    await app.api('PUT', '/v1/loyalty/settings', { expiry: { kind: 'days', days: 10 }, noticeDays: 3 });
    app.t.clock.advance(DAY_MS);
    await app.api('POST', '/v1/loyalty/checkins', { profile: p });
    expect(await expiryOfLast()).toBe(new Date(app.t.clock.now() + 10 * DAY_MS).toISOString());
    await app.api('PUT', '/v1/loyalty/settings', { expiry: { kind: 'none' }, noticeDays: 3 });
    app.t.clock.advance(DAY_MS);
    await app.api('POST', '/v1/loyalty/checkins', { profile: p });
    expect(await expiryOfLast()).toBeNull();
    // The API's earnings without expiresAt follow the same policy (now none): they never expire.
    const e = await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: 10, reason: 'r', idempotencyKey: 'k1' });
    expect(e.body.entry.expiresAt).toBeNull();
    expect(await app.mismatches()).toEqual([]);
  });

  it('records Points Expiring once per lot N days ahead, a journey triggered by it runs, and the lot expires on its day', async () => {
    const j = await journeyTestApp(engine);
    close = () => j.close();
    const api = j.api;
    const p = await j.profile('u1');
    await api('PUT', '/v1/loyalty/settings', { expiry: { kind: 'none' }, noticeDays: 3 });
    const expiresAt = new Date(j.t.clock.now() + 10 * DAY_MS).toISOString();
    await api('POST', '/v1/loyalty/points/earn', { profile: p, points: 40, reason: 'promo', idempotencyKey: 'soon', expiresAt });
    await api('POST', '/v1/loyalty/points/earn', { profile: p, points: 5, reason: 'keep', idempotencyKey: 'never', expiresAt: null });
    const journeyId = await j.journey('remind expiring points', {
      trigger: { type: 'event', event: 'Points Expiring' },
      steps: [{ id: 'award', type: 'award', points: 1, reason: 'a reminder gift' }],
    });
    const db = j.t.database;
    const run = () => runExpiry(db, j.t.clock.now());
    j.t.clock.advance(6 * DAY_MS);
    expect(await run()).toEqual({ accounts: 0, lots: 0, points: 0, notices: 0 });
    j.t.clock.advance(1 * DAY_MS + 60_000);
    expect((await run()).notices).toBe(1);
    expect((await run()).notices).toBe(0);
    const notices = await db.db.selectFrom('events').select(['payload']).where('event', '=', 'Points Expiring').execute();
    expect(notices).toHaveLength(1);
    const props = (typeof notices[0]!.payload === 'string' ? JSON.parse(notices[0]!.payload) : notices[0]!.payload).properties;
    expect(props).toMatchObject({ points: 40, notice_days: 3 });
    await j.tick();
    expect((await j.states(journeyId)).map((s: { status: string }) => s.status)).toEqual(['completed']);
    expect((await api('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(46);
    j.t.clock.advance(3 * DAY_MS);
    expect(await run()).toMatchObject({ accounts: 1, lots: 1, points: 40 });
    expect(await run()).toMatchObject({ accounts: 0, lots: 0 });
    const history = (await api('GET', `/v1/profiles/${p}/points/history`)).body.data;
    expect(history[0]).toMatchObject({ kind: 'expire', points: -40, balanceAfter: 6 });
    expect((await verifyBalances(db.db)).mismatches).toEqual([]);
  });

  it('expires across many accounts with two workers at once: every due lot expires exactly once', async () => {
    const app = await loyaltyTestApp(engine);
    close = app.close;
    const db = app.t.database;
    const ws = app.t.workspaceId;
    const now = app.t.clock.now();
    for (let i = 0; i < 60; i++) {
      const req = { workspaceId: ws, profileId: `prf_m${i}`, kind: 'earn' as const, reason: 'r', source: { type: 'api' as const, id: null } };
      await postWithRetries(db, { ...req, points: 10, idempotencyKey: `a${i}`, expiresAt: now + DAY_MS }, () => now);
      await postWithRetries(db, { ...req, points: 7, idempotencyKey: `b${i}`, expiresAt: now + 2 * DAY_MS }, () => now);
      await postWithRetries(db, { ...req, points: 3, idempotencyKey: `c${i}`, expiresAt: null }, () => now);
    }
    const later = now + 3 * DAY_MS;
    const [a, b] = await Promise.all([runExpiry(db, later, { batchSize: 7 }), runExpiry(db, later, { batchSize: 11 })]);
    expect(a.lots + b.lots).toBe(120);
    expect(a.points + b.points).toBe(60 * 17);
    const expired = await db.db.selectFrom('loyalty_entries').select('source_id').where('kind', '=', 'expire').execute();
    expect(new Set(expired.map((e) => e.source_id)).size).toBe(120);
    expect(expired).toHaveLength(120);
    const balances = await db.db.selectFrom('loyalty_accounts').select('balance').execute();
    expect(balances.every((r) => Number(r.balance) === 3)).toBe(true);
    expect((await verifyBalances(db.db)).mismatches).toEqual([]);
  });
  it('goes on past a batch of fewer accounts than the batch size when those accounts had more due lots than one read takes', async () => {
    const app = await loyaltyTestApp(engine);
    close = app.close;
    const db = app.t.database;
    const ws = app.t.workspaceId;
    const now = app.t.clock.now();
    // Ten lots each; the first member's all expire before the second's, so the first read (batch 2: 8 lots) sees one member.
    for (const [m, offset] of [
      ['prf_first', 0],
      ['prf_second', DAY_MS],
    ] as const) {
      for (let k = 0; k < 10; k++) {
        const req = { workspaceId: ws, profileId: m, kind: 'earn' as const, reason: 'r', source: { type: 'api' as const, id: null } };
        await postWithRetries(db, { ...req, points: 1, idempotencyKey: `${m}-${k}`, expiresAt: now + DAY_MS + offset + k }, () => now);
      }
    }
    const r = await runExpiry(db, now + 3 * DAY_MS, { batchSize: 2 });
    expect(r).toMatchObject({ accounts: 2, lots: 20, points: 20 });
    const balances = await db.db.selectFrom('loyalty_accounts').select('balance').where('workspace_id', '=', ws).execute();
    expect(balances.map((b) => Number(b.balance))).toEqual([0, 0]);
    expect((await verifyBalances(db.db)).mismatches).toEqual([]);
  });
});
