import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { createUser } from '../access/users.service.js';
import { KEY_USE_WRITE_EVERY_MS } from './key-usage.js';
import { createKeyResolver, listKeys, revokeKey, updateWorkspaceSettings } from './workspaces.js';

const PASSWORD = 'correct horse battery';

describeEngines('workspace name and time zone, and API keys last used', (engine) => {
  let t: TestApp;
  const session = new Map<string, { cookie: string; csrf: string }>();
  beforeAll(async () => {
    t = await createTestApp(engine);
    for (const role of ['owner', 'operator', 'analyst'] as const) {
      await createUser(t.services.access, { workspaceId: t.workspaceId, email: `${role}@brand.example`, password: PASSWORD, role });
      const res = await t.app.inject({ method: 'POST', url: '/v1/console/login', payload: { email: `${role}@brand.example`, password: PASSWORD } });
      session.set(role, { cookie: String(res.headers['set-cookie']).split(';')[0]!, csrf: res.json().csrfToken });
    }
  });
  afterAll(async () => t?.close());

  const as = (role: string, method: 'GET' | 'PATCH', url: string, payload?: unknown) => {
    const b = session.get(role)!;
    return t.app.inject({
      method,
      url,
      headers: { cookie: b.cookie, 'x-csrf-token': b.csrf },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  };
  const keys = async (ws = t.workspaceId) => (await listKeys(t.database.db, ws, 50)).data;
  const keyOf = async (kind: 'write' | 'secret') => (await keys()).find((k) => k.kind === kind)!;

  it("shows the server's default zone until the owner sets one, which takes effect at once and keeps the other settings", async () => {
    await updateWorkspaceSettings(t.database.db, t.workspaceId, { currency: 'HKD' });
    const before = await as('analyst', 'GET', '/v1/workspace');
    expect(before.json()).toMatchObject({ name: 'Test', timeZone: 'Asia/Shanghai', timeZoneIsDefault: true });
    expect(await t.services.timeZoneOf(t.workspaceId)).toBe('Asia/Shanghai'); // now cached by the ingest settings
    const res = await as('owner', 'PATCH', '/v1/workspace', { name: '  Tea House  ', timezone: 'europe/berlin' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Tea House', timeZone: 'Europe/Berlin', timeZoneIsDefault: false });
    expect(res.json().settings).toMatchObject({ currency: 'HKD', timezone: 'Europe/Berlin' });
    expect(await t.services.timeZoneOf(t.workspaceId)).toBe('Europe/Berlin');
    const seen = await as('operator', 'GET', '/v1/console/session');
    expect(seen.json().workspaces[0].name).toBe('Tea House');
  });

  it('refuses an unknown zone, an empty name and an empty change, naming what is wrong', async () => {
    const zone = await as('owner', 'PATCH', '/v1/workspace', { timezone: 'Mars/Olympus_Mons' });
    expect(zone.statusCode).toBe(400);
    expect(zone.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'timezone' } });
    expect(zone.json().error.message).toContain('"Mars/Olympus_Mons" is not an IANA time zone');
    const offset = await as('owner', 'PATCH', '/v1/workspace', { timezone: '+08:00' });
    expect(offset.statusCode).toBe(400);
    const blank = await as('owner', 'PATCH', '/v1/workspace', { name: '   ' });
    expect(blank.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'name' } });
    expect((await as('owner', 'PATCH', '/v1/workspace', {})).statusCode).toBe(400);
    const now = await as('owner', 'GET', '/v1/workspace');
    expect(now.json()).toMatchObject({ name: 'Tea House', timeZone: 'Europe/Berlin' });
  });

  it("keeps the owner's list of public holidays, which the deadline of a privacy request then skips", async () => {
    // Received on Sunday 2026-11-01 (the test clock) in Shanghai: 15 working days from Monday end on
    // Friday 2026-11-20, or three working days later with three holidays on weekdays between.
    const zone = await as('owner', 'PATCH', '/v1/workspace', { timezone: 'Asia/Shanghai' });
    expect(zone.statusCode, zone.body).toBe(200);
    const due = async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/privacy/requests',
        headers: { authorization: `Bearer ${t.secretKey}` },
        payload: { kind: 'export', subject: 'email:nobody@example.com' },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().dueDate as string;
    };
    expect(await due()).toBe('2026-11-20');
    const listed = ['2026-11-12', '2026-11-05', '2026-11-06', '2026-11-05'];
    const res = await as('owner', 'PATCH', '/v1/workspace', { holidays: listed });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().settings.holidays).toEqual(['2026-11-05', '2026-11-06', '2026-11-12']);
    expect(res.json()).toMatchObject({ timeZone: 'Asia/Shanghai' });
    expect(await due()).toBe('2026-11-25');

    const bad = await as('owner', 'PATCH', '/v1/workspace', { holidays: ['2027-10-01', '2027-02-30'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'holidays[1]' } });
    expect(bad.json().error.message).toBe('holidays[1]: "2027-02-30" is not a date (YYYY-MM-DD, e.g. 2027-10-01)');
    expect((await as('owner', 'PATCH', '/v1/workspace', { holidays: ['1 Oct'] })).statusCode).toBe(400);
    expect((await as('operator', 'PATCH', '/v1/workspace', { holidays: [] })).statusCode).toBe(403);
    expect((await as('analyst', 'GET', '/v1/workspace')).json().settings.holidays).toHaveLength(3);
    const cleared = await as('owner', 'PATCH', '/v1/workspace', { holidays: [] });
    expect(cleared.json().settings.holidays).toEqual([]);
    expect(await due()).toBe('2026-11-20');
    await as('owner', 'PATCH', '/v1/workspace', { timezone: 'Europe/Berlin' });
  });

  it('lets only the owner change it; every role reads it', async () => {
    for (const role of ['operator', 'analyst']) {
      const res = await as(role, 'PATCH', '/v1/workspace', { timezone: 'UTC' });
      expect(res.statusCode, role).toBe(403);
      expect(res.json().error.message).toContain('needs the owner role');
      expect((await as(role, 'GET', '/v1/workspace')).json().timeZone).toBe('Europe/Berlin');
    }
    const byKey = await t.app.inject({
      method: 'PATCH',
      url: '/v1/workspace',
      headers: { authorization: `Bearer ${t.secretKey}` },
      payload: { timezone: 'UTC' },
    });
    expect(byKey.json()).toMatchObject({ timeZone: 'UTC', timeZoneIsDefault: false });
  });

  it("records a key's last use when it authenticates a request, at most once a minute", async () => {
    const other = await t.newWorkspace('Other');
    const start = t.clock.now();
    expect((await keyOf('write')).lastUsedAt).toBeNull();
    const bearer = { authorization: `Bearer ${t.secretKey}` };
    expect((await t.app.inject({ method: 'GET', url: '/v1/segments', headers: bearer })).statusCode).toBe(200);
    expect((await keyOf('secret')).lastUsedAt).toBe(new Date(start).toISOString());
    // Within the minute: no new write.
    t.clock.advance(KEY_USE_WRITE_EVERY_MS - 1_000);
    await t.app.inject({ method: 'GET', url: '/v1/segments', headers: bearer });
    expect((await keyOf('secret')).lastUsedAt).toBe(new Date(start).toISOString());
    // Past it: the next use is written.
    t.clock.advance(2_000);
    await t.app.inject({ method: 'GET', url: '/v1/segments', headers: bearer });
    expect((await keyOf('secret')).lastUsedAt).toBe(new Date(start + KEY_USE_WRITE_EVERY_MS + 1_000).toISOString());
    // Write keys, on tracking calls.
    const track = await t.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: basic(t.writeKey) },
      payload: { userId: 'u-1', event: 'Opened App', messageId: 'm-1' },
    });
    expect(track.statusCode, track.body).toBe(200);
    expect((await keyOf('write')).lastUsedAt).toBe(new Date(t.clock.now()).toISOString());
    // Another workspace's keys are untouched; a console session is not a key and records none.
    expect((await keys(other.workspaceId)).every((k) => k.lastUsedAt === null)).toBe(true);
    const before = (await keys()).map((k) => k.lastUsedAt);
    t.clock.advance(KEY_USE_WRITE_EVERY_MS * 5);
    await as('owner', 'GET', '/v1/segments');
    expect((await keys()).map((k) => k.lastUsedAt)).toEqual(before);
    // The API and the console list it.
    const listed = await as('owner', 'GET', '/v1/keys');
    expect(listed.json().data.find((k: { kind: string }) => k.kind === 'secret').lastUsedAt).toBe((await keyOf('secret')).lastUsedAt);
  });

  it('writes once per minute across processes too: a second process does not rewrite a use recorded within the minute', async () => {
    const at = t.clock.now();
    const bearer = { authorization: `Bearer ${t.secretKey}` };
    t.clock.advance(KEY_USE_WRITE_EVERY_MS * 2);
    await t.app.inject({ method: 'GET', url: '/v1/segments', headers: bearer });
    const recorded = (await keyOf('secret')).lastUsedAt;
    expect(recorded).toBe(new Date(at + KEY_USE_WRITE_EVERY_MS * 2).toISOString());
    // Another process (its own resolver and memory) 30 s later: its UPDATE matches no row.
    const other = createKeyResolver(t.database.db, { now: () => t.clock.now() + 30_000 });
    expect(await other.resolve(t.secretKey, 'secret')).toBe(t.workspaceId);
    expect((await keyOf('secret')).lastUsedAt).toBe(recorded);
    // A revoked key is refused and records nothing.
    const rev = await t.newWorkspace('Revoked');
    for (const k of await keys(rev.workspaceId)) await revokeKey(t.database.db, rev.workspaceId, k.id, at);
    expect(await other.resolve(rev.secretKey, 'secret')).toBeUndefined();
    expect((await keys(rev.workspaceId)).every((k) => k.lastUsedAt === null)).toBe(true);
  });
});
