import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { until } from '../../test/support/e2e.js';
import { createDemoSandboxes } from '../../wecom-sandbox/demo.js';
import { verifyBalances } from '../loyalty/index.js';
import type { Engine } from '../platform/db/database.js';
import { privacyDeps } from '../server/deps.js';
import { carryOutErasure } from './privacy.erase.js';
import { readZip } from './test-helpers.js';

const NOW = Date.parse('2026-12-07T02:00:00Z');

/** Every table of the test's database (SQLite's catalogue, or the schema's on PostgreSQL). */
async function allTables(t: TestApp, engine: Engine): Promise<string[]> {
  const q =
    engine === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  return (await q.execute(t.database.db)).rows.map((r) => r.name);
}

/** Where each needle appears in clear: table -> needle -> rows. */
async function scan(t: TestApp, engine: Engine, needles: string[]): Promise<Record<string, Record<string, number>>> {
  const hits: Record<string, Record<string, number>> = {};
  for (const table of await allTables(t, engine)) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.database.db)).rows;
    for (const r of rows) {
      const text = JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      for (const n of needles) if (text.includes(n)) (hits[table] ??= {})[n] = (hits[table]?.[n] ?? 0) + 1;
    }
  }
  return hits;
}

describeEngines('erasure of a person from every module (data-subject request), with tombstones', (engine) => {
  let t: TestApp;
  let profileId: string;
  let userId: string;
  let externalUserid: string;
  let other: { profileId: string; externalUserid: string };
  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await t.app.inject({ method, url, headers: auth(), ...(payload !== undefined ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res;
  };
  const tracking = async (path: string, payload: object) => {
    const res = await t.app.inject({ method: 'POST', url: path, headers: { authorization: basic(t.writeKey) }, payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
    await t.services.writer.drain();
  };
  const exportOf = async (subject: string) => {
    const created = (await call('POST', '/v1/privacy/requests', { kind: 'export', subject })).json();
    const files = readZip((await call('GET', `/v1/privacy/requests/${created.id}/archive`)).rawPayload);
    return JSON.parse(files.get('person.json')!.toString('utf8')) as { profileIds: string[]; modules: Record<string, Record<string, unknown[]>> };
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: NOW, demoSandboxes: createDemoSandboxes });
    // The export test's person: the demo brand (tracking, orders, WeCom contacts and groups, segments,
    // messages, membership), plus an anonymous visit merged on sign-in, an email, a consent, points, a
    // coupon and a message, all through the API.
    await call('POST', '/v1/demo', { customers: 40, seed: 7 });
    const contacts = (await call('GET', '/v1/wecom/contacts?limit=2')).json().data as { externalUserid: string; profileId: string }[];
    externalUserid = contacts[0]!.externalUserid;
    other = { profileId: contacts[1]!.profileId, externalUserid: contacts[1]!.externalUserid };
    const ids = (await call('GET', `/v1/profiles/${contacts[0]!.profileId}`)).json().identifiers as { type: string; value: string }[];
    userId = ids.find((i) => i.type === 'user_id')!.value;
    await tracking('/v1/track', { anonymousId: 'anon-dsr-1', event: 'Product Viewed', properties: { sku: 'latte' } });
    await tracking('/v1/identify', {
      userId,
      anonymousId: 'anon-dsr-1',
      traits: { email: 'xiaoyu.dsr@example.com', nickname: '小雨·抹去测试', address: '上海市长宁区抹去路 19 号' },
    });
    profileId = (await call('GET', `/v1/profiles/${encodeURIComponent(`user_id:${userId}`)}`)).json().id;
    await call('POST', `/v1/profiles/${profileId}/consent`, { purpose: 'marketing', channel: 'sms', granted: true, source: 'form' });
    await call('POST', '/v1/loyalty/points/earn', { profile: profileId, points: 120, reason: '抹去测试', idempotencyKey: 'dsr-earn-1' });
    await call('POST', '/v1/loyalty/coupon-templates', { key: 'dsr-5', name: '五元券', kind: 'fixed', amountFen: 500, validity: { days: 30 } });
    await call('POST', '/v1/loyalty/coupons/issue', { template: 'dsr-5', profile: profileId, idempotencyKey: 'dsr-coupon-1' });
    await call('POST', '/v1/messages', {
      channel: 'sms',
      profileId,
      content: { templateCode: 'SMS_0001', signName: '思屿', params: { name: '小雨' } },
      idempotencyKey: 'dsr-msg-1',
    });
  }, 240_000);
  afterAll(async () => {
    await t?.close();
  });

  it('removes the person from every table (no identifier nor trait in clear), keeps the totals, leaves others untouched; a repeat is refused', async () => {
    const person = await exportOf(profileId);
    const identifiers = (person.modules.cdp!.identifiers as { type: string; value: string }[]).map((i) => i.value);
    expect(identifiers).toEqual(expect.arrayContaining([userId, externalUserid, 'anon-dsr-1', 'xiaoyu.dsr@example.com']));
    const phone = identifiers.find((v) => v.startsWith('+86'))!;
    const unionid = (person.modules.cdp!.identifiers as { type: string; value: string }[]).find((i) => i.type === 'unionid')!.value;
    expect(phone && unionid).toBeTruthy();
    // Trait values that only this person holds (shared ones such as a city name are no evidence), but
    // not their home store: its name is the brand's (a tag, a group, a live code are named after it).
    const others = (
      await sql<{ traits: unknown }>`select traits from profiles where workspace_id = ${t.workspaceId} and id not in (${sql.join(person.profileIds)})`.execute(
        t.database.db,
      )
    ).rows
      .map((r) => (typeof r.traits === 'string' ? r.traits : JSON.stringify(r.traits)))
      .join('\n');
    const traits = (person.modules.cdp!.profiles as { traits: Record<string, unknown> }[])
      .flatMap((p) => Object.entries(p.traits ?? {}).filter(([k]) => !k.startsWith('home_store')))
      .map(([, v]) => v)
      .filter((v): v is string => typeof v === 'string' && v.length >= 2 && !others.includes(v));
    expect(traits).toEqual(expect.arrayContaining(['小雨·抹去测试', '上海市长宁区抹去路 19 号']));
    const needles = [...new Set([...identifiers, phone.slice(3), unionid, ...traits])];
    // The scan itself finds them before (so that finding none after means something).
    const before = await scan(t, engine, needles);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['identities', 'events', 'scrm_contacts', 'profiles']));

    const otherBefore = await exportOf(other.profileId);
    const revenue = async () =>
      Number(
        (await sql<{ n: number }>`select coalesce(sum(total_fen), 0) as n from orders where workspace_id = ${t.workspaceId}`.execute(t.database.db)).rows[0]!.n,
      );
    const revenueBefore = await revenue();
    const erasure = (await call('POST', '/v1/privacy/requests', { kind: 'erasure', subject: `phone:${phone}` })).json();
    const done = (await call('POST', `/v1/privacy/requests/${erasure.id}/carry-out`)).json();
    expect(done).toMatchObject({ status: 'completed', completion: { erased: { profiles: person.profileIds.length } } });
    const rows = done.completion.erased.rows;
    // (PostgreSQL's jsonb keeps keys in an order of its own.)
    expect(Object.keys(rows).sort()).toEqual(['cdp', 'insight', 'loyalty', 'messaging', 'scrm', 'segments']);
    expect(rows.cdp).toMatchObject({ identifiers: identifiers.length, profiles: person.profileIds.length });
    expect(rows.cdp.events).toBeGreaterThan(0);
    expect(rows.messaging).toMatchObject({ consents: 1 });
    expect(rows.scrm.wecom_contacts).toBe(1);
    expect(rows.loyalty.points_ledger).toBeGreaterThan(0);
    expect(done.subject).toMatch(/^hash:/);
    expect(JSON.stringify(done)).not.toContain(phone);

    const after = await scan(t, engine, needles);
    expect(after).toEqual({});
    // Totals kept: revenue, and every points account still equals its ledger.
    expect(await revenue()).toBe(revenueBefore);
    expect((await verifyBalances(t.database.db, { workspaceId: t.workspaceId })).mismatches).toEqual([]);
    // Nobody is known by the person's identifiers any more; another person is exactly as before.
    const gone = await t.app.inject({ method: 'GET', url: `/v1/profiles/${encodeURIComponent(`user_id:${userId}`)}`, headers: auth() });
    expect(gone.statusCode).toBe(404);
    const otherAfter = await exportOf(other.profileId);
    expect(otherAfter.modules).toEqual(otherBefore.modules);
    // A closed request is not carried out again.
    const again = await t.app.inject({ method: 'POST', url: `/v1/privacy/requests/${erasure.id}/carry-out`, headers: auth() });
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'PRIVACY_REQUEST_STATE']);
  }, 120_000);

  it('refuses to link an erased identifier again (tracking drops the event) until consent is given anew for it', async () => {
    const events = async () =>
      Number((await sql<{ n: number }>`select count(*) as n from events where workspace_id = ${t.workspaceId}`.execute(t.database.db)).rows[0]!.n);
    const n0 = await events();
    await tracking('/v1/identify', { userId, traits: { nickname: 'back again' } });
    await tracking('/v1/track', { anonymousId: 'anon-dsr-1', event: 'Product Viewed', properties: { sku: 'mocha' } });
    await tracking('/v1/track', { anonymousId: 'anon-dsr-fresh', event: 'Product Viewed', properties: { sku: 'mocha' } });
    expect(await events()).toBe(n0 + 1);
    const lookup = (ref: string) => t.app.inject({ method: 'GET', url: `/v1/profiles/${encodeURIComponent(ref)}`, headers: auth() });
    expect((await lookup(`user_id:${userId}`)).statusCode).toBe(404);
    // A CSV import naming the erased email does not bring it back either.
    const imported = await t.app.inject({
      method: 'POST',
      url: '/v1/imports?kind=profiles',
      headers: { ...auth(), 'content-type': 'text/csv' },
      payload: 'email,name\nxiaoyu.dsr@example.com,小雨\nsomeone.new@example.com,新客\n',
    });
    expect(imported.statusCode, imported.body).toBe(200);
    await t.services.writer.drain();
    expect((await lookup('email:xiaoyu.dsr@example.com')).statusCode).toBe(404);
    expect((await lookup('email:someone.new@example.com')).statusCode).toBe(200);
    // A consent withdrawn is no consent given: the tombstone stays.
    const withdrawn = await t.app.inject({
      method: 'POST',
      url: `/v1/profiles/${encodeURIComponent(`user_id:${userId}`)}/consent`,
      headers: auth(),
      payload: { purpose: 'marketing', channel: 'sms', granted: false, source: 'form' },
    });
    expect([withdrawn.statusCode, withdrawn.json().error.code]).toEqual([404, 'PROFILE_NOT_FOUND']);
    // Consent given anew for the identifier lifts its tombstone: a new profile holds it, with the consent.
    const given = await call('POST', `/v1/profiles/${encodeURIComponent(`user_id:${userId}`)}/consent`, {
      purpose: 'marketing',
      channel: 'sms',
      granted: true,
      source: 'store_form',
    });
    expect(given.statusCode).toBe(201);
    const back = (await lookup(`user_id:${userId}`)).json();
    expect(back.id).not.toBe(profileId);
    expect(back.traits).toEqual({});
    await tracking('/v1/identify', { userId, traits: { nickname: 'back again' } });
    expect((await lookup(`user_id:${userId}`)).json().traits).toMatchObject({ nickname: 'back again' });
    // The other identifiers stay tombstoned.
    await tracking('/v1/track', { anonymousId: 'anon-dsr-1', event: 'Product Viewed', properties: { sku: 'tea' } });
    expect((await lookup('anonymous_id:anon-dsr-1')).statusCode).toBe(404);
  });

  it('resumes an erasure that failed halfway, and each module’s step finds nothing left when run again', async () => {
    const deps = privacyDeps(t.services);
    const failing = { ...deps, sources: deps.sources.map((s) => (s.module === 'segments' ? { ...s, erase: () => Promise.reject(new Error('crash')) } : s)) };
    const erasure = (await call('POST', '/v1/privacy/requests', { kind: 'erasure', subject: other.profileId })).json();
    await expect(carryOutErasure(failing, t.workspaceId, erasure.id)).rejects.toThrow('crash');
    const half = (await call('GET', `/v1/privacy/requests/${erasure.id}`)).json();
    expect(half.status).toBe('in_progress');
    expect(Object.keys(half.completion.erasing.rows).sort()).toEqual(['messaging', 'scrm']);
    const ids = half.completion.erasing.profileIds as string[];
    const done = (await call('POST', `/v1/privacy/requests/${erasure.id}/carry-out`)).json();
    expect(done.status).toBe('completed');
    expect(done.completion.erased.rows.scrm).toEqual(half.completion.erasing.rows.scrm);
    expect(Object.keys(done.completion.erased.rows).sort()).toEqual(['cdp', 'insight', 'loyalty', 'messaging', 'scrm', 'segments']);
    expect(JSON.stringify(done)).not.toContain('ers_');
    for (const s of deps.sources) {
      const again = await s.erase(t.workspaceId, { profileIds: ids, detachedId: 'ers_again', at: NOW });
      expect(
        Object.values(again).every((n) => n === 0),
        `${s.module}: ${JSON.stringify(again)}`,
      ).toBe(true);
    }
    const scanned = await scan(t, engine, [other.externalUserid]);
    expect(scanned).toEqual({});
    expect((await verifyBalances(t.database.db, { workspaceId: t.workspaceId })).mismatches).toEqual([]);
  }, 120_000);

  it('a WeCom full sync brings none of the erased customers back (WeCom still lists them as contacts)', async () => {
    const started = await t.app.inject({ method: 'POST', url: '/v1/wecom/sync', headers: auth() });
    expect(started.statusCode, started.body).toBe(202);
    await until(
      async () => (await call('GET', '/v1/wecom/sync')).json() as { running: boolean; last: { outcome: string } | null },
      (s) => !s.running && s.last !== null,
      'the sync to end',
      60_000,
    );
    expect((await call('GET', '/v1/wecom/sync')).json().last.outcome).toBe('completed');
    expect(await scan(t, engine, [externalUserid, other.externalUserid])).toEqual({});
    // The sync did run: another customer is there.
    expect((await call('GET', '/v1/wecom/contacts?limit=5')).json().data.length).toBeGreaterThan(0);
  }, 120_000);
});
