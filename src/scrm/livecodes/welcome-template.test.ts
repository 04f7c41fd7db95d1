import { expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { liveCodeListener } from './live-codes.listener.js';
import { deliver, scanContactWay, useLiveHarness } from './test-helpers.js';

describeEngines('live codes: welcome from a messaging template', (engine) => {
  const h = useLiveHarness(engine);

  const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
    const res = await h.t.app.inject({ method, url, headers: h.auth, payload: payload as any });
    return { status: res.statusCode, body: res.json() };
  };
  const welcomes = () => h.sb.state.welcomeMessages;
  const adds = async (id: string) => (await api('GET', `/v1/wecom/live-codes/${id}/adds`)).body.data;

  it('validates the template, sends it rendered for the customer, and records the message, the timeline event and the add', async () => {
    const tpl = (
      await api('POST', '/v1/templates', {
        name: 'store-welcome',
        channel: 'wecom',
        purpose: 'service',
        variants: { 'zh-CN': { text: '{{ profile.name | default: "朋友" }}，欢迎来到{{ data.store | default: "本店" }}！' } },
      })
    ).body.id;
    const sms = (await api('POST', '/v1/templates', { name: 'sms', channel: 'sms', variants: { 'zh-CN': { templateCode: 'SMS_1' } } })).body.id;
    const bad = async (welcome: unknown, message: RegExp) => {
      const res = await api('POST', '/v1/wecom/live-codes', { name: 'X', channel: 'store', staff: [h.staff[0]], welcome });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) });
    };
    await bad({ templateId: 'tpl_nope' }, /welcome\.templateId: no template tpl_nope/);
    await bad({ templateId: sms }, /welcome\.templateId: .*wecom template/);
    await bad({ templateId: 42 }, /welcome\.templateId/);
    expect(h.sb.state.contactWays.size).toBe(0);

    const created = await api('POST', '/v1/wecom/live-codes', {
      name: 'Store 1',
      channel: 'store',
      staff: [h.staff[0]],
      welcome: { templateId: tpl, text: 'unused while templateId is set' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const code = created.body;
    expect(code.welcome).toMatchObject({ templateId: tpl });
    expect((await api('PATCH', `/v1/wecom/live-codes/${code.id}`, { welcome: { templateId: 'tpl_gone' } })).status).toBe(400);

    // The profile has no name yet: the name WeCom gave with the add is used.
    const e = await scanContactWay(h, { configId: code.configId }, { contactName: 'Zhou' });
    h.t.clock.advance(3_000);
    await deliver(h, liveCodeListener, e);
    await deliver(h, liveCodeListener, e);
    expect(welcomes()).toHaveLength(1);
    expect(welcomes()[0]).toMatchObject({ userid: h.staff[0], externalUserid: e.externalUserid, text: { content: 'Zhou，欢迎来到本店！' } });
    const [add] = await adds(code.id);
    expect(add.welcome).toMatchObject({ status: 'sent' });
    const msgs = (await api('GET', `/v1/messages?sourceKind=live_code&sourceId=${code.id}`)).body.data;
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({
      channel: 'wecom_welcome',
      status: 'sent',
      profileId: e.profileId,
      templateId: tpl,
      source: { kind: 'live_code', id: code.id },
      rendered: { text: { content: 'Zhou，欢迎来到本店！' } },
    });
    const sent = await h.t.database.db
      .selectFrom('events')
      .select('payload')
      .where('workspace_id', '=', h.t.workspaceId)
      .where('profile_id', '=', e.profileId)
      .where('event', '=', 'Message Sent')
      .execute();
    expect(sent).toHaveLength(1);

    // Too late: suppressed in messaging, skipped on the add, nothing reaches WeCom.
    const late = await scanContactWay(h, { configId: code.configId });
    h.t.clock.advance(20_001);
    await deliver(h, liveCodeListener, late);
    expect(welcomes()).toHaveLength(1);
    const lateAdd = (await adds(code.id)).find((a: any) => a.externalUserid === late.externalUserid);
    expect(lateAdd.welcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/welcome_window_passed/) });
    const suppressed = (await api('GET', `/v1/messages?sourceKind=live_code&status=suppressed`)).body.data;
    expect(suppressed).toEqual([expect.objectContaining({ profileId: late.profileId, reason: 'welcome_window_passed' })]);
  });
});
