import { afterEach, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { runBirthdays } from './birthday.service.js';
import { runRules } from './rules.engine.js';
import { loyaltyTestApp } from './test-kit.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

describeEngines('earning rules: versions, birthdays, several workers', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  const balance = async (p: string) => (await app.api('GET', `/v1/profiles/${p}/points`)).body.balance as number;
  const identify = (userId: string, traits: Record<string, unknown>) =>
    app.t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(app.t.writeKey) }, payload: { userId, traits } });

  it('applies the version in force at the event time; a deactivated rule gives nothing more', async () => {
    app = await loyaltyTestApp(engine);
    const p = await app.profile('fan');
    const c = await app.api('POST', '/v1/loyalty/rules', { name: 'survey', kind: 'event', definition: { event: 'Survey Answered', points: 10 } });
    app.t.clock.advance(1000);
    await app.track({ userId: 'fan', event: 'Survey Answered', properties: {} });
    app.t.clock.advance(1000);
    await app.api('POST', `/v1/loyalty/rules/${c.body.id}/versions`, { name: 'survey', kind: 'event', definition: { event: 'Survey Answered', points: 25 } });
    app.t.clock.advance(1000);
    await app.track({ userId: 'fan', event: 'Survey Answered', properties: {} });
    await app.pass();
    expect(await balance(p)).toBe(35);
    await app.api('POST', `/v1/loyalty/rules/${c.body.id}/deactivate`);
    app.t.clock.advance(1000);
    await app.track({ userId: 'fan', event: 'Survey Answered', properties: {} });
    await app.pass();
    expect(await balance(p)).toBe(35);
    const versions = await app.t.database.db.selectFrom('loyalty_awards').select('rule_version').orderBy('at').execute();
    expect(versions.map((v) => Number(v.rule_version))).toEqual([1, 2]);
    expect(await app.mismatches()).toEqual([]);
  });

  it('two engines running at once over the same events award each event once', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: { pointsPerYuan: 1, pendingDays: 0 } });
    await app.api('POST', '/v1/loyalty/rules', { name: 'reviews', kind: 'event', definition: { event: 'Review Posted', points: 3 } });
    const users = Array.from({ length: 8 }, (_, i) => `u${i}`);
    for (const u of users) await app.profile(u);
    for (let i = 0; i < 40; i++) {
      const u = users[i % users.length]!;
      await app.track({ userId: u, event: 'Order Completed', properties: { order_id: `o${i}`, total: 10 } });
      await app.track({ userId: u, event: 'Review Posted', properties: {} });
    }
    const deps = app.deps();
    await Promise.all([runRules(deps), runRules(deps), runRules(deps)]);
    // A pass that found the workspace held by another leaves its events to the next pass.
    await runRules(deps);
    const total = await app.t.database.db
      .selectFrom('loyalty_accounts')
      .select((eb) => eb.fn.sum<number>('balance').as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(total.n)).toBe(40 * 10 + 40 * 3);
    expect(await app.t.database.db.selectFrom('loyalty_awards').select('subject_key').execute()).toHaveLength(80);
    expect(await app.mismatches()).toEqual([]);
  });

  it('an order and an interaction stored two hours after their event time earn once, read in storage order', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: { pointsPerYuan: 1, pendingDays: 0 } });
    await app.api('POST', '/v1/loyalty/rules', { name: 'reviews', kind: 'event', definition: { event: 'Review Posted', points: 5 } });
    const p = await app.profile('late');
    app.t.clock.advance(3 * 3_600_000);
    // Newer events are read first: the cursors move to now.
    await app.track({ userId: 'late', event: 'Order Completed', properties: { order_id: 'new', total: 10 } });
    await app.track({ userId: 'late', event: 'Review Posted', properties: {} });
    await app.pass();
    expect(await balance(p)).toBe(15);
    // Then a till that was offline sends an order and a review dated two hours ago.
    app.t.clock.advance(60_000);
    const twoHoursAgo = new Date(app.t.clock.now() - 2 * 3_600_000).toISOString();
    await app.track({ userId: 'late', event: 'Order Completed', properties: { order_id: 'offline', total: 40 }, timestamp: twoHoursAgo });
    await app.track({ userId: 'late', event: 'Review Posted', properties: {}, timestamp: twoHoursAgo });
    await app.pass();
    expect(await balance(p)).toBe(15 + 40 + 5);
    const award = await app.t.database.db.selectFrom('loyalty_awards').select(['at']).where('subject_key', '=', 'order:offline').executeTakeFirstOrThrow();
    expect(Number(award.at)).toBe(Date.parse(twoHoursAgo));
    // Read again (the overlap, another pass): nothing twice.
    app.t.clock.advance(60_000);
    await app.pass();
    await app.pass();
    expect(await balance(p)).toBe(60);
    expect(await app.mismatches()).toEqual([]);
  });

  it('gives the birthday bonus once a year on the local birthday (29 February on the 28th in common years)', async () => {
    // 2027-02-28 00:30 in Shanghai (27th in UTC).
    app = await loyaltyTestApp(engine, { clockStart: Date.parse('2027-02-27T16:30:00Z') });
    await app.api('POST', '/v1/loyalty/rules', { name: 'birthday', kind: 'birthday', definition: { points: 88 } });
    await identify('leap', { birthday: '2000-02-29' });
    await identify('today', { birthday: '1990-02-28' });
    await identify('tomorrow', { birthday: '1990-03-01' });
    await identify('junk', { birthday: 'soon' });
    const id = async (u: string) => (await app.api('GET', `/v1/profiles/user_id:${u}`)).body.id as string;
    const run = () => runBirthdays(app.t.database, () => app.t.clock.now(), app.t.services.timeZoneOf);
    expect(await run()).toBe(2);
    expect(await run()).toBe(0);
    expect([await balance(await id('leap')), await balance(await id('today')), await balance(await id('tomorrow'))]).toEqual([88, 88, 0]);
    app.t.clock.advance(DAY_MS);
    expect(await run()).toBe(1);
    expect(await balance(await id('tomorrow'))).toBe(88);
    expect(await app.mismatches()).toEqual([]);
  });
});
