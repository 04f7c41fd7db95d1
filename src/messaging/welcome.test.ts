import { afterEach, beforeEach, expect, it } from 'vitest';
import { liveDb } from '../scrm/livecodes/context.js';
import { scanContactWay, startLiveHarness, type LiveHarness } from '../scrm/livecodes/test-helpers.js';
import { describeEngines } from '../../test/support/engines.js';
import { createWeComClient } from '../wecom/index.js';
import { messagingDeps } from '../server/app.js';
import { sendWelcomeMessage, type WelcomeDeps } from './welcome.service.js';

describeEngines('WeCom welcome messages through messaging', (engine) => {
  let h: LiveHarness;
  let deps: WelcomeDeps;
  let staff: string;
  beforeEach(async () => {
    h = await startLiveHarness(engine);
    deps = messagingDeps(h.t.services);
    staff = h.sb.corp.activeStaff()[0]!.userid;
  });
  afterEach(() => h.close());

  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await h.t.app.inject({ method, url, headers: h.auth, payload: payload as any });
    return { status: res.statusCode, body: res.json() };
  };
  const welcomes = () => h.sb.state.welcomeMessages;
  const events = async (profileId: string, name: string) => {
    const rows = await h.t.database.db
      .selectFrom('events')
      .select(['payload'])
      .where('workspace_id', '=', h.t.workspaceId)
      .where('profile_id', '=', profileId)
      .where('event', '=', name)
      .execute();
    return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { properties: Record<string, any> });
  };
  const setTraits = (profileId: string, traits: Record<string, unknown>) =>
    liveDb(h.deps)
      .updateTable('profiles')
      .set({ traits: JSON.stringify(traits) })
      .where('workspace_id', '=', h.t.workspaceId)
      .where('id', '=', profileId)
      .execute();
  const template = async () => {
    const link = { msgtype: 'link', link: { title: '入会礼', url: 'https://shop.test/gift?u={{ profile.id }}' } };
    const res = await api('POST', '/v1/templates', {
      name: 'welcome',
      channel: 'wecom',
      purpose: 'service',
      variants: {
        'zh-CN': { text: '{{ profile.name | default: "朋友" }}，欢迎光临！', attachments: [link] },
        en: { text: 'Welcome, {{ profile.name | default: "friend" }}!' },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };

  it('renders a template for the profile (locale, name, default) and sends it at once; records the message and the timeline event', async () => {
    const tpl = await template();
    const a = await scanContactWay(h, { userid: staff });
    h.t.clock.advance(2_000);
    const first = await sendWelcomeMessage(deps, {
      workspaceId: h.t.workspaceId,
      profileId: a.profileId,
      welcomeCode: a.welcomeCode!,
      at: a.at,
      templateId: tpl,
    });
    expect(first).toMatchObject({ status: 'sent', reason: null, created: true });
    expect(welcomes()).toHaveLength(1);
    // No name anywhere: the Liquid default.
    expect(welcomes()[0]).toMatchObject({ externalUserid: a.externalUserid, text: { content: '朋友，欢迎光临！' } });
    expect(welcomes()[0]!.attachments).toEqual([{ msgtype: 'link', link: { title: '入会礼', url: `https://shop.test/gift?u=${a.profileId}` } }]);
    const msg = (await api('GET', `/v1/messages/${first.messageId}`)).body;
    expect(msg).toMatchObject({
      channel: 'wecom_welcome',
      status: 'sent',
      templateId: tpl,
      templateVersion: 1,
      locale: 'zh-CN',
      source: { kind: 'api' },
      attempts: 1,
      rendered: { text: { content: '朋友，欢迎光临！' } },
    });
    expect(JSON.stringify(msg)).not.toContain(a.welcomeCode);
    expect((await events(a.profileId, 'Message Sent'))[0]!.properties).toMatchObject({ messageId: first.messageId, channel: 'wecom_welcome', templateId: tpl });

    // The same WelcomeCode again sends nothing and answers with the first outcome.
    expect(
      await sendWelcomeMessage(deps, { workspaceId: h.t.workspaceId, profileId: a.profileId, welcomeCode: a.welcomeCode!, at: a.at, templateId: tpl }),
    ).toEqual({ ...first, created: false });
    expect(welcomes()).toHaveLength(1);

    // An English-speaking profile with a name gets the en variant; a name from WeCom fills in for a profile without one.
    const b = await scanContactWay(h, { userid: staff });
    await setTraits(b.profileId, { name: 'Mei', locale: 'en-US' });
    expect(
      (await sendWelcomeMessage(deps, { workspaceId: h.t.workspaceId, profileId: b.profileId, welcomeCode: b.welcomeCode!, at: b.at, templateId: tpl })).status,
    ).toBe('sent');
    const c = await scanContactWay(h, { userid: staff });
    expect(
      (
        await sendWelcomeMessage(deps, {
          workspaceId: h.t.workspaceId,
          profileId: c.profileId,
          welcomeCode: c.welcomeCode!,
          at: c.at,
          templateId: tpl,
          name: '王小明',
        })
      ).status,
    ).toBe('sent');
    expect(
      welcomes()
        .slice(1)
        .map((w) => w.text?.content),
    ).toEqual(['Welcome, Mei!', '王小明，欢迎光临！']);
  });

  it('suppresses a welcome past the 20 s window, and never retries one whose answer was lost', async () => {
    const tpl = await template();
    const late = await scanContactWay(h, { userid: staff });
    h.t.clock.advance(20_001);
    const r = await sendWelcomeMessage(deps, {
      workspaceId: h.t.workspaceId,
      profileId: late.profileId,
      welcomeCode: late.welcomeCode!,
      at: late.at,
      templateId: tpl,
    });
    expect(r).toMatchObject({ status: 'suppressed', reason: 'welcome_window_passed', created: true });
    expect(welcomes()).toHaveLength(0);
    expect((await api('GET', `/v1/messages/${r.messageId}`)).body).toMatchObject({
      channel: 'wecom_welcome',
      status: 'suppressed',
      reason: 'welcome_window_passed',
      attempts: 0,
    });
    expect((await api('GET', `/v1/messages?status=suppressed`)).body.data.map((m: any) => m.id)).toContain(r.messageId);

    // WeCom unreachable: failed, not retried; calling again (WeCom back) sends nothing.
    const lost = await scanContactWay(h, { userid: staff });
    const dead = createWeComClient({ baseUrl: 'http://127.0.0.1:9', corpId: 'x', secret: 'y', maxRetries: 0, sleep: async () => {} });
    const offline = { ...deps, wecomClientFor: async () => dead };
    const input = {
      workspaceId: h.t.workspaceId,
      profileId: lost.profileId,
      welcomeCode: lost.welcomeCode!,
      at: lost.at,
      content: { text: 'Hi {{ profile.name | default: "there" }}' },
    };
    const failed = await sendWelcomeMessage(offline, input);
    expect(failed).toMatchObject({ status: 'failed', reason: 'not_retried', errorCode: 'wecom:network', created: true });
    expect((await events(lost.profileId, 'Message Failed'))[0]!.properties).toMatchObject({
      messageId: failed.messageId,
      channel: 'wecom_welcome',
      errorCode: 'wecom:network',
    });
    expect(await sendWelcomeMessage(deps, input)).toMatchObject({ messageId: failed.messageId, status: 'failed', created: false });
    expect(welcomes()).toHaveLength(0);

    // WeCom refusing an expired code: failed with its errcode.
    const stale = await scanContactWay(h, { userid: staff });
    h.t.clock.advance(25_000);
    const refused = await sendWelcomeMessage(deps, { ...input, profileId: stale.profileId, welcomeCode: stale.welcomeCode!, at: h.t.clock.now() });
    expect(refused).toMatchObject({ status: 'failed', reason: 'provider_rejected', errorCode: expect.stringMatching(/^wecom:\d+$/) });
  });

  it('validates the request and the template', async () => {
    const tpl = await template();
    const sms = (await api('POST', '/v1/templates', { name: 'sms', channel: 'sms', variants: { 'zh-CN': { templateCode: 'SMS_1' } } })).body.id;
    const a = await scanContactWay(h, { userid: staff });
    const base = { workspaceId: h.t.workspaceId, profileId: a.profileId, welcomeCode: a.welcomeCode!, at: a.at };
    await expect(sendWelcomeMessage(deps, { ...base, templateId: tpl, content: { text: 'x' } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: /either templateId or content/,
    });
    await expect(sendWelcomeMessage(deps, { ...base, content: { text: '{{ unclosed' } })).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    await expect(sendWelcomeMessage(deps, { ...base, templateId: sms })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: /wecom template/ });
    await expect(sendWelcomeMessage(deps, { ...base, templateId: 'tpl_nope' })).rejects.toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    await expect(sendWelcomeMessage(deps, { ...base, profileId: 'prf_nope', templateId: tpl })).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    expect(welcomes()).toHaveLength(0);
    expect((await api('GET', '/v1/messages')).body.data).toHaveLength(0);
  });
});
