import { afterEach, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { loyaltyTestApp } from './test-kit.js';
import { loyaltyPass } from './worker.js';

type App = Awaited<ReturnType<typeof loyaltyTestApp>>;

const TIERS = [
  { key: 'silver', name: 'Silver', threshold: 100 },
  { key: 'gold', name: 'Gold', threshold: 500 },
  { key: 'platinum', name: 'Platinum', threshold: 5000 },
];

describeEngines('tiers and coupon limits on profile merges (One ID)', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  /** A known member (user id) and, a minute later, an anonymous visitor: One ID merges into the older, so the member survives. */
  async function pair(n: string) {
    const member = await app.profile(`acct-${n}`);
    app.t.clock.advance(60_000);
    await app.track({ anonymousId: `visitor-${n}`, event: 'Page Viewed', properties: {} });
    await app.t.services.writer.drain();
    const db = app.t.database.db;
    const visitor = (await db.selectFrom('events').select('profile_id').where('anonymous_id', '=', `visitor-${n}`).executeTakeFirstOrThrow()).profile_id;
    return { member, visitor };
  }

  /** Joins the two through identify (the real CDP merge) and runs the worker pass that hears the committed batch. */
  async function merge(n: string) {
    const survivors = new Map<string, Set<string>>();
    const off = app.t.services.hub.on('cdp.events-committed', (e) => survivors.set(e.workspaceId, new Set(e.profileIds)));
    await app.t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(app.t.writeKey) },
      payload: { userId: `acct-${n}`, anonymousId: `visitor-${n}` },
    });
    await app.t.services.writer.drain();
    off();
    app.t.clock.advance(1000);
    await loyaltyPass(app.deps(), survivors);
    const m = await app.t.database.db
      .selectFrom('profile_merges')
      .select(['from_profile_id', 'into_profile_id'])
      .where('kind', '=', 'merge')
      .executeTakeFirstOrThrow();
    return { from: m.from_profile_id, into: m.into_profile_id };
  }

  const member = async (p: string) => (await app.api('GET', `/v1/loyalty/members/${p}`)).body;

  it("qualifies the survivor on both profiles' earnings, moves the later paid membership, drops the merged-away tier row (reason merge)", async () => {
    app = await loyaltyTestApp(engine);
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: TIERS });
    const { member: m, visitor: v } = await pair('1');
    const post = (kind: string, p: string, points: number, key: string) =>
      app.api('POST', `/v1/loyalty/points/${kind}`, { profile: p, points, reason: 'test', idempotencyKey: key });
    // The visitor earned 300 and spent 250 (50 move as a transfer); the member earned 250. Each is silver; together 550 is gold.
    await post('earn', v, 300, 'v-e');
    await post('spend', v, 250, 'v-s');
    await post('earn', m, 250, 'm-e');
    const buy = (p: string, tier: string, days: number, order: string) =>
      app.api('POST', '/v1/loyalty/paid-memberships', { profile: p, tier, periodDays: days, orderId: order, amountFen: 100, idempotencyKey: order });
    expect((await buy(m, 'gold', 10, 'pay-m')).status).toBe(200);
    expect((await buy(v, 'platinum', 60, 'pay-v')).status).toBe(200);
    const vEnd = new Date(app.t.clock.now() + 60 * DAY_MS).toISOString();
    await app.pass();
    expect([(await member(m)).tier?.key, (await member(v)).tier?.key]).toEqual(['gold', 'platinum']);
    app.t.clock.advance(60_000);

    const { from, into } = await merge('1');
    expect([from, into]).toEqual([v, m]);
    const s = await member(into);
    expect(s).toMatchObject({
      tier: { key: 'platinum' },
      qualification: { value: 550, tier: { key: 'gold' } },
      paidMembership: { tier: 'platinum', until: vEnd },
    });
    expect(s.purchases.map((p: { orderId: string }) => p.orderId).sort()).toEqual(['pay-m', 'pay-v']);
    expect(s.history[0]).toMatchObject({ from: 'gold', to: 'platinum', reason: 'merge' });
    const db = app.t.database.db;
    const qualified = await db.selectFrom('loyalty_members').select(['profile_id', 'qualified_key']).where('workspace_id', '=', app.t.workspaceId).execute();
    expect(qualified.map((r) => [r.profile_id, r.qualified_key])).toEqual([[into, 'gold']]);
    const events = await db.selectFrom('events').select('payload').where('profile_id', '=', into).where('event', '=', 'Tier Changed').execute();
    expect(events.map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload).properties.reason)).toContain('merge');
    // Later passes (the hourly sweep included) do not bring the merged-away member back.
    await app.pass();
    app.t.clock.advance(DAY_MS);
    await app.pass();
    expect((await app.api('GET', '/v1/loyalty/members')).body.data.map((r: { profileId: string }) => r.profileId)).toEqual([into]);
    expect(await app.mismatches()).toEqual([]);
  });

  it('finds a merge the batch missed in the sweep: a merged-away member with a tier and no points left', async () => {
    app = await loyaltyTestApp(engine);
    await app.api('PUT', '/v1/loyalty/tier-program', { basis: 'points', window: { kind: 'lifetime' }, tiers: TIERS });
    const { member: m, visitor: v } = await pair('2');
    await app.api('POST', '/v1/loyalty/points/earn', { profile: v, points: 600, reason: 'test', idempotencyKey: 'v-e' });
    await app.api('POST', '/v1/loyalty/points/spend', { profile: v, points: 600, reason: 'test', idempotencyKey: 'v-s' });
    expect((await member(v)).tier?.key).toBe('gold');
    await app.t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(app.t.writeKey) },
      payload: { userId: 'acct-2', anonymousId: 'visitor-2' },
    });
    await app.t.services.writer.drain();
    app.t.clock.advance(1000);
    // No survivors from the hub: the sweep (app.pass) finds the tier row of a profile no longer live.
    await app.pass();
    const s = await member(m);
    expect([s.tier?.key, s.qualification.value, s.history[0].reason]).toEqual(['gold', 600, 'merge']);
    const rows = await app.t.database.db.selectFrom('loyalty_members').select('profile_id').where('profile_id', '=', v).execute();
    expect(rows).toEqual([]);
  });

  it("counts the coupons of profiles merged into a member against the template's per-person limit", async () => {
    app = await loyaltyTestApp(engine);
    const { member: m, visitor: v } = await pair('3');
    const tpl = (
      await app.api('POST', '/v1/loyalty/coupon-templates', { name: 'one each', kind: 'fixed', amountFen: 500, validity: { days: 30 }, perPersonLimit: 1 })
    ).body;
    const issue = (p: string, key: string) => app.api('POST', '/v1/loyalty/coupons/issue', { template: tpl.id, profile: p, idempotencyKey: key });
    expect((await issue(v, 'v-1')).status).toBe(200);
    // Two people before the merge: the member may have their own.
    const other = await app.api('POST', '/v1/loyalty/coupon-templates', {
      name: 'other',
      kind: 'fixed',
      amountFen: 100,
      validity: { days: 30 },
      perPersonLimit: 1,
    });
    expect((await app.api('POST', '/v1/loyalty/coupons/issue', { template: other.body.id, profile: m, idempotencyKey: 'm-o' })).status).toBe(200);
    const { into } = await merge('3');
    expect(into).toBe(m);
    const refused = await issue(m, 'm-1');
    expect([refused.status, refused.body.error?.code, refused.body.error?.details]).toEqual([
      409,
      'COUPON_LIMIT_REACHED',
      { templateId: tpl.id, held: 1, limit: 1 },
    ]);
  });
});
