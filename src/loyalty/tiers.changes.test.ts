import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { loyaltyTestApp } from './test-kit.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

const TIERS = [
  { key: 'silver', name: 'Silver', threshold: 100 },
  { key: 'gold', name: 'Gold', threshold: 500 },
];

describeEngines('tiers: upgrades at once on API postings, program changes re-qualify members', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  const earn = (p: string, points: number, key: string) =>
    app.api('POST', '/v1/loyalty/points/earn', { profile: p, points, reason: 'test', idempotencyKey: key });
  const member = async (p: string) => (await app.api('GET', `/v1/loyalty/members/${p}`)).body;
  const tierEvents = async (p: string) =>
    (
      await app.t.database.db
        .selectFrom('events')
        .select('payload')
        .where('profile_id', '=', p)
        .where('event', '=', 'Tier Changed')
        .orderBy('timestamp')
        .orderBy('message_id')
        .execute()
    ).map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties);

  it('upgrades a member in the posting of points through the API: the member read right after shows the tier, with history and event', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: TIERS });
    const p = await app.profile('now-1');
    // No worker pass anywhere in this test.
    expect((await earn(p, 80, 'e1')).status).toBe(200);
    expect((await member(p)).tier).toBeNull();
    app.t.clock.advance(1000);
    await earn(p, 30, 'e2');
    expect((await member(p)).tier).toEqual({ key: 'silver', name: 'Silver', rank: 0 });
    app.t.clock.advance(1000);
    const adjust = await app.api('POST', '/v1/loyalty/points/adjust', { profile: p, points: 400, reason: 'goodwill', idempotencyKey: 'a1' });
    expect(adjust.status).toBe(200);
    const m = await member(p);
    expect(m).toMatchObject({ tier: { key: 'gold' }, qualification: { value: 510, tier: { key: 'gold' } } });
    expect(m.history.map((h: { from: string | null; to: string; reason: string }) => [h.from, h.to, h.reason])).toEqual([
      ['silver', 'gold', 'qualified'],
      [null, 'silver', 'qualified'],
    ]);
    expect((await tierEvents(p)).map((e) => [e.from, e.to, e.direction, e.reason])).toEqual([
      [null, 'silver', 'up', 'qualified'],
      ['silver', 'gold', 'up', 'qualified'],
    ]);
    // A replay changes nothing; a spend does not downgrade; the worker's pass afterwards finds nothing more to do.
    expect((await earn(p, 30, 'e2')).replayed).toBe(true);
    await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 500, reason: 'gift', idempotencyKey: 's1' });
    expect((await member(p)).tier?.key).toBe('gold');
    expect((await app.pass()).tiers.upgraded).toBe(0);
    expect(await tierEvents(p)).toHaveLength(2);
    expect(await app.mismatches()).toEqual([]);
  });

  it('re-qualifies every member after a threshold is lowered (worker pass, reason program_change), once; downgrades wait', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: TIERS });
    const a = await app.profile('pc-a');
    const b = await app.profile('pc-b');
    const c = await app.profile('pc-c');
    await earn(a, 300, 'a1');
    await earn(b, 120, 'b1');
    await earn(c, 40, 'c1');
    await app.pass();
    expect([(await member(a)).tier?.key, (await member(b)).tier?.key, (await member(c)).tier]).toEqual(['silver', 'silver', null]);
    // A later change elsewhere, past the change cursor's 10-minute look-back: a, b and c are no longer re-read by it.
    app.t.clock.advance(60 * 60_000);
    await earn(await app.profile('pc-d'), 10, 'd1');
    expect((await app.pass()).tiers.upgraded).toBe(0);
    // Gold from 250, silver from 30: a and c move up without earning anything; b stays.
    const changed = await app.api('PUT', '/v1/loyalty/tier-program', {
      basis: 'points',
      window: { kind: 'lifetime' },
      tiers: [
        { key: 'silver', name: 'Silver', threshold: 30 },
        { key: 'gold', name: 'Gold', threshold: 250 },
      ],
    });
    expect(changed.status).toBe(200);
    const r = await app.pass();
    expect(r.tiers.upgraded).toBe(2);
    const ma = await member(a);
    expect([ma.tier?.key, ma.history[0].reason, ma.history[0].note]).toEqual(['gold', 'program_change', `tier program version ${changed.body.version}`]);
    expect((await member(c)).tier?.key).toBe('silver');
    expect((await member(b)).history).toHaveLength(1);
    expect((await tierEvents(a)).at(-1)).toMatchObject({ from: 'silver', to: 'gold', reason: 'program_change' });
    // Done once per version.
    expect((await app.pass()).tiers.upgraded).toBe(0);
    // A threshold raised downgrades nobody at once (evaluation dates decide).
    await app.api('PUT', '/v1/loyalty/tiers/gold', { key: 'gold', name: 'Gold', threshold: 5000 });
    await app.pass();
    expect((await member(a)).tier?.key).toBe('gold');
  });
});
