import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { loyaltyTestApp } from './test-kit.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

describeEngines('daily check-in with streak bonuses', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('once per local day, idempotent; streak bonus on day 7; a missed day starts the streak again', async () => {
    // 23:30 in Shanghai on Nov 2 (15:30 UTC).
    app = await loyaltyTestApp(engine, { clockStart: Date.parse('2026-11-02T15:30:00Z') });
    const p = await app.profile('member');
    const none = await app.api('POST', '/v1/loyalty/checkins', { profile: p });
    expect([none.status, none.body.error.code]).toEqual([409, 'CHECKIN_NOT_CONFIGURED']);
    await app.api('POST', '/v1/loyalty/rules', {
      name: 'check-in',
      kind: 'checkin',
      definition: {
        points: 5,
        streakBonuses: [
          { day: 7, points: 50 },
          { day: 30, points: 300 },
        ],
      },
    });
    const first = await app.api('POST', '/v1/loyalty/checkins', { profile: p });
    expect(first.body).toEqual({ profileId: p, day: '2026-11-02', streak: 1, points: 5, balance: 5, alreadyCheckedIn: false });
    // Another member the same day checks in on their own.
    const other = await app.profile('other');
    expect((await app.api('POST', '/v1/loyalty/checkins', { profile: other })).body).toMatchObject({
      streak: 1,
      points: 5,
      balance: 5,
      alreadyCheckedIn: false,
    });
    // 40 minutes later it is Nov 3 in Shanghai (still Nov 2 in UTC): a new day.
    app.t.clock.advance(40 * 60_000);
    const again = await Promise.all([1, 2, 3].map(() => app.api('POST', '/v1/loyalty/checkins', { profile: `user_id:member` })));
    expect(again.map((a) => a.body.streak)).toEqual([2, 2, 2]);
    expect(again.filter((a) => a.body.alreadyCheckedIn)).toHaveLength(2);
    for (let day = 3; day <= 7; day++) {
      app.t.clock.advance(DAY_MS);
      const r = await app.api('POST', '/v1/loyalty/checkins', { profile: p });
      expect([r.body.streak, r.body.points]).toEqual([day, day === 7 ? 55 : 5]);
    }
    expect((await app.api('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(6 * 5 + 55);
    app.t.clock.advance(2 * DAY_MS);
    expect((await app.api('POST', '/v1/loyalty/checkins', { profile: p })).body).toMatchObject({ streak: 1, points: 5 });
    const history = (await app.api('GET', `/v1/profiles/${p}/points/history`)).body.data;
    expect(history).toHaveLength(8);
    expect(history[1].reason).toMatch(/day 7 of a streak \(\+50 bonus\)/);
    expect(await app.mismatches()).toEqual([]);
  });
});
