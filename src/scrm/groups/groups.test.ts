import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { applyScenario } from '../../../wecom-sandbox/scenarios.js';
import { mirrorGroup, startLiveHarness, type LiveHarness } from '../livecodes/test-helpers.js';
import { groupsWithTags } from './groups.service.js';

const DAY = 86_400_000;

describeEngines('customer groups', (engine) => {
  let h: LiveHarness;
  let chats: string[];
  beforeEach(async () => {
    // 2026-11-02 09:00 in Shanghai.
    h = await startLiveHarness(engine, { groups: 5, customers: 50 });
    chats = h.sb.state.groups.groups.map((g) => g.chatId);
    for (const c of chats) await mirrorGroup(h, c);
  });
  afterEach(() => h.close());

  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    h.t.app.inject({ method, url, headers: h.auth, payload: payload as any });

  it('lists groups with owner, member count, status and tags, paged and filtered', async () => {
    const all = (await api('GET', '/v1/wecom/groups')).json();
    expect(all.data.map((g: any) => g.chatId)).toEqual([...chats].sort());
    for (const g of all.data) {
      const sb = h.sb.state.groups.find(g.chatId)!;
      expect(g).toMatchObject({ memberCount: sb.members.length, owner: h.sb.corp.staff[sb.owner]!.userid, status: 'active', tags: [] });
    }
    const p1 = (await api('GET', '/v1/wecom/groups?limit=2')).json();
    const p2 = (await api('GET', `/v1/wecom/groups?limit=2&cursor=${p1.nextCursor}`)).json();
    expect([...p1.data, ...p2.data].map((g: any) => g.chatId)).toEqual(all.data.slice(0, 4).map((g: any) => g.chatId));
    const owner = all.data[0].owner;
    expect((await api('GET', `/v1/wecom/groups?owner=${owner}`)).json().data.every((g: any) => g.owner === owner)).toBe(true);
    const name = all.data[1].name as string;
    expect((await api('GET', `/v1/wecom/groups?q=${encodeURIComponent(name)}`)).json().data.map((g: any) => g.chatId)).toEqual([all.data[1].chatId]);
    expect((await api('GET', '/v1/wecom/groups?q=%25')).json().data).toEqual([]);
  });

  it('shows members with join scene and time, and quits; counts growth and churn by local day', async () => {
    const chat = chats[0]!;
    const before = (await api('GET', `/v1/wecom/groups/${chat}`)).json();
    expect(before.members.length).toBe(h.sb.state.groups.find(chat)!.members.length);
    expect(before.members[0]).toMatchObject({ type: 'staff' });

    // Two customers scan the group QR code today, one is removed by the owner tomorrow.
    const joined = applyScenario(h.sb.state, { scenario: 'group-join', chatId: chat, joinScene: 3 });
    applyScenario(h.sb.state, { scenario: 'group-join', chatId: chat, joinScene: 3 });
    await mirrorGroup(h, chat);
    h.t.clock.advance(DAY);
    const leaver = (joined.fields.MemChangeList as string[])[0]!;
    applyScenario(h.sb.state, { scenario: 'group-quit', chatId: chat, members: [leaver], quitScene: 1 });
    await mirrorGroup(h, chat, 1);

    const detail = (await api('GET', `/v1/wecom/groups/${chat}`)).json();
    expect(detail.counts).toEqual({ current: before.counts.current + 1, quit: 1 });
    expect(detail.members.find((m: any) => m.memberId === leaver)).toMatchObject({
      type: 'customer',
      joinScene: 'qr_code',
      joinTime: '2026-11-02T01:00:00.000Z',
      quitAt: '2026-11-03T01:00:00.000Z',
      quitScene: 'removed',
    });
    expect((await api('GET', `/v1/wecom/groups/${chat}?includeQuit=false`)).json().members.some((m: any) => m.memberId === leaver)).toBe(false);

    const stats = (await api('GET', `/v1/wecom/groups/${chat}/stats?from=2026-11-02&to=2026-11-03`)).json();
    expect(stats.byDay).toEqual([
      { date: '2026-11-02', joins: 2, quits: 0, net: 2 },
      { date: '2026-11-03', joins: 0, quits: 1, net: -1 },
    ]);
    expect(stats.totals).toMatchObject({ joins: 2, quits: 1, net: 1, customerJoins: 2, removedByOwner: 1 });
    expect(stats.joinScenes).toEqual({ qr_code: 2 });
    const overall = (await api('GET', '/v1/wecom/groups/stats?from=2026-11-02&to=2026-11-03')).json();
    expect(overall.totals).toMatchObject({ joins: 2, quits: 1, net: 1 });
    expect((await api('GET', '/v1/wecom/groups/wrNOSUCH/stats')).json().error.code).toBe('SCRM_GROUP_NOT_FOUND');
    expect((await api('GET', `/v1/wecom/groups/${chat}/stats?from=2026-02-30`)).statusCode).toBe(400);

    // A dismissed group keeps its history and says so.
    applyScenario(h.sb.state, { scenario: 'group-dismiss', chatId: chat });
    await mirrorGroup(h, chat);
    expect((await api('GET', `/v1/wecom/groups?status=dismissed`)).json().data.map((g: any) => g.chatId)).toEqual([chat]);
  });

  it('keeps Siyu tags on groups: replace, add, remove, filter, catalogue', async () => {
    const [a, b] = chats as [string, string];
    expect((await api('PUT', `/v1/wecom/groups/${a}/tags`, { tags: ['VIP', ' 上海 ', 'VIP'] })).json()).toEqual({ chatId: a, tags: ['VIP', '上海'] });
    expect((await api('POST', `/v1/wecom/groups/${b}/tags`, { tags: ['VIP', 'new'] })).json().tags).toEqual(['VIP', 'new']);
    expect((await api('DELETE', `/v1/wecom/groups/${b}/tags/new`)).json().tags).toEqual(['VIP']);
    expect((await api('DELETE', `/v1/wecom/groups/${b}/tags/absent`)).json().tags).toEqual(['VIP']);
    expect((await api('GET', `/v1/wecom/groups/${a}/tags`)).json().tags).toEqual(['VIP', '上海']);
    expect((await api('GET', `/v1/wecom/groups?tag=${encodeURIComponent('上海')}`)).json().data.map((g: any) => g.chatId)).toEqual([a]);
    expect((await api('GET', '/v1/wecom/groups?tag=VIP')).json().data.map((g: any) => g.chatId)).toEqual([a, b].sort());
    expect((await api('GET', '/v1/wecom/group-tags')).json().data).toEqual([
      { tag: 'VIP', groups: 2 },
      { tag: '上海', groups: 1 },
    ]);
    expect(await groupsWithTags(h.deps, h.t.workspaceId, ['上海'])).toEqual([a]);
    expect((await api('PUT', `/v1/wecom/groups/${a}/tags`, { tags: [] })).json().tags).toEqual([]);

    const bad = await api('PUT', `/v1/wecom/groups/${a}/tags`, { tags: ['x'.repeat(33)] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/tags\[0\]/);
    expect((await api('PUT', '/v1/wecom/groups/wrNOSUCH/tags', { tags: ['a'] })).json().error.code).toBe('SCRM_GROUP_NOT_FOUND');
    const other = await h.t.newWorkspace();
    expect((await h.t.app.inject({ method: 'GET', url: `/v1/wecom/groups/${b}`, headers: { authorization: `Bearer ${other.secretKey}` } })).statusCode).toBe(
      404,
    );
  });
});
