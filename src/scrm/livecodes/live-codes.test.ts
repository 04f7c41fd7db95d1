import { expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { createWeComClient } from '../../wecom/client.js';
import { applyScenario } from '../../../wecom-sandbox/scenarios.js';
import type { LiveDeps } from './context.js';
import { liveCodeListener } from './live-codes.listener.js';
import { runLiveCodeMaintenance } from './live-codes.service.js';
import { deliver, scanContactWay, useLiveHarness } from './test-helpers.js';

const DAY = 86_400_000;

describeEngines('live codes', (engine) => {
  const h = useLiveHarness(engine);

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    h.t.app.inject({ method, url, headers: h.auth, payload: payload as any });
  const create = async (body: Record<string, unknown>) => {
    const res = await api('POST', '/v1/wecom/live-codes', { name: 'Store 1', channel: 'store', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const way = (configId: string) => h.sb.state.contactWays.get(configId);
  const welcomes = () => h.sb.state.welcomeMessages;
  const adds = async (id: string) => (await api('GET', `/v1/wecom/live-codes/${id}/adds`)).json().data;
  const stats = async (id: string, q = '') => (await api('GET', `/v1/wecom/live-codes/${id}/stats${q}`)).json();

  it('creates the contact way with a unique state and validates the request', async () => {
    const code = await create({ staff: h.staff.slice(0, 3), welcome: { text: 'Hi {name}' } });
    expect(code.state).toBe(code.id);
    expect(code.state.length).toBeLessThanOrEqual(30);
    const w = way(code.configId)!;
    expect(w).toMatchObject({ type: 2, scene: 2, state: code.state, user: h.staff.slice(0, 3), skipVerify: true });
    expect(code.qrCode).toMatch(/^https:\/\//);
    expect(code.activeUsers).toEqual(h.staff.slice(0, 3));

    const bad = async (body: Record<string, unknown>, message: RegExp) => {
      const res = await api('POST', '/v1/wecom/live-codes', { name: 'X', channel: 'store', staff: [h.staff[0]], ...body });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.message).toMatch(message);
      return res.json().error;
    };
    await bad({ channel: 'tv' }, /channel/);
    await bad({ staff: [h.staff[0], h.staff[0]] }, /twice/);
    await bad({ welcome: { text: 'hi', attachments: [{ msgtype: 'link', link: { title: 't' } }] } }, /welcome\.attachments\[0\]\.link\.url/);
    await bad({ welcome: { attachments: Array.from({ length: 10 }, () => ({ msgtype: 'image', image: { media_id: 'm' } })) } }, /at most 9/);
    await bad({ expiresAt: '2020-01-01T00:00:00Z' }, /past/);
    await bad({ corpTagIds: ['etNOPE'] }, /no corp tag etNOPE/);
    expect((await bad({ staff: ['nobody-here'] }, /errcode 40003/)).code).toBe('LIVE_CODE_WECOM_REJECTED');
    // Nothing half-made: only the first code and its contact way exist.
    expect((await api('GET', '/v1/wecom/live-codes')).json().data).toHaveLength(1);
    expect(h.sb.state.contactWays.size).toBe(1);
  });

  it('attributes an add, tags the customer, welcomes them by name once, and counts it once on redelivery', async () => {
    const corpTag = h.sb.corp.tags.liveTags()[0]!;
    const code = await create({
      staff: [h.staff[0]],
      tags: [{ group: 'channel', name: 'store-1' }],
      corpTagIds: [corpTag.id],
      welcome: { text: '你好 {name}，欢迎！{{ name }}', attachments: [{ msgtype: 'link', link: { title: 'Coupon', url: 'https://example.com/c' } }] },
    });
    const event = await scanContactWay(h, { configId: code.configId });
    expect(event.state).toBe(code.state);
    h.t.clock.advance(3_000);
    await deliver(h, liveCodeListener, event);

    const customer = h.sb.corp.findCustomer(event.externalUserid)!;
    const name = h.sb.corp.customer(customer).name;
    expect(welcomes()).toHaveLength(1);
    expect(welcomes()[0]).toMatchObject({ userid: h.staff[0], externalUserid: event.externalUserid, text: { content: `你好 ${name}，欢迎！${name}` } });
    expect(welcomes()[0]!.attachments).toEqual([{ msgtype: 'link', link: { title: 'Coupon', url: 'https://example.com/c' } }]);
    const rel = h.sb.corp.relationBetween(h.sb.corp.findStaff(h.staff[0])!.index, customer);
    expect(h.sb.corp.relationTags(rel)).toContain(corpTag.index);
    const profile = (await api('GET', `/v1/profiles/${event.profileId}`)).json();
    expect(profile.tags).toEqual(expect.arrayContaining([expect.objectContaining({ group: 'channel', name: 'store-1', source: 'rule' })]));

    // WeCom redelivers; the processor publishes the same event again.
    await deliver(h, liveCodeListener, event);
    expect(welcomes()).toHaveLength(1);
    const [add] = await adds(code.id);
    expect(add).toMatchObject({ userid: h.staff[0], externalUserid: event.externalUserid, welcome: { status: 'sent' }, tags: { status: 'done' } });
    const s = await stats(code.id);
    expect(s.totals).toMatchObject({ adds: 1, deletions: 0, net: 1, welcomeSent: 1 });
    expect(s.byDay.find((d: any) => d.date === '2026-11-02')).toEqual({ date: '2026-11-02', adds: 1, deletions: 0, net: 1 });
    expect(s.byStaff).toEqual([{ userid: h.staff[0], adds: 1, deletions: 0, net: 1 }]);

    // The customer deletes the member the next day: a deletion, net growth 0 (twice delivered, once counted).
    h.t.clock.advance(DAY);
    applyScenario(h.sb.state, { scenario: 'del-follow-user', userid: h.staff[0], externalUserid: event.externalUserid });
    const del = {
      type: 'contact.deleted_by_customer' as const,
      workspaceId: h.t.workspaceId,
      userid: h.staff[0]!,
      externalUserid: event.externalUserid,
      profileId: event.profileId,
      at: h.t.clock.now(),
    };
    await deliver(h, liveCodeListener, del);
    await deliver(h, liveCodeListener, del);
    const s2 = await stats(code.id, '?from=2026-11-01&to=2026-11-03');
    expect(s2.totals).toMatchObject({ adds: 1, deletions: 1, net: 0, deletedByCustomer: 1 });
    expect(s2.byDay).toEqual([
      { date: '2026-11-01', adds: 0, deletions: 0, net: 0 },
      { date: '2026-11-02', adds: 1, deletions: 0, net: 1 },
      { date: '2026-11-03', adds: 0, deletions: 1, net: -1 },
    ]);
    expect((await api('GET', `/v1/wecom/live-codes/${code.id}/stats?from=2026-11-05&to=2026-11-01`)).statusCode).toBe(400);
  });

  it('skips the welcome after 20 s and records why; never retries one lost to a network error', async () => {
    const code = await create({ staff: [h.staff[0]], welcome: { text: 'Hi {name}', nameFallback: 'friend' } });
    const late = await scanContactWay(h, { configId: code.configId }, { contactName: 'Late Lu' });
    h.t.clock.advance(20_001);
    await deliver(h, liveCodeListener, late);
    expect(welcomes()).toHaveLength(0);
    expect((await adds(code.id))[0].welcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/too late: 20001 ms/) });

    // WeCom unreachable when sending: failed, and a redelivery (WeCom reachable again) sends nothing.
    const lost = await scanContactWay(h, { configId: code.configId }, { contactName: 'Lost Li' });
    const dead = createWeComClient({ baseUrl: 'http://127.0.0.1:9', corpId: 'x', secret: 'y', maxRetries: 0, sleep: async () => {} });
    const offline: LiveDeps = { ...h.deps, clientFor: async () => dead };
    await deliver(h, liveCodeListener, lost, offline);
    await deliver(h, liveCodeListener, lost);
    expect(welcomes()).toHaveLength(0);
    const row = (await adds(code.id)).find((a: any) => a.externalUserid === lost.externalUserid);
    expect(row.welcome).toMatchObject({ status: 'failed', reason: expect.stringMatching(/not retried/) });

    // In time, with the name unknown to everyone: the fallback fills {name}.
    const fine = await scanContactWay(h, { configId: code.configId });
    await deliver(
      h,
      liveCodeListener,
      { ...fine, contactName: undefined },
      { ...h.deps, clientFor: async (ws) => (ws === 'never' ? dead : h.deps.clientFor(ws)) },
    );
    expect(welcomes().map((w) => w.text?.content)).toEqual([`Hi ${h.sb.corp.customer(h.sb.corp.findCustomer(fine.externalUserid)!).name}`]);
  });

  it('round-robin with a daily cap: one member at a time, members at the cap leave until the next local day', async () => {
    const [a, b, c] = h.staff as [string, string, string];
    const code = await create({ staff: [a, b, c], strategy: 'round_robin', dailyCap: 2 });
    const users = () => way(code.configId)!.user;
    expect(users()).toEqual([a]);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const current = users()[0]!;
      order.push(current);
      await deliver(h, liveCodeListener, await scanContactWay(h, { configId: code.configId, userid: current }));
      h.t.clock.advance(60_000);
    }
    expect(order).toEqual([a, b, c, a, b, c]);
    // Everyone is at 2: WeCom needs someone, so the least-loaded first member stays, and the API says so.
    expect(users()).toEqual([a]);
    const detail = (await api('GET', `/v1/wecom/live-codes/${code.id}`)).json();
    expect(detail.today.staff).toEqual([a, b, c].map((u) => ({ userid: u, adds: 2, atCap: true })));

    // Next local day (the workspace is in Asia/Shanghai: 2026-11-03 starts at 16:00 UTC on the 2nd).
    h.t.clock.set(Date.parse('2026-11-02T16:00:30Z'));
    expect(await runLiveCodeMaintenance(h.deps, h.t.workspaceId)).toEqual({ expired: 0, rebalanced: 1 });
    expect(users()).toEqual([a]);
    await deliver(h, liveCodeListener, await scanContactWay(h, { configId: code.configId, userid: a }));
    expect(users()).toEqual([b]);
    expect(await runLiveCodeMaintenance(h.deps, h.t.workspaceId)).toEqual({ expired: 0, rebalanced: 0 });
    const s = await stats(code.id, '?from=2026-11-02&to=2026-11-03');
    expect(s.byDay.map((d: any) => d.adds)).toEqual([6, 1]);
  });

  it('least-load with a cap and an overflow member, over several days', async () => {
    const [a, b, c, d] = h.staff as [string, string, string, string];
    const code = await create({ staff: [a, b, c], strategy: 'least_load', dailyCap: 2, overflowUserid: d });
    const users = () => way(code.configId)!.user;
    expect(users()).toEqual([a, b, c]);
    await deliver(h, liveCodeListener, await scanContactWay(h, { configId: code.configId, userid: b }));
    expect(users()).toEqual([a, c]);
    await deliver(h, liveCodeListener, await scanContactWay(h, { configId: code.configId, userid: a }));
    expect(users()).toEqual([c]);
    await deliver(h, liveCodeListener, await scanContactWay(h, { configId: code.configId, userid: c }));
    expect(users()).toEqual([a, b, c]);
    for (const u of [a, b, c]) await deliver(h, liveCodeListener, await scanContactWay(h, { configId: code.configId, userid: u }));
    expect(users()).toEqual([d]);
    await deliver(h, liveCodeListener, await scanContactWay(h, { configId: code.configId, userid: d }));
    expect(users()).toEqual([d]);

    h.t.clock.advance(DAY);
    await runLiveCodeMaintenance(h.deps);
    expect(users()).toEqual([a, b, c]);
    const s = await stats(code.id, '?from=2026-11-02&to=2026-11-03');
    expect(s.byStaff).toEqual([...[a, b, c].sort().map((u) => ({ userid: u, adds: 2, deletions: 0, net: 2 })), { userid: d, adds: 1, deletions: 0, net: 1 }]);
  });

  it('expires: the contact way is deleted, adds arriving late are still attributed, a new expiry reactivates', async () => {
    const code = await create({ staff: [h.staff[0], h.staff[1]], expiresAt: new Date(h.t.clock.now() + 3_600_000).toISOString() });
    const late = await scanContactWay(h, { configId: code.configId, userid: h.staff[0] });
    h.t.clock.advance(2 * 3_600_000);
    expect(await runLiveCodeMaintenance(h.deps)).toEqual({ expired: 1, rebalanced: 0 });
    expect(way(code.configId)).toBeUndefined();
    const got = (await api('GET', `/v1/wecom/live-codes/${code.id}`)).json();
    expect(got).toMatchObject({ status: 'expired', configId: null, qrCode: null, activeUsers: [] });
    await deliver(h, liveCodeListener, late);
    expect((await stats(code.id)).totals.adds).toBe(1);
    expect(h.sb.state.contactWays.size).toBe(0);

    const again = await api('PATCH', `/v1/wecom/live-codes/${code.id}`, { expiresAt: null });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ status: 'active', expiresAt: null });
    expect(way(again.json().configId)).toMatchObject({ state: code.state });
  });

  it('keeps the contact way in step on edit and removes it on delete', async () => {
    const code = await create({ staff: [h.staff[0]] });
    const res = await api('PATCH', `/v1/wecom/live-codes/${code.id}`, { staff: [h.staff[1], h.staff[2]], name: 'Renamed', skipVerify: false });
    expect(res.statusCode, res.body).toBe(200);
    expect(way(code.configId)).toMatchObject({ user: [h.staff[1], h.staff[2]], remark: 'Renamed', skipVerify: false });
    expect((await api('PATCH', `/v1/wecom/live-codes/${code.id}`, { strategy: 'nope' })).statusCode).toBe(400);
    const other = await h.t.newWorkspace();
    expect(
      (await h.t.app.inject({ method: 'GET', url: `/v1/wecom/live-codes/${code.id}`, headers: { authorization: `Bearer ${other.secretKey}` } })).statusCode,
    ).toBe(404);
    expect((await api('DELETE', `/v1/wecom/live-codes/${code.id}`)).statusCode).toBe(204);
    expect(way(code.configId)).toBeUndefined();
    expect((await api('GET', `/v1/wecom/live-codes/${code.id}`)).json().error.code).toBe('LIVE_CODE_NOT_FOUND');
  });
});
