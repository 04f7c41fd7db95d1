import { type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import type { CdpHubEvents } from './hub-events.js';
import {
  addTagsToProfile,
  countEventsWithMessageIdPrefix,
  filterProfileIds,
  findProfileByIdentifier,
  latestIdentifier,
  liveProfileByIdentifier,
  liveProfileIds,
  liveProfilesQuery,
  loadLiveProfileState,
  loadProfileConsent,
  loadProfileState,
  mergedIdsOf,
  pageLiveProfilesByTrait,
  profileEventsSince,
  profileHasEvent,
  profilesByIdentifier,
  profileTagNames,
  profileTraits,
  recordProfileConsent,
  resolveProfileId,
  trackEventsAfter,
} from './index.js';

/** The functions the CDP publishes for other modules' reads (and the one consent write), on both engines. */
describeEngines('cdp published functions', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const T0 = Date.parse('2026-10-01T00:00:00Z');
  const at = (min: number) => T0 + min * 60_000;
  type Ws = { workspaceId: string; writeKey: string; secretKey: string };
  const batch = async (ws: Ws, items: object[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch: items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const iso = (min: number) => new Date(at(min)).toISOString();

  /**
   * Ann (user a, phone, an order) and Bob (user b), then an anonymous visitor who turns out to be
   * Bob: the two profiles merge, one redirecting to the other.
   */
  async function world() {
    const ws = await t.newWorkspace();
    const db = t.database.db;
    await batch(ws, [
      { type: 'identify', userId: 'a', messageId: 'm-a1', timestamp: iso(0), traits: { name: 'Ann', birthday: '1990-11-01', phone: '13800138000' } },
      { type: 'track', userId: 'a', event: 'Viewed', messageId: 'm-a2', timestamp: iso(10), properties: { sku: 'x' } },
      { type: 'track', userId: 'a', event: 'Order Completed', messageId: 'm-a3', timestamp: iso(20), properties: { order_id: 'o1', total: 9.9 } },
      { type: 'identify', userId: 'b', messageId: 'm-b1', timestamp: iso(5), traits: { name: 'Bob', birthday: '1985-03-02' } },
      { type: 'track', userId: 'b', event: 'Viewed', messageId: 'm-b2', timestamp: iso(10), properties: { sku: 'y' } },
      { type: 'track', anonymousId: 'anon-m', event: 'Viewed', messageId: 'sync-1:x', timestamp: iso(30) },
    ]);
    const a = (await findProfileByIdentifier(db, ws.workspaceId, 'user_id', 'a'))!;
    const b = (await findProfileByIdentifier(db, ws.workspaceId, 'user_id', 'b'))!;
    const m = (await findProfileByIdentifier(db, ws.workspaceId, 'anonymous_id', 'anon-m'))!;
    expect(new Set([a, b, m]).size).toBe(3);
    await batch(ws, [{ type: 'identify', userId: 'b', anonymousId: 'anon-m', messageId: 'sync-1:y', timestamp: iso(40) }]);
    const survivor = (await resolveProfileId(db, ws.workspaceId, b))!;
    const merged = survivor === b ? m : b;
    return { ws, w: ws.workspaceId, db, a, survivor, merged };
  }

  it('follows merges: live ids, merged ids, live profile by identifier', async () => {
    const { w, db, a, survivor, merged } = await world();
    expect(await resolveProfileId(db, w, merged)).toBe(survivor);
    expect(await resolveProfileId(db, w, 'prf_nope')).toBeUndefined();
    expect(await liveProfileIds(db, w, [a, merged, survivor, 'prf_nope'])).toEqual(
      new Map([
        [a, a],
        [merged, survivor],
        [survivor, survivor],
      ]),
    );
    expect(await liveProfileIds(db, w, [])).toEqual(new Map());
    expect(await mergedIdsOf(db, w, survivor)).toEqual([merged]);
    expect(await liveProfileByIdentifier(db, w, 'anonymous_id', 'anon-m')).toBe(survivor);
    expect(await liveProfileByIdentifier(db, w, 'anonymous_id', 'nobody')).toBeUndefined();
  });

  it('reads profile states, traits, pages by trait, filters by a SQL condition and joins live profiles', async () => {
    const { w, db, a, survivor, merged } = await world();
    const ann = (await loadProfileState(db, w, a))!;
    expect(ann).toMatchObject({ id: a, traits: { name: 'Ann', birthday: '1990-11-01' }, orderCount: 1, totalSpentFen: 990, lastPurchaseAt: at(20) });
    expect(await loadProfileState(db, w, merged)).toMatchObject({ id: merged });
    expect((await loadLiveProfileState(db, w, merged))!).toMatchObject({ id: survivor, traits: { name: 'Bob' } });
    expect(await loadLiveProfileState(db, w, 'prf_nope')).toBeUndefined();
    const traits = await profileTraits(db, w, [a, survivor, 'prf_nope']);
    expect([...traits.keys()].sort()).toEqual([a, survivor].sort());
    expect(traits.get(a)).toMatchObject({ name: 'Ann' });

    const anniversary = (v: RawBuilder<string | null>) => sql`substr(${v}, 6, 5) in (${sql.join(['11-01', '03-02'])})`;
    const all = await pageLiveProfilesByTrait(db, t.database.dialect, w, { trait: 'birthday', after: '', limit: 10, where: anniversary });
    expect(all).toEqual(
      [
        { id: a, value: '1990-11-01' },
        { id: survivor, value: '1985-03-02' },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    const first = await pageLiveProfilesByTrait(db, t.database.dialect, w, { trait: 'birthday', after: '', limit: 1, where: anniversary });
    const next = await pageLiveProfilesByTrait(db, t.database.dialect, w, { trait: 'birthday', after: first[0]!.id, limit: 1, where: anniversary });
    expect([...first, ...next]).toEqual(all);

    expect(await filterProfileIds(db, w, [a, survivor], sql`p.order_count > 0`)).toEqual([a]);
    expect((await filterProfileIds(db, w, [a, survivor], sql`p.merged_into is null`)).sort()).toEqual([a, survivor].sort());

    const live = await db
      .selectFrom('profiles as x')
      .innerJoin(liveProfilesQuery(db, w).as('p'), 'p.id', 'x.id')
      .select('x.id')
      .where('x.workspace_id', '=', w)
      .orderBy('x.id')
      .execute();
    expect(live.map((r) => r.id)).toEqual([a, survivor].sort());
  });

  it('reads and records consent: the newer entry wins, updated_at moves only on a write', async () => {
    const { w, db, survivor, merged } = await world();
    expect(await loadProfileConsent(db, w, merged)).toEqual({ profileId: survivor, consent: {} });
    expect(await loadProfileConsent(db, w, 'prf_nope')).toBeUndefined();
    const updatedAt = async () =>
      (await db.selectFrom('profiles').select('updated_at').where('workspace_id', '=', w).where('id', '=', survivor).executeTakeFirstOrThrow()).updated_at;
    expect(await recordProfileConsent(db, w, survivor, 'marketing:sms', { granted: true, at: 1000 }, 5000)).toBe(true);
    expect(await updatedAt()).toBe(5000);
    expect(await recordProfileConsent(db, w, survivor, 'marketing:sms', { granted: false, at: 999 }, 6000)).toBe(false);
    expect(await updatedAt()).toBe(5000);
    expect((await loadProfileConsent(db, w, survivor))!.consent).toEqual({ 'marketing:sms': { granted: true, at: 1000 } });
    // An entry at the same time replaces the stored one.
    expect(await recordProfileConsent(db, w, survivor, 'marketing:sms', { granted: false, at: 1000 }, 7000)).toBe(true);
    await db.transaction().execute((trx) => recordProfileConsent(trx, w, survivor, 'service:email', { granted: true, at: 2000 }, 8000));
    expect((await loadProfileConsent(db, w, merged))!.consent).toEqual({
      'marketing:sms': { granted: false, at: 1000 },
      'service:email': { granted: true, at: 2000 },
    });
    expect(await updatedAt()).toBe(8000);
  });

  it('finds identifiers: owners by key (one, any of several, many) and the latest of a type', async () => {
    const { w, db, a, survivor, merged } = await world();
    expect(await findProfileByIdentifier(db, w, 'user_id', 'a')).toBe(a);
    expect(await findProfileByIdentifier(db, w, 'user_id', ['nobody', 'a'])).toBe(a);
    expect(await findProfileByIdentifier(db, w, 'user_id', 'nobody')).toBeUndefined();
    expect(await profilesByIdentifier(db, w, 'user_id', ['a', 'b', 'zz'])).toEqual(
      new Map([
        ['a', a],
        ['b', survivor],
      ]),
    );
    const phone = (await latestIdentifier(db, w, [a], 'phone'))!;
    expect(phone.type).toBe('phone');
    expect(phone.key).toBe((await t.services.cipher.forWorkspace(w)).lookupKey('phone', '+8613800138000'));
    expect((await t.services.cipher.forWorkspace(w)).decrypt(phone.valueEnc!)).toBe('+8613800138000');
    expect(await latestIdentifier(db, w, [survivor, merged], 'anonymous_id')).toEqual({ type: 'anonymous_id', key: 'anon-m', valueEnc: null });
    expect(await latestIdentifier(db, w, [survivor, merged], { like: 'user%' })).toEqual({ type: 'user_id', key: 'b', valueEnc: null });
    expect(await latestIdentifier(db, w, [a], 'email')).toBeUndefined();
  });

  it('reads events: track pages after a position, a profile since a time, existence as SQL, counts by message-id prefix', async () => {
    const { w, db, a, survivor } = await world();
    const viewed = await trackEventsAfter(db, w, 'Viewed', { timestamp: 0, messageId: '' }, 10);
    expect(viewed.map((e) => e.messageId)).toEqual(['m-a2', 'm-b2', 'sync-1:x']);
    expect(viewed[0]).toMatchObject({ profileId: a, event: 'Viewed', timestamp: at(10), payload: { properties: { sku: 'x' } } });
    expect((await trackEventsAfter(db, w, 'Viewed', { timestamp: at(10), messageId: 'm-a2' }, 1)).map((e) => e.messageId)).toEqual(['m-b2']);
    const since = await profileEventsSince(db, w, { profileIds: [a, survivor], events: ['Viewed', 'Order Completed'], since: at(15) });
    expect(since.map((e) => [e.messageId, e.profileId])).toEqual([
      ['m-a3', a],
      ['sync-1:x', survivor],
    ]);

    const received = t.clock.now();
    const having = async (cond: Parameters<typeof profileHasEvent>[0]['event'], more: Partial<Parameters<typeof profileHasEvent>[0]> = {}) =>
      (
        await db
          .selectFrom('profiles as p')
          .select('p.id')
          .where('p.workspace_id', '=', w)
          .where('p.merged_into', 'is', null)
          .where(profileHasEvent({ workspaceId: sql.ref('p.workspace_id'), profileId: sql.ref('p.id'), event: cond, ...more }))
          .orderBy('p.id')
          .execute()
      ).map((r) => r.id);
    expect(await having('Order Completed', { from: at(0), to: at(60) })).toEqual([a]);
    expect(await having('Order Completed', { from: at(0), to: at(20) })).toEqual([]);
    expect(await having('Order Completed', { from: at(21) })).toEqual([]);
    expect(await having((name) => sql`${name} like ${'View%'}`)).toEqual([a, survivor].sort());
    expect(await having('Viewed', { receivedAfter: received - 1 })).toEqual([a, survivor].sort());
    expect(await having('Viewed', { receivedAfter: received })).toEqual([]);
    // As a value in a select list (a conversion count, say).
    const converted = await db
      .selectFrom('profiles as p')
      .select(
        sql<number>`sum(case when ${profileHasEvent({ workspaceId: w, profileId: sql.ref('p.id'), event: 'Order Completed' })} then 1 else 0 end)`.as('n'),
      )
      .where('p.workspace_id', '=', w)
      .executeTakeFirstOrThrow();
    expect(Number(converted.n)).toBe(1);

    expect(await countEventsWithMessageIdPrefix(db, w, 'sync-1:')).toBe(2);
    expect(await countEventsWithMessageIdPrefix(db, w, 'sync_1')).toBe(0);
    expect(await countEventsWithMessageIdPrefix(db, w, 'm-')).toBe(5);
  });

  it("reads a profile's tag names", async () => {
    const { w, db, a, survivor } = await world();
    await addTagsToProfile(db, w, a, [{ group: 'g', name: 'vip' }, { name: 'new' }], 'manual', t.clock.now());
    expect((await profileTagNames(db, w, a)).sort()).toEqual(['new', 'vip']);
    expect(await profileTagNames(db, w, survivor)).toEqual([]);
  });

  it('tells the hub what each commit stored: cdp.events-committed, once per workspace, nothing for duplicates', async () => {
    const ws = await t.newWorkspace();
    const seen: CdpHubEvents['cdp.events-committed'][] = [];
    const off = t.services.hub.on('cdp.events-committed', (e) => void seen.push(e));
    try {
      const msgs = [
        { type: 'track', userId: 'h1', event: 'Viewed', messageId: 'h-1' },
        { type: 'track', userId: 'h2', event: 'Viewed', messageId: 'h-2' },
      ];
      await batch(ws, msgs);
      const mine = seen.filter((e) => e.workspaceId === ws.workspaceId);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.events.map((e) => e.messageId).sort()).toEqual(['h-1', 'h-2']);
      const owners = [
        await findProfileByIdentifier(t.database.db, ws.workspaceId, 'user_id', 'h1'),
        await findProfileByIdentifier(t.database.db, ws.workspaceId, 'user_id', 'h2'),
      ];
      expect([...mine[0]!.profileIds].sort()).toEqual(owners.sort());
      await batch(ws, msgs);
      expect(seen.filter((e) => e.workspaceId === ws.workspaceId)).toHaveLength(1);
    } finally {
      off();
    }
  });
});
