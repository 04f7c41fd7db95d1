import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { joinWaysOf } from '../../../wecom-sandbox/routes/join-ways.js';
import { applyScenario } from '../../../wecom-sandbox/scenarios.js';
import type { ScrmEvent } from '../events.js';
import { groupCodeListener } from './group-codes.service.js';
import { deliver, mirrorGroup, startLiveHarness, type LiveHarness } from './test-helpers.js';

describeEngines('group live codes', (engine) => {
  let h: LiveHarness;
  let chats: string[];
  beforeEach(async () => {
    h = await startLiveHarness(engine, { groups: 0, customers: 30 });
    const owner = h.sb.corp.activeStaff()[0]!.userid;
    chats = [];
    for (let i = 1; i <= 4; i++) {
      const fired = applyScenario(h.sb.state, { scenario: 'group-create', owner, name: `福利群 ${i}`, members: [] });
      chats.push(String(fired.fields.ChatId));
    }
    for (const c of chats) await mirrorGroup(h, c);
  });
  afterEach(() => h.close());

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    h.t.app.inject({ method, url, headers: h.auth, payload: payload as any });
  const joinWay = (configId: string) => joinWaysOf(h.sb.state).get(configId);
  /** Customers join a group in the sandbox, the mirror catches up, and the processor publishes the event. */
  const join = async (chatId: string, n = 1) => {
    let event: ScrmEvent | undefined;
    for (let i = 0; i < n; i++) {
      const fired = applyScenario(h.sb.state, { scenario: 'group-join', chatId, joinScene: 3 });
      await mirrorGroup(h, chatId);
      event = {
        type: 'group.updated',
        workspaceId: h.t.workspaceId,
        chatId,
        updateDetail: 'add_member',
        joinScene: 3,
        memberIds: (fired.fields.MemChangeList as string[]) ?? [],
        at: h.t.clock.now(),
      };
      await deliver(h, groupCodeListener, event);
    }
    return event!;
  };

  it('rotates to the next group when the current one is full or dismissed, and keeps the join way in step', async () => {
    const res = await api('POST', '/v1/wecom/group-codes', { name: '福利群活码', chatIds: chats.slice(0, 3), memberLimit: 3 });
    expect(res.statusCode, res.body).toBe(201);
    const code = res.json();
    expect(code).toMatchObject({ status: 'active', currentChatId: chats[0], windowChatIds: chats.slice(0, 3), memberLimit: 3 });
    expect(code.qrCode).toMatch(/^https:\/\//);
    expect(joinWay(code.configId)).toMatchObject({ scene: 2, chatIds: chats.slice(0, 3), state: code.state, autoCreateRoom: 0, remark: '福利群活码' });

    await join(chats[0]!); // 2 members: still room
    expect(joinWay(code.configId)!.chatIds).toEqual(chats.slice(0, 3));
    const full = await join(chats[0]!); // 3 members: full
    expect(joinWay(code.configId)!.chatIds).toEqual(chats.slice(1, 3));
    await deliver(h, groupCodeListener, full); // redelivered: nothing moves twice
    let got = (await api('GET', `/v1/wecom/group-codes/${code.id}`)).json();
    expect(got).toMatchObject({ currentChatId: chats[1], windowChatIds: chats.slice(1, 3) });
    expect(got.groups.map((g: any) => [g.position, g.memberCount])).toEqual([
      ['done', 3],
      ['current', 1],
      ['waiting', 1],
    ]);
    expect(got.rotatedAt).not.toBeNull();

    applyScenario(h.sb.state, { scenario: 'group-dismiss', chatId: chats[1] });
    await mirrorGroup(h, chats[1]!);
    await deliver(h, groupCodeListener, { type: 'group.dismissed', workspaceId: h.t.workspaceId, chatId: chats[1]!, at: h.t.clock.now() });
    expect(joinWay(code.configId)!.chatIds).toEqual([chats[2]]);

    await join(chats[2]!, 2);
    got = (await api('GET', `/v1/wecom/group-codes/${code.id}`)).json();
    expect(got).toMatchObject({ status: 'full', currentChatId: null });
    // WeCom needs a list: the join way keeps the last group (and autoCreateRoom would open a new one).
    expect(joinWay(code.configId)!.chatIds).toEqual([chats[2]]);

    const more = await api('PATCH', `/v1/wecom/group-codes/${code.id}`, { chatIds: chats });
    expect(more.statusCode, more.body).toBe(200);
    expect(more.json()).toMatchObject({ status: 'active', currentChatId: chats[3], windowChatIds: [chats[3]] });
    expect(joinWay(code.configId)!.chatIds).toEqual([chats[3]]);

    expect((await api('DELETE', `/v1/wecom/group-codes/${code.id}`)).statusCode).toBe(204);
    expect(joinWay(code.configId)).toBeUndefined();
    expect((await api('GET', `/v1/wecom/group-codes/${code.id}`)).json().error.code).toBe('GROUP_CODE_NOT_FOUND');
  });

  it("windows a long list to WeCom's five groups and validates requests", async () => {
    const owner = h.sb.corp.activeStaff()[1]!.userid;
    for (let i = 5; i <= 7; i++) {
      const fired = applyScenario(h.sb.state, { scenario: 'group-create', owner, name: `福利群 ${i}`, members: [] });
      chats.push(String(fired.fields.ChatId));
      await mirrorGroup(h, chats[chats.length - 1]!);
    }
    const code = (
      await api('POST', '/v1/wecom/group-codes', { name: 'long', chatIds: chats, autoCreateRoom: true, roomBaseName: '福利群', roomBaseId: 8 })
    ).json();
    expect(code.memberLimit).toBe(200);
    expect(joinWay(code.configId)).toMatchObject({ chatIds: chats.slice(0, 5), autoCreateRoom: 1, roomBaseName: '福利群', roomBaseId: 8 });

    const bad = async (body: unknown, status: number, code: string, message: RegExp) => {
      const res = await api('POST', '/v1/wecom/group-codes', body);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().error).toMatchObject({ code, message: expect.stringMatching(message) });
    };
    await bad({ name: 'x', chatIds: [chats[0]], memberLimit: 201 }, 400, 'VALIDATION_FAILED', /memberLimit/);
    await bad({ name: 'x', chatIds: [chats[0], chats[0]] }, 400, 'VALIDATION_FAILED', /twice/);
    await bad({ name: 'x', chatIds: ['wrNOSUCHCHAT'] }, 400, 'LIVE_CODE_WECOM_REJECTED', /40050/);
    await bad({ name: 'x', chatIds: [chats[0]], memberLimit: 1 }, 400, 'VALIDATION_FAILED', /every listed group/);
    expect(joinWaysOf(h.sb.state).size).toBe(1);
    expect((await api('GET', '/v1/wecom/group-codes')).json().data).toHaveLength(1);
  });
});
