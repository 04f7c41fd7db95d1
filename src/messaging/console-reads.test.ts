import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { CHANNEL_SPECS } from './channel-config.js';
import { CHANNELS } from './content.js';
import { messagingTestApp } from './test-kit.js';

/** The reads the console's messaging screens are built on: every channel with its form, and the workspace's consent ledger search. */
describeEngines('messaging reads for the console', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
  });
  afterAll(() => k?.close());

  it('lists every channel with its configuration fields, secret fields, address kind and test content, never a secret value', async () => {
    const before = await k.api('GET', '/v1/channels');
    expect(before.status).toBe(200);
    expect(before.body.nextCursor).toBeNull();
    expect(before.body.data.map((c: { channel: string }) => c.channel)).toEqual([...CHANNELS]);
    const byName = (body: { data: Record<string, any>[] }, ch: string) => body.data.find((c) => c.channel === ch)!;
    expect(byName(before.body, 'webhook')).toEqual({
      channel: 'webhook',
      configured: false,
      config: {},
      secretsSet: [],
      updatedAt: null,
      fields: [
        { name: 'url', type: 'url', required: true },
        { name: 'timeoutMs', type: 'int', required: false },
      ],
      secrets: [{ name: 'signingSecret', required: true }],
      address: 'none',
      connection: null,
      testContent: 'optional',
    });
    expect(byName(before.body, 'sms')).toMatchObject({ address: 'phone', testContent: 'required', connection: null });
    expect(byName(before.body, 'email')).toMatchObject({ address: 'email', testContent: 'optional' });
    expect(byName(before.body, 'wechat_oa')).toMatchObject({ address: 'openid', testContent: 'required' });
    expect(byName(before.body, 'wecom')).toMatchObject({ address: 'external_userid', connection: 'wecom', fields: [], secrets: [] });
    expect(byName(before.body, 'wecom_group')).toMatchObject({ address: 'group', connection: 'wecom' });
    // Each channel's form is its spec, field for field.
    for (const ch of CHANNELS) {
      const c = byName(before.body, ch);
      expect(
        c.fields.map((f: { name: string }) => f.name),
        ch,
      ).toEqual(Object.keys(CHANNEL_SPECS[ch].fields));
      expect(
        c.secrets.map((f: { name: string }) => f.name),
        ch,
      ).toEqual(Object.keys(CHANNEL_SPECS[ch].secrets));
    }

    const put = await k.api('PUT', '/v1/channels/email', { host: 'smtp.example.com', port: 25, from: 'shop@example.com', password: 'hunter2-secret' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ channel: 'email', configured: true, config: { host: 'smtp.example.com', port: 25 }, secretsSet: ['password'] });
    const after = await k.api('GET', '/v1/channels');
    expect(byName(after.body, 'email')).toMatchObject({ configured: true, secretsSet: ['password'], config: { from: 'shop@example.com' } });
    expect(JSON.stringify(after.body)).not.toContain('hunter2-secret');
  });

  it('answers the guardrail settings and a template with their declared shapes (the console derives its types from them)', async () => {
    const settings = await k.api('GET', '/v1/messaging/settings');
    expect(settings.body).toMatchObject({
      quietHours: { start: '21:00', end: '09:00', appliesTo: 'marketing' },
      caps: { marketing: { perDay: 2, perWeek: 5 } },
    });
    const changed = await k.api('PATCH', '/v1/messaging/settings', {
      quietHours: { start: '22:00', end: '08:00' },
      caps: { channels: { sms: { perDay: 1 } } },
    });
    expect(changed.body).toMatchObject({ quietHours: { start: '22:00', end: '08:00' }, caps: { channels: { sms: { perDay: 1 } }, onLimit: 'suppress' } });
    const tpl = await k.api('POST', '/v1/templates', {
      name: 'reads-hello',
      channel: 'webhook',
      variants: { 'zh-CN': { body: { hi: '{{ profile.name }}' } }, en: { body: { hi: 'hello' } } },
    });
    expect(tpl.status).toBe(201);
    expect(Object.keys(tpl.body).sort()).toEqual(
      ['channel', 'createdAt', 'defaultLocale', 'id', 'name', 'purpose', 'status', 'updatedAt', 'variants', 'version', 'versions', 'warnings'].sort(),
    );
    expect(tpl.body.versions).toEqual([expect.objectContaining({ version: 1, defaultLocale: 'zh-CN' })]);
    const pid = await k.profile('reads-1', { name: '小王' });
    const preview = await k.api('POST', `/v1/templates/${tpl.body.id}/preview`, { profileId: pid });
    expect(preview.body).toEqual({ templateId: tpl.body.id, version: 1, channel: 'webhook', locale: 'zh-CN', content: { body: { hi: '小王' } }, warnings: [] });
  });

  it("searches the workspace's consent ledger by profile or identifier (with the profiles merged into it), purpose, channel, granted and source, a page at a time", async () => {
    const a = await k.profile('ledger-a');
    const b = await k.profile('ledger-b');
    // One second apart: the ledger lists the most recently recorded first.
    const consent = (pid: string, purpose: string, channel: string, granted: boolean, source: string) => {
      k.t.clock.advance(1000);
      return k.api('POST', `/v1/profiles/${pid}/consent`, { purpose, channel, granted, source });
    };
    await consent(a, 'marketing', 'sms', true, 'signup_form');
    await consent(b, 'marketing', 'email', true, 'signup_form');
    await consent(a, 'marketing', 'sms', false, 'unsubscribe_link');
    await consent(b, 'service', '*', true, 'store_counter');
    // A visitor who consented before signing in, then identified as ledger-a: merged into a.
    const anon = await k.t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(k.t.writeKey) },
      payload: { anonymousId: 'ledger-visitor', traits: { name: 'visitor' } },
    });
    expect(anon.statusCode).toBe(200);
    const visitor = (await k.api('GET', '/v1/profiles/anonymous_id:ledger-visitor')).body.id as string;
    expect(visitor).not.toBe(a);
    await consent(visitor, 'marketing', 'wechat_oa', true, 'h5_form');
    const link = await k.t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(k.t.writeKey) },
      payload: { userId: 'ledger-a', anonymousId: 'ledger-visitor' },
    });
    expect(link.statusCode).toBe(200);

    const search = async (q: string) => {
      const r = await k.api('GET', `/v1/messaging/consent${q}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { data: { profileId: string; purpose: string; channel: string; granted: boolean; source: string }[]; nextCursor: string | null };
    };
    const all = await search('');
    expect(all.data.map((r) => r.source)).toEqual(['h5_form', 'store_counter', 'unsubscribe_link', 'signup_form', 'signup_form']);
    const ofA = await search('?profile=user_id:ledger-a');
    expect(ofA.data.map((r) => [r.profileId, r.channel, r.granted])).toEqual([
      [visitor, 'wechat_oa', true],
      [a, 'sms', false],
      [a, 'sms', true],
    ]);
    expect((await search(`?profile=${a}&channel=sms&granted=false`)).data.map((r) => r.source)).toEqual(['unsubscribe_link']);
    expect((await search('?purpose=service')).data.map((r) => [r.profileId, r.channel])).toEqual([[b, '*']]);
    expect((await search('?source=signup_form')).data.map((r) => r.profileId)).toEqual([b, a]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((r) => r.source));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.data.map((r) => r.source));

    expect((await k.api('GET', '/v1/messaging/consent?profile=user_id:nobody')).body.error.code).toBe('PROFILE_NOT_FOUND');
    expect((await k.api('GET', '/v1/messaging/consent?channel=fax')).status).toBe(400);
    expect((await k.api('GET', '/v1/messaging/consent?cursor=nonsense')).status).toBe(400);
  });
});
