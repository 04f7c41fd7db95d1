import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { maskDeep } from '../access/masking.js';
import { recomputeSegment } from './recompute.js';

describeEngines('segment members with names and identifiers', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  type Ws = { workspaceId: string; writeKey: string; secretKey: string };
  const ok = async (ws: Ws, method: 'GET' | 'POST', url: string, payload?: object, status = 200) => {
    const res = await t.app.inject({ method, url, headers: { authorization: 'Bearer ' + ws.secretKey }, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  const batch = async (ws: Ws, items: object[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch: items } });
    expect(res.statusCode, res.body).toBe(200);
    await t.services.writer.drain();
  };

  it('answers each member with the name trait and the identifiers its profile page shows, page by page', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [
      { type: 'identify', userId: 'u-li', traits: { name: '李雷', phone: '13800138000', email: 'li.lei@example.com', plan: 'vip' } },
      { type: 'identify', userId: 'u-han', traits: { nickname: 'Meimei', member_id: 'M-2', plan: 'vip' } },
      { type: 'identify', userId: 'u-anon', traits: { plan: 'vip' } },
      { type: 'identify', userId: 'u-free', traits: { name: 'Not a member', plan: 'free' } },
    ]);
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'VIP', rule: { type: 'trait', key: 'plan', op: 'eq', value: 'vip' } }, 201);
    await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, { lagMs: 0 });

    const rows: { profileId: string; name: string | null; identifiers: { type: string; value: string }[] }[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: typeof rows; nextCursor: string | null } = await ok(
        ws,
        'GET',
        `/v1/segments/${seg.id}/members?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      rows.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      // The same identifiers as the profile's own answer, in its order.
      const profile = await ok(ws, 'GET', `/v1/profiles/${row.profileId}`);
      expect(row.identifiers).toEqual(profile.identifiers.map((i: { type: string; value: string }) => ({ type: i.type, value: i.value })));
    }
    const byUser = new Map(rows.map((r) => [r.identifiers.find((i) => i.type === 'user_id')?.value, r]));
    expect(byUser.get('u-li')).toMatchObject({ name: '李雷' });
    expect(
      byUser
        .get('u-li')!
        .identifiers.map((i) => i.type)
        .sort(),
    ).toEqual(['email', 'phone', 'user_id']);
    expect(byUser.get('u-li')!.identifiers.find((i) => i.type === 'phone')!.value).toContain('13800138000');
    expect(byUser.get('u-li')!.identifiers.find((i) => i.type === 'email')!.value).toBe('li.lei@example.com');
    expect(byUser.get('u-han')).toMatchObject({ name: 'Meimei' });
    expect(byUser.get('u-han')!.identifiers.find((i) => i.type === 'member_id')!.value).toBe('M-2');
    expect(byUser.get('u-anon')).toMatchObject({ name: null });
    expect(byUser.has('u-free')).toBe(false);
    // What a guide would be shown: the console's masking hides the phone and email of a member row.
    const masked = maskDeep(byUser.get('u-li')) as { identifiers: { type: string; value: string }[] };
    expect(masked.identifiers.find((i) => i.type === 'phone')!.value).not.toContain('13800138000');
    expect(masked.identifiers.find((i) => i.type === 'user_id')!.value).toBe('u-li');
  });
});
