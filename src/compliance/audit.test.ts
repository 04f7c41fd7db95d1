import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

describeEngines('audit log (every management-API action, append-only, searchable, exportable)', (engine) => {
  let t: TestApp;
  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const audit = async (query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/audit${query}`, headers: auth() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { data: Array<Record<string, any>>; nextCursor: string | null };
  };
  const keyId = async () => {
    const keys = await t.app.inject({ method: 'GET', url: '/v1/keys', headers: auth() });
    return (keys.json().data as Array<{ id: string; kind: string }>).find((k) => k.kind === 'secret')!.id;
  };

  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('records a change made with a secret key: the key, the route, the target, and what GET answered before and after', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: { ...auth(), 'user-agent': 'curl/8' }, payload: { name: '思屿咖啡' } });
    expect(res.statusCode, res.body).toBe(200);
    const [entry] = (await audit()).data;
    expect(entry).toMatchObject({
      actor: { kind: 'key', id: await keyId(), role: 'owner' },
      method: 'PATCH',
      route: '/v1/workspace',
      path: '/v1/workspace',
      status: 200,
      userAgent: 'curl/8',
      body: { name: '思屿咖啡' },
    });
    expect(entry!.before.name).toBe('Test');
    expect(entry!.after.name).toBe('思屿咖啡');
  });

  it('keeps no secret and masks phones in what it records; refused attempts are recorded as failed', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/v1/wecom/connection',
      headers: auth(),
      payload: { corpId: 'ww0123456789abcdef', secret: 'the-corp-secret-value', callbackToken: 'tokvalue123', encodingAesKey: 'a'.repeat(43) },
    });
    expect(res.statusCode, res.body).toBe(200);
    // Authenticated, then refused (no such profile): recorded. (A body that fails validation is
    // refused before the key is checked, so nobody can be named for it.)
    const bad = await t.app.inject({ method: 'DELETE', url: '/v1/profiles/phone:+8613800138000/tags/tag_x', headers: auth() });
    expect(bad.statusCode).toBe(404);
    const rows = await sql<{ body: unknown; before: unknown; after: unknown; path: string }>`select body, before, after, path from audit_log`.execute(
      t.database.db,
    );
    const text = JSON.stringify(rows.rows);
    expect(text).not.toContain('the-corp-secret-value');
    expect(text).not.toContain('tokvalue123');
    expect(text).not.toContain('a'.repeat(43));
    const conn = (await audit('?route=/v1/wecom/connection')).data[0]!;
    expect(conn.body).toMatchObject({ corpId: 'ww0123456789abcdef', secret: '[redacted]', callbackToken: '[redacted]', encodingAesKey: '[redacted]' });
    expect(text).not.toContain('13800138000');
    const failed = (await audit('?outcome=failed')).data;
    expect(failed[0]).toMatchObject({ path: '/v1/profiles/phone:+86138****8000/tags/tag_x', target: 'phone:+86138****8000' });
    expect(failed.map((e) => e.route)).toContain('/v1/profiles/:id/tags/:tagId');
    expect(failed.every((e) => e.status >= 400)).toBe(true);
  });

  it('does not record tracking calls with a write key, nor reads', async () => {
    const before = (await audit('?limit=500')).data.length;
    const basic = `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`;
    const track = await t.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic }, payload: { userId: 'u1', event: 'Page Viewed' } });
    expect(track.statusCode, track.body).toBeLessThan(300);
    await t.app.inject({ method: 'GET', url: '/v1/segments', headers: auth() });
    expect((await audit('?limit=500')).data.length).toBe(before);
  });

  it('pages newest first, filters by actor and route, and exports CSV (the export itself recorded)', async () => {
    for (const name of ['a', 'b', 'c']) {
      t.clock.advance(1000);
      await t.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: auth(), payload: { name } });
    }
    const first = await audit('?route=/v1/workspace&limit=2');
    expect(first.data.map((e) => e.after.name)).toEqual(['c', 'b']);
    const second = await audit(`?route=/v1/workspace&limit=2&cursor=${first.nextCursor}`);
    expect(second.data.map((e) => e.after.name)).toEqual(['a', '思屿咖啡']);
    expect(second.nextCursor).toBeNull();
    expect((await audit(`?actor=${await keyId()}&limit=500`)).data.length).toBeGreaterThanOrEqual(5);
    expect((await audit('?actor=usr_nobody')).data).toEqual([]);

    const csv = await t.app.inject({ method: 'GET', url: '/v1/audit/export?route=/v1/workspace', headers: auth() });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('id,at,actor_kind,actor_id,actor_role,ip,method,route,path,target,status,body,before,after');
    expect(lines.length).toBe(5);
    const exports = (await audit('?route=/v1/audit/export')).data;
    expect(exports).toHaveLength(1);
    expect(exports[0]).toMatchObject({ method: 'GET', body: { route: '/v1/workspace' } });
  });

  it('is append-only in the database: UPDATE and DELETE are refused on both engines', async () => {
    await expect(sql`update audit_log set status = 200`.execute(t.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(t.database.db)).rejects.toThrow(/append-only/);
    expect((await audit('?limit=500')).data.length).toBeGreaterThan(0);
  });

  it('keeps workspaces apart', async () => {
    const other = await t.newWorkspace('Other');
    const res = await t.app.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([]);
  });
});
