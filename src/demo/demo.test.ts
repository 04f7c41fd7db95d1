import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { createDemoSandboxes } from '../../wecom-sandbox/demo.js';
import { STORES } from './brand.js';
import type { DemoSummary } from './demo.service.js';
import { generateDemo } from './generate.js';
import { openingBalances } from './loyalty-setup.js';
import { createPrng } from './prng.js';

/** 10:00 in Shanghai: outside the brand's quiet hours (22:00-08:00), so marketing goes out at once. */
const NOW = Date.parse('2026-11-01T02:00:00Z');
/** A seed whose 300 customers give every outcome of the sends (delivered, failed, opened); the outcomes follow from the seed. */
const SEED = 19;

it('the seeded generator gives the same numbers for the same seed and others for another', () => {
  const draw = (seed: number) => {
    const r = createPrng(seed);
    return Array.from({ length: 5 }, () => r.int(0, 1_000_000));
  };
  expect(draw(7)).toEqual(draw(7));
  expect(draw(7)).not.toEqual(draw(8));
});

it('generates the same customers and orders for the same seed, scale and anchor time', () => {
  const a = generateDemo({ seed: 42, customers: 200, now: NOW });
  const b = generateDemo({ seed: 42, customers: 200, now: NOW });
  expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  expect(JSON.stringify(generateDemo({ seed: 43, customers: 200, now: NOW }))).not.toBe(JSON.stringify(a));
  // Customer i is the same at any scale: a larger demo extends a smaller one.
  expect(generateDemo({ seed: 42, customers: 300, now: NOW }).profiles.slice(0, 200)).toEqual(a.profiles);
  // A year of orders before the anchor, each with products, a store and an identifier the profile has.
  for (const o of a.orders) {
    const t = Date.parse(o.ordered_at);
    expect(t).toBeLessThanOrEqual(NOW);
    expect(t).toBeGreaterThan(NOW - 366 * 86_400_000);
    expect((o.products as unknown[]).length).toBeGreaterThan(0);
  }
  expect(a.orders.length / a.profiles.length).toBeGreaterThan(2);
  expect(a.orders.some((o) => o.status === 'refunded')).toBe(true);
});

