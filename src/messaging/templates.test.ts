import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { HOSTILE_TEMPLATES, messagingTestApp } from './test-kit.js';

describeEngines('message templates', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
  });
  afterAll(() => k?.close());

  const wecomTemplate = {
    name: 'welcome',
    channel: 'wecom',
    purpose: 'marketing',
    defaultLocale: 'zh-CN',
    variants: {
      'zh-CN': { text: '你好，{{ profile.name | default: "朋友" }}！您已消费 {{ computed.total_spent_fen | yuan }} 元。{{ event.product }}' },
      en: { text: 'Hi {{ profile.name | default: "friend" }}!' },
    },
  };

  it('creates, versions on edit, lists and archives', async () => {
    const created = await k.api('POST', '/v1/templates', wecomTemplate);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'welcome', channel: 'wecom', version: 1, defaultLocale: 'zh-CN' });
    const id = created.body.id as string;
    expect((await k.api('POST', '/v1/templates', wecomTemplate)).body.error.code).toBe('CONFLICT');

    const edited = await k.api('PATCH', `/v1/templates/${id}`, { variants: { ...wecomTemplate.variants, en: { text: 'Hello {{ profile.name }}' } } });
    expect(edited.status).toBe(200);
    expect(edited.body.version).toBe(2);
    const renamed = await k.api('PATCH', `/v1/templates/${id}`, { name: 'welcome-2' });
    expect(renamed.body.version).toBe(2); // a rename is not a new version
    const got = await k.api('GET', `/v1/templates/${id}`);
    expect(got.body.versions.map((v: any) => v.version)).toEqual([2, 1]);
    expect(got.body.versions[1].variants.en.text).toBe('Hi {{ profile.name | default: "friend" }}!');

    expect((await k.api('GET', '/v1/templates?channel=wecom')).body.data.map((t: any) => t.id)).toContain(id);
    expect((await k.api('DELETE', `/v1/templates/${id}`)).status).toBe(204);
    expect((await k.api('GET', '/v1/templates?status=active')).body.data.map((t: any) => t.id)).not.toContain(id);
    expect((await k.api('GET', '/v1/templates/tpl_nope')).body.error.code).toBe('TEMPLATE_NOT_FOUND');
  });

  it('refuses a template that does not parse, naming the field, line and column', async () => {
    const res = await k.api('POST', '/v1/templates', {
      name: 'broken',
      channel: 'email',
      variants: {
        'zh-CN': { subject: 'ok', html: '<p>line one</p>\n<p>{{ profile.name | shout }}</p>' },
        en: { subject: '{% if x %}never closed', text: 'x' },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('TEMPLATE_INVALID');
    expect(res.body.error.message).toContain('variants.zh-CN.html (line 2, column 4): undefined filter: shout');
    expect(res.body.error.details.problems).toEqual([
      { path: 'variants.zh-CN.html', line: 2, column: 4, message: 'undefined filter: shout' },
      expect.objectContaining({ path: 'variants.en.subject', line: 1, column: 1 }),
    ]);
  });

  it('refuses text PostgreSQL cannot store (NUL, a lone surrogate) in content or name with a 400 naming where', async () => {
    const surrogate = await k.api('POST', '/v1/templates', { name: 'sur', channel: 'wecom', variants: { 'zh-CN': { text: '{% if x %}\ud800{% endif %}' } } });
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.error).toMatchObject({
      code: 'TEMPLATE_INVALID',
      message: expect.stringMatching(/^variants\.zh-CN\.text contains a lone UTF-16 surrogate/),
    });
    const nul = await k.api('POST', '/v1/templates', { name: 'nul', channel: 'webhook', variants: { 'zh-CN': { body: { ['k\u0000']: 'v' } } } });
    expect(nul.body.error).toMatchObject({
      code: 'TEMPLATE_INVALID',
      message: expect.stringMatching(/^variants\.zh-CN\.body\.k\u0000 the key contains U\+0000/),
    });
    const name = await k.api('POST', '/v1/templates', { name: 'a\u0000b', channel: 'wecom', variants: { 'zh-CN': { text: 'hi' } } });
    expect(name.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^name contains U\+0000/) });
  });

  it("checks each channel's content shape", async () => {
    const cases: [string, unknown, string][] = [
      ['sms', { params: { a: 'b' } }, 'templateCode: is required'],
      ['email', { subject: 'x' }, 'needs "html" or "text"'],
      ['wechat_oa', { templateId: 't' }, 'data: is required'],
      ['miniprogram', { templateId: 't', data: { thing1: 5 } }, 'data.thing1: must be a string'],
      ['webhook', { body: 'x' }, 'body: is required'],
      ['wecom', { text: 'x', mystery: 1 }, 'mystery: is not a field'],
    ];
    for (const [channel, content, msg] of cases) {
      const res = await k.api('POST', '/v1/templates', { name: `shape-${channel}`, channel, variants: { 'zh-CN': content } });
      expect(res.body.error?.code, channel).toBe('TEMPLATE_INVALID');
      expect(res.body.error.message, channel).toContain(msg);
    }
  });

  it('previews with a real profile: traits, computed values, event, locale fallback', async () => {
    const created = await k.api('POST', '/v1/templates', { ...wecomTemplate, name: 'preview-me' });
    const id = created.body.id;
    const pid = await k.profile('u-preview', { name: '小王', locale: 'en-US' });
    const en = await k.api('POST', `/v1/templates/${id}/preview`, { profileId: pid });
    expect(en.body).toMatchObject({ locale: 'en', version: 1, content: { text: 'Hi 小王!' } });
    const zh = await k.api('POST', `/v1/templates/${id}/preview`, { profileId: 'user_id:u-preview', locale: 'zh', event: { product: '咖啡' } });
    expect(zh.body).toMatchObject({ locale: 'zh-CN', content: { text: '你好，小王！您已消费 0.00 元。咖啡' } });
    const fr = await k.api('POST', `/v1/templates/${id}/preview`, { profile: {}, locale: 'fr' });
    expect(fr.body).toMatchObject({ locale: 'zh-CN', content: { text: '你好，朋友！您已消费  元。' } });
    expect((await k.api('POST', `/v1/templates/${id}/preview`, { profileId: 'prf_missing' })).body.error.code).toBe('PROFILE_NOT_FOUND');
  });

  it('reports a template that parses but fails to render as TEMPLATE_RENDER_FAILED', async () => {
    const created = await k.api('POST', '/v1/templates', {
      name: 'include',
      channel: 'wecom',
      variants: { 'zh-CN': { text: 'a\n{% include "secrets.txt" %}' } },
    });
    expect(created.status).toBe(201);
    const res = await k.api('POST', `/v1/templates/${created.body.id}/preview`, { profile: {} });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('TEMPLATE_RENDER_FAILED');
    expect(res.body.error.message).toMatch(/content\.text \(line 2, column 1\)/);
  });

  it('bounds rendering: a doubling template fails fast in preview (422) and in a send (failed, with the reason); a normal one still renders', async () => {
    const rss = process.memoryUsage().rss;
    for (const [kind, text] of Object.entries(HOSTILE_TEMPLATES)) {
      const created = await k.api('POST', '/v1/templates', { name: `hostile-${kind}`, channel: 'wecom', variants: { 'zh-CN': { text } } });
      expect(created.status, kind).toBe(201);
      const started = Date.now();
      const res = await k.api('POST', `/v1/templates/${created.body.id}/preview`, { profile: {} });
      expect(Date.now() - started, kind).toBeLessThan(5000);
      expect(res.status, kind).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'TEMPLATE_RENDER_FAILED', details: { limit: 'output' } });
      expect(res.body.error.message, kind).toContain('content.text (line 1, column');
      expect(res.body.error.message, kind).toContain('more than 2,000,000 characters');
    }
    // The process grew by 1.6 GB; within the limits it is a few megabytes.
    expect((process.memoryUsage().rss - rss) / 1e6).toBeLessThan(300);

    const pid = await k.profile('u-hostile', { name: 'x' });
    const sent = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'webhook',
      purpose: 'service',
      content: { body: { ok: 'fine', bomb: HOSTILE_TEMPLATES.capture } },
      idempotencyKey: 'hostile-1',
    });
    expect(sent.status).toBe(202);
    await k.dispatcher.runOnce();
    const msg = (await k.api('GET', `/v1/messages/${sent.body.id}`)).body;
    expect(msg).toMatchObject({ status: 'failed', errorCode: 'TEMPLATE_RENDER_FAILED', rendered: null });
    expect(msg.reason).toContain('content.body.bomb (line 1, column');
    expect(msg.reason).toContain('more than 2,000,000 characters');

    const normal = await k.api('POST', '/v1/templates', { ...wecomTemplate, name: 'after-hostile' });
    const ok = await k.api('POST', `/v1/templates/${normal.body.id}/preview`, { profile: { name: '小李' } });
    expect(ok.body).toMatchObject({ content: { text: '你好，小李！您已消费  元。' } });
  });

  it('warns when a template uses unsubscribe or tracked links without a linkBaseUrl, and a send fails (link_base_url_missing) instead of mailing a dead link', async () => {
    const variants = {
      'zh-CN': { subject: '双11', html: '<p>{{ profile.name }}</p><a href="{{ unsubscribe_url }}">退订</a>' },
      en: { subject: 'Sale', text: 'Shop: {{ "https://shop.example/11" | track }}' },
    };
    const created = await k.api('POST', '/v1/templates', { name: 'links', channel: 'email', purpose: 'service', variants });
    expect(created.status).toBe(201);
    expect(created.body.warnings).toEqual([{ code: 'LINK_BASE_URL_MISSING', message: expect.stringContaining('PATCH /v1/messaging/settings') }]);
    const warning = created.body.warnings[0].message as string;
    expect(warning).toContain('variants.zh-CN.html ({{ unsubscribe_url }})');
    expect(warning).toContain('variants.en.text (| track)');
    expect(warning).toContain('link_base_url_missing');
    // A template without such links, or with its own variable of that name, has no warning.
    const plain = await k.api('POST', '/v1/templates', {
      name: 'no-links',
      channel: 'email',
      variants: { 'zh-CN': { subject: 'x', text: 'hi {{ profile.name }}' } },
    });
    expect(plain.body.warnings).toEqual([]);
    const local = { 'zh-CN': { subject: 'x', text: '{% assign unsubscribe_url = "回复 TD 退订" %}{{ unsubscribe_url }}' } };
    expect((await k.api('POST', '/v1/templates', { name: 'local-var', channel: 'email', variants: local })).body.warnings).toEqual([]);

    const preview = await k.api('POST', `/v1/templates/${created.body.id}/preview`, { profile: { name: '小王' }, locale: 'zh-CN' });
    expect(preview.status).toBe(200);
    expect(preview.body.content.html).toContain('<a href="">退订</a>');
    expect(preview.body.warnings).toEqual([{ code: 'LINK_BASE_URL_MISSING', message: expect.stringContaining('content.html ({{ unsubscribe_url }})') }]);

    const pid = await k.profile('u-links', { name: '小王', email: 'wang@example.com' });
    const sent = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'email', templateId: created.body.id, idempotencyKey: 'links-1' });
    await k.dispatcher.runOnce();
    const msg = (await k.api('GET', `/v1/messages/${sent.body.id}`)).body;
    expect(msg).toMatchObject({ status: 'failed', reason: 'link_base_url_missing', errorCode: 'LINK_BASE_URL_MISSING', rendered: null, sentAt: null });

    // With the public base URL set, the same template saves and previews without a warning.
    expect((await k.api('PATCH', '/v1/messaging/settings', { linkBaseUrl: 'https://siyu.example.com' })).status).toBe(200);
    try {
      const again = await k.api('PATCH', `/v1/templates/${created.body.id}`, { name: 'links-2' });
      expect(again.body.warnings).toEqual([]);
      const ok = await k.api('POST', `/v1/templates/${created.body.id}/preview`, { profile: { name: '小王' }, locale: 'zh-CN' });
      expect(ok.body.warnings).toEqual([]);
      expect(ok.body.content.html).toContain('href="https://siyu.example.com/');
    } finally {
      await k.api('PATCH', '/v1/messaging/settings', { linkBaseUrl: null });
    }
  });
});