describeEngines('the demo brand', (engine) => {
  // One app per engine with the demo loaded (with the stand-ins) for the tests that read it; each load takes seconds.
  let t: TestApp;
  let s: DemoSummary;
  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: NOW, demoSandboxes: createDemoSandboxes });
    const res = await api('POST', '/v1/demo', { customers: 300, seed: SEED });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    s = res.body;
  });
  afterAll(async () => t?.close());

  const api = async (method: 'GET' | 'POST', url: string, body?: unknown, key = t.secretKey) => {
    const res = await t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body !== undefined && { payload: body as object }) });
    return { status: res.statusCode, body: res.json() };
  };
  /** Every item of a cursor-paged list. */
  const all = async <T>(url: string, key = t.secretKey): Promise<T[]> => {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const page = await api('GET', `${url}${url.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, key);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      out.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    return out;
  };

  it('loads customers, orders, segments with members, RFM, published journeys, templates, a scheduled broadcast and the sent ones', async () => {
    const expected = generateDemo({ seed: SEED, customers: 300, now: NOW });
    expect(s).toMatchObject({ customers: 300, seed: SEED, profiles: 300, orders: expected.orders.length, notes: [] });
    expect(await all('/v1/profiles')).toHaveLength(300);

    // An order, as the orders API tells it, with its products; a refunded one is refunded.
    const order = await api('GET', `/v1/orders/${expected.orders[0]!.order_id}`);
    expect(order.status).toBe(200);
    expect(order.body.totalFen).toBe(Math.round(expected.orders[0]!.total * 100));
    const refunded = expected.orders.find((o) => o.status === 'refunded')!;
    expect((await api('GET', `/v1/orders/${refunded.order_id}`)).body.status).toBe('refunded');

    // Segments have members; every demo segment is there (the six, and the two audiences of the sends).
    const segments = (await api('GET', '/v1/segments?limit=50')).body.data as { name: string; memberCount: number }[];
    expect(segments.map((g) => g.name).sort()).toEqual(s.segments.map((g: { name: string }) => g.name).sort());
    expect(segments).toHaveLength(8);
    for (const name of ['VIP 会员', '沉默客户', '潮玩粉丝', '早咖啡常客', '早咖啡常客·上海陆家嘴店', 'KOC 企微好友·上海静安寺店'])
      expect(segments.find((g) => g.name === name)!.memberCount, name).toBeGreaterThan(0);

    // RFM computed over the buyers.
    const rfm = await api('GET', '/v1/models/rfm/report');
    expect(rfm.body.buyers).toBeGreaterThan(250);
    expect(rfm.body.cells.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(rfm.body.buyers);

    // Journeys from the recipes, published; templates in two locales; the 8:00 broadcast scheduled, the three sends done.
    const journeys = (await api('GET', '/v1/journeys?limit=50')).body.data as { status: string }[];
    expect(journeys).toHaveLength(5);
    expect(journeys.every((j) => j.status === 'active')).toBe(true);
    const templates = (await api('GET', '/v1/templates?limit=50')).body.data as { variants: Record<string, unknown> }[];
    expect(templates).toHaveLength(5);
    const broadcasts = (await api('GET', '/v1/broadcasts?limit=50')).body.data as { id: string; status: string; sendAt: string }[];
    expect(broadcasts.filter((b) => b.status === 'scheduled').map((b) => [b.id, new Date(b.sendAt).toISOString()])).toEqual([
      [s.broadcasts[0], '2026-11-02T00:00:00.000Z'],
    ]);
    expect(
      broadcasts
        .filter((b) => b.id !== s.broadcasts[0])
        .map((b) => b.id)
        .sort(),
    ).toEqual(s.sends.map((b: { id: string }) => b.id).sort());
  });

  it('sets the membership up: tiers, the earning rule, opening balances of the best customers, their tiers and traits', async () => {
    const expected = openingBalances(generateDemo({ seed: SEED, customers: 300, now: NOW }));
    expect(s.loyalty).toMatchObject({ members: expected.length, points: expected.reduce((n, b) => n + b.points, 0) });
    expect(s.loyalty.upgraded).toBe(expected.filter((b) => b.points >= 800).length);
    // The best customer: the balance the old system had, and the tier it qualifies for, on the members API and as traits.
    const best = expected[0]!;
    const profile = (await api('GET', `/v1/profiles/${best.ref}`)).body;
    const member = await api('GET', `/v1/loyalty/members/${profile.id}`);
    expect(member.status, JSON.stringify(member.body)).toBe(200);
    expect(member.body).toMatchObject({ balance: best.points, tier: { key: best.points >= 2000 ? 'gold' : 'silver' } });
    expect(profile.traits).toMatchObject({ loyalty_tier: best.points >= 2000 ? 'gold' : 'silver', loyalty_points_balance: best.points });
    const members = await all<{ tier: { key: string } | null }>('/v1/loyalty/members');
    expect(members.filter((m) => m.tier !== null)).toHaveLength(s.loyalty.upgraded);
    expect((await api('GET', `/v1/loyalty/coupon-templates/${s.loyalty.couponTemplateId}`)).status).toBe(200);
  });

  it('refuses a second load into the workspace; the same seed in another workspace gives the same brand, WeCom and send results', async () => {
    const again = await api('POST', '/v1/demo', { customers: 300, seed: SEED });
    expect([again.status, again.body.error.code]).toEqual([409, 'DEMO_WORKSPACE_NOT_EMPTY']);
    const other = await t.newWorkspace('Demo 2');
    const second = await api('POST', '/v1/demo', { customers: 300, seed: SEED }, other.secretKey);
    expect(second.status).toBe(201);
    const counts = (x: { segments: { name: string; memberCount: number }[] }) => x.segments.map((g) => [g.name, g.memberCount]);
    expect(counts(second.body)).toEqual(counts(s));
    expect([second.body.profiles, second.body.orders, second.body.refundedOrders]).toEqual([s.profiles, s.orders, s.refundedOrders]);
    const { apiBaseUrl: _a, ...wecom } = s.wecom!;
    expect(second.body.wecom).toMatchObject(wecom);
    const results = (x: { sends: DemoSummary['sends'] }) => x.sends.map(({ id: _i, segmentId: _s, ...r }) => r);
    expect(results(second.body)).toEqual(results(s));
  });

  it('the WeCom sandbox holds the brand: staff per store, contacts linked to their profiles, store live codes with today’s scans, store and fan groups', async () => {
    const w = s.wecom!;
    const data = generateDemo({ seed: SEED, customers: 300, now: NOW });

    // The connection points at the sandbox, and WeCom answers through it.
    const connection = await api('GET', '/v1/wecom/connection');
    expect(connection.body).toMatchObject({ corpId: w.corpId, apiBaseUrl: w.apiBaseUrl });

    // Staff: a manager and two guides per store, two community staff at head office.
    const staff = await all<{ userid: string; name: string }>('/v1/wecom/staff');
    expect(staff).toHaveLength(STORES.length * 3 + 2);
    expect(w.staff).toBe(staff.length);
    expect(staff.map((m) => m.userid)).toEqual(expect.arrayContaining(['s01.manager', 's01.guide1', 's20.guide2', 'hq.community1']));

    // A guide's customers are customers of the guide's store, linked by unionid to the generated profile.
    const byUnionid = new Map(data.profiles.map((p) => [p.unionid as string, p]));
    const customers = [
      ...(await all<{ profileId: string; name: string }>('/v1/wecom/staff/s01.guide1/customers')),
      ...(await all<{ profileId: string; name: string }>('/v1/wecom/staff/s01.guide2/customers')),
    ];
    expect(customers.length).toBeGreaterThan(0);
    for (const c of customers.slice(0, 10)) {
      // The profile's WeCom card names the guide among the staff following it.
      const card = (await api('GET', `/v1/profiles/${c.profileId}/wecom`)).body;
      expect(card.staff.map((f: { userid: string }) => f.userid).filter((u: string) => u.startsWith('s01.guide'))).not.toEqual([]);
      const p = (await api('GET', `/v1/profiles/${c.profileId}`)).body;
      const unionid = (p.identifiers as { type: string; value: string }[]).find((i) => i.type === 'unionid')!.value;
      expect(byUnionid.get(unionid), c.name).toMatchObject({ name: c.name, home_store: 'store_01' });
      expect(p.identifiers.some((i: { type: string }) => i.type === `external_userid:${w.corpId}`)).toBe(true);
      // The sync names the trait wecom_contact_type, a callback for a new contact wecom_type.
      expect(p.traits.wecom_contact_type ?? p.traits.wecom_type).toBe('wechat');
    }

    // Live codes: one per store and the toy poster; today's scans attributed to them, each welcomed.
    const codes = await all<{ id: string; name: string; channel: string; state: string; configId: string }>('/v1/wecom/live-codes');
    expect(codes).toHaveLength(w.liveCodes);
    expect(codes.filter((c) => c.channel === 'store')).toHaveLength(STORES.length);
    let adds = 0;
    for (const code of codes) {
      const stats = (await api('GET', `/v1/wecom/live-codes/${code.id}/stats?from=2026-11-01&to=2026-11-01`)).body;
      adds += stats.totals.adds;
      expect(stats.totals.welcomeSent, code.name).toBe(stats.totals.adds);
    }
    expect(adds).toBe(w.scans);
    expect(adds).toBeGreaterThanOrEqual(STORES.length);

    // Groups: a 福利群 per store (named with the brand, as the 8:00 store-group journey selects them), fan groups, the KOC group.
    const groups = await all<{ chatId: string; name: string; memberCount: number; owner: string }>('/v1/wecom/groups');
    expect(groups).toHaveLength(w.groups);
    const storeGroups = groups.filter((g) => g.name.includes('思屿咖啡') && g.name.endsWith('福利群'));
    expect(storeGroups).toHaveLength(STORES.length);
    expect(storeGroups.every((g) => g.owner.endsWith('.manager') && g.memberCount >= 3)).toBe(true);
    expect(groups.filter((g) => g.name.startsWith('潮玩粉丝群'))).toHaveLength(STORES.filter((x) => x.toys).length);
    expect(groups.reduce((n, g) => n + g.memberCount, 0)).toBe(w.groupMembers);
    // A store group's customers are that store's customers, by their unionids.
    const group = storeGroups.find((g) => g.memberCount > 3)!;
    const store = STORES.find((x) => group.name === `${x.name} 福利群`)!;
    const members = (await api('GET', `/v1/wecom/groups/${group.chatId}`)).body.members as { type: string; unionid: string | null }[];
    const customerMembers = members.filter((m) => m.type === 'customer');
    expect(customerMembers.length).toBeGreaterThan(0);
    for (const m of customerMembers) expect(byUnionid.get(m.unionid!)?.home_store).toBe(store.id);
  });

  it('sends broadcasts through the SMS gateway stand-in and the WeCom sandbox: sent, delivered, failed and opened as the stats API tells them', async () => {
    const sends = s.sends;
    expect(sends.map((b) => b.channel)).toEqual(['sms', 'sms', 'wecom']);
    for (const b of sends) {
      const stats = (await api('GET', `/v1/broadcasts/${b.id}/stats`)).body;
      expect(stats.status, b.name).toBe('sent');
      expect(stats.audience.done).toBe(true);
      const m = stats.messages;
      expect({ messages: m.total, sent: m.sent, delivered: m.delivered, failed: m.failed, suppressed: m.suppressed, held: m.held, opened: m.opened }).toEqual({
        messages: b.messages,
        sent: b.sent,
        delivered: b.delivered,
        failed: b.failed,
        suppressed: b.suppressed,
        held: b.held,
        opened: b.opened,
      });
      // Every message reached an end: nothing queued or in flight; opened ones were delivered first.
      expect(m.queued + m.sending).toBe(0);
      expect(m.sent + m.failed + m.suppressed + m.held + m.unknown).toBe(m.total);
      expect(m.opened).toBeLessThanOrEqual(m.delivered || m.sent);
    }
    const [coupon, notice, drop] = sends;
    // SMS: receipts came back (delivered and failed), and customers opened the tracked link.
    const sms = [coupon!, notice!];
    expect(sms.reduce((n, b) => n + b.delivered, 0)).toBeGreaterThan(0);
    expect(sms.reduce((n, b) => n + b.failed, 0)).toBeGreaterThan(0);
    expect(sms.reduce((n, b) => n + b.opened, 0)).toBeGreaterThan(0);
    expect(sms.every((b) => b.delivered <= b.sent)).toBe(true);
    // WeCom: the guide's mass-message tasks exist in the sandbox (WeCom reports no delivery for them).
    expect(drop!.sent).toBeGreaterThan(0);
    expect(drop!.delivered).toBe(0);
    // A delivered message carries its receipt time, and its timeline says so.
    const delivered = (
      await all<{ id: string; status: string; deliveredAt: string | null; profileId: string }>(`/v1/messages?sourceKind=broadcast&sourceId=${coupon!.id}`)
    ).find((m) => m.status === 'delivered');
    expect(delivered?.deliveredAt).toBe(new Date(NOW).toISOString());
  });
});

describeEngines('the demo brand without the stand-ins', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: NOW });
  });
  afterAll(async () => t?.close());
  const api = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${t.secretKey}` },
      ...(body !== undefined && { payload: body as object }),
    });
    return { status: res.statusCode, body: res.json() };
  };

  it('refuses a scale outside 1 to 200,000', async () => {
    const res = await api('POST', '/v1/demo', { customers: 0 });
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('loads the rest and says what it left out', async () => {
    const res = await api('POST', '/v1/demo', { customers: 40, seed: 7 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ profiles: 40, wecom: null, sends: [] });
    expect(res.body.notes[0]).toMatch(/no WeCom sandbox/);
    expect((await api('GET', '/v1/wecom/connection')).status).toBe(404);
  });
});
