import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { json, messagingTestApp, NOON_SHANGHAI, startHttpRecorder } from './test-kit.js';

describeEngines('guardrails and the consent ledger', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    hook = await startHttpRecorder((_r, res) => json(res, 200, { code: 'OK', bizId: 'b1' }));
    await k.api('PUT', '/v1/channels/webhook', { url: hook.url, signingSecret: 's' });
    await k.api('PUT', '/v1/channels/sms', { endpoint: hook.url, accessKeyId: 'a', signName: 'S', accessKeySecret: 'k' });
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });
  beforeAll(() => k.t.clock.set(NOON_SHANGHAI));

  const send = (profileId: string, key: string, extra: Record<string, unknown> = {}) =>
    k.api('POST', '/v1/messages', { profileId, channel: 'webhook', purpose: 'marketing', content: { body: { k: key } }, idempotencyKey: key, ...extra });
  const status = async (id: string) => (await k.api('GET', `/v1/messages/${id}`)).body;

  it('keeps an append-only consent ledger, mirrored into profiles.consent; the newest applicable entry decides', async () => {
    const pid = await k.profile('c-1');
    const grant = await k.api('POST', `/v1/profiles/${pid}/consent`, {
      purpose: 'marketing',
      channel: '*',
      granted: true,
      source: 'signup_form',
      evidence: { formVersion: 'v3', ip: '1.2.3.4' },
      at: '2026-11-02T00:00:00Z',
    });
    expect(grant.status).toBe(201);
    k.t.clock.advance(1000);
    await k.api('POST', '/v1/profiles/user_id:c-1/consent', { purpose: 'marketing', channel: 'sms', granted: false, source: 'customer_service_call' });
    const history = (await k.api('GET', `/v1/profiles/${pid}/consent/history`)).body.data;
    expect(history.map((r: any) => [r.channel, r.granted, r.source])).toEqual([
      ['sms', false, 'customer_service_call'],
      ['*', true, 'signup_form'],
    ]);
    expect(history[1].evidence).toEqual({ formVersion: 'v3', ip: '1.2.3.4' });
    const current = (await k.api('GET', `/v1/profiles/${pid}/consent`)).body.allowed;
    expect(current.marketing).toMatchObject({ sms: false, email: true, webhook: true });
    const profile = (await k.api('GET', `/v1/profiles/${pid}`)).body;
    expect(profile.consent).toMatchObject({ marketing: { granted: true, at: '2026-11-02T00:00:00.000Z' }, marketing_sms: { granted: false } });
    expect((await k.events(pid, 'Consent Withdrawn'))[0]!.payload.properties).toMatchObject({ purpose: 'marketing', channel: 'sms' });
    // The database refuses to rewrite history.
    await expect(sql`update consent_records set granted = 1`.execute(k.t.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from consent_records`.execute(k.t.database.db)).rejects.toThrow(/append-only/);
    expect((await k.api('POST', `/v1/profiles/${pid}/consent`, { purpose: 'marketing', channel: 'fax', granted: true, source: 'x' })).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('suppresses marketing without opt-in and after withdrawal; service goes unless withdrawn', async () => {
    const pid = await k.profile('c-2', { phone: '13900139000' });
    const noOptIn = await send(pid, 'g2-1');
    const service = await send(pid, 'g2-2', { purpose: 'service' });
    await k.dispatcher.runOnce();
    expect(await status(noOptIn.body.id)).toMatchObject({ status: 'suppressed', reason: 'consent_missing:marketing:webhook' });
    expect((await status(service.body.id)).status).toBe('sent');
    // Consent tracked through the CDP (context.consent.categoryPreferences) counts too.
    await k.t.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: 'Basic ' + Buffer.from(k.t.writeKey + ':').toString('base64') },
      payload: { userId: 'c-2', event: 'Prefs', context: { consent: { categoryPreferences: { marketing_webhook: true } } } },
    });
    const tracked = await send(pid, 'g2-3');
    await k.dispatcher.runOnce();
    expect((await status(tracked.body.id)).status).toBe('sent');
  });

  it('one-click unsubscribe writes a withdrawal to the ledger and stops later marketing on that channel', async () => {
    await k.api('PATCH', '/v1/messaging/settings', { linkBaseUrl: 'https://siyu.test' });
    const pid = await k.profile('c-3', { phone: '13700137000' });
    await k.api('POST', `/v1/profiles/${pid}/consent`, { purpose: 'marketing', channel: '*', granted: true, source: 'signup_form' });
    const m = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'sms',
      content: { templateCode: 'SMS_1', params: { u: '{{ unsubscribe_url }}' } },
      idempotencyKey: 'g3-1',
      purpose: 'marketing',
    });
    await k.dispatcher.runOnce();
    const url = (await status(m.body.id)).rendered.params.u as string;
    expect(url).toMatch(/^https:\/\/siyu\.test\/u\//);
    const page = await k.t.app.inject({ method: 'GET', url: url.slice('https://siyu.test'.length), headers: { 'user-agent': 'UA/1' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('退订成功');
    await k.t.app.inject({
      method: 'POST',
      url: url.slice('https://siyu.test'.length),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    const history = (await k.api('GET', `/v1/profiles/${pid}/consent/history`)).body.data;
    expect(history.filter((r: any) => r.source === 'unsubscribe_link')).toEqual([
      expect.objectContaining({
        purpose: 'marketing',
        channel: 'sms',
        granted: false,
        evidence: expect.objectContaining({ messageId: m.body.id, userAgent: 'UA/1' }),
      }),
    ]);
    expect(await k.events(pid, 'Message Unsubscribed')).toHaveLength(1);
    const after = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'sms',
      content: { templateCode: 'SMS_1' },
      idempotencyKey: 'g3-2',
      purpose: 'marketing',
    });
    const otherChannel = await send(pid, 'g3-3');
    await k.dispatcher.runOnce();
    expect(await status(after.body.id)).toMatchObject({ status: 'suppressed', reason: 'consent_withdrawn:marketing:sms' });
    expect((await status(otherChannel.body.id)).status).toBe('sent');
    expect((await k.t.app.inject({ method: 'GET', url: '/u/garbage.token' })).json().error.code).toBe('LINK_INVALID');
  });

  it('holds marketing in quiet hours (profile time zone first) until the window opens; service is not held', async () => {
    await k.api('PATCH', '/v1/messaging/settings', { consent: { marketingRequiresOptIn: false } });
    k.t.clock.set(Date.parse('2026-11-03T14:30:00Z')); // 22:30 in Shanghai, 14:30 in London
    const sh = await k.profile('q-sh');
    const ldn = await k.profile('q-ldn', { timezone: 'Europe/London' });
    const m1 = await send(sh, 'q-1');
    const m2 = await send(ldn, 'q-2');
    const svc = await send(sh, 'q-3', { purpose: 'service' });
    await k.dispatcher.runOnce();
    expect(await status(m1.body.id)).toMatchObject({ status: 'held', reason: 'quiet_hours', nextAttemptAt: '2026-11-04T01:00:00.000Z' });
    expect((await status(m2.body.id)).status).toBe('sent');
    expect((await status(svc.body.id)).status).toBe('sent');
    k.t.clock.set(Date.parse('2026-11-04T00:59:00Z'));
    expect((await k.dispatcher.runOnce()).claimed).toBe(0);
    k.t.clock.set(Date.parse('2026-11-04T01:00:00Z'));
    await k.dispatcher.runOnce();
    expect((await status(m1.body.id)).status).toBe('sent');
  });

  it('caps marketing per local day and week, globally and per channel; onLimit defer holds instead', async () => {
    await k.api('PATCH', '/v1/messaging/settings', { caps: { marketing: { perDay: 2, perWeek: 3 }, channels: { sms: { perDay: 1 } }, onLimit: 'suppress' } });
    k.t.clock.set(Date.parse('2026-11-09T02:00:00Z')); // Monday 10:00 Shanghai
    const pid = await k.profile('cap-1', { phone: '13600136000' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await send(pid, `cap-a${i}`)).body.id);
    await k.dispatcher.runOnce();
    expect(await Promise.all(ids.map(async (id) => (await status(id)).status))).toEqual(['sent', 'sent', 'suppressed']);
    expect((await status(ids[2]!)).reason).toBe('frequency_cap:marketing:day');
    // Next day: one more fits the week (3), the second does not.
    k.t.clock.set(Date.parse('2026-11-10T02:00:00Z'));
    const w1 = (await send(pid, 'cap-b1')).body.id;
    const w2 = (await send(pid, 'cap-b2')).body.id;
    await k.dispatcher.runOnce();
    expect((await status(w1)).status).toBe('sent');
    expect(await status(w2)).toMatchObject({ status: 'suppressed', reason: 'frequency_cap:marketing:week' });
    // Service messages are not capped.
    const s1 = (await send(pid, 'cap-s1', { purpose: 'service' })).body.id;
    await k.dispatcher.runOnce();
    expect((await status(s1)).status).toBe('sent');

    // Per-channel cap, deferred: held until the next local day starts.
    await k.api('PATCH', '/v1/messaging/settings', { caps: { marketing: { perDay: 5, perWeek: 50 }, onLimit: 'defer' } });
    const other = await k.profile('cap-2', { phone: '13500135000' });
    const sms = (key: string) =>
      k.api('POST', '/v1/messages', { profileId: other, channel: 'sms', purpose: 'marketing', content: { templateCode: 'T' }, idempotencyKey: key });
    const a = (await sms('cap-sms-1')).body.id;
    const b = (await sms('cap-sms-2')).body.id;
    await k.dispatcher.runOnce();
    expect((await status(a)).status).toBe('sent');
    expect(await status(b)).toMatchObject({ status: 'held', reason: 'frequency_cap:marketing:sms:day', nextAttemptAt: '2026-11-10T16:00:00.000Z' });
  });

  it('validates settings with the field named', async () => {
    expect((await k.api('PATCH', '/v1/messaging/settings', { quietHours: { start: '25:00', end: '09:00' } })).body.error.message).toBe(
      'settings.quietHours.start must be "HH:MM" (24-hour)',
    );
    expect((await k.api('PATCH', '/v1/messaging/settings', { caps: { channels: { fax: { perDay: 1 } } } })).body.error.message).toContain(
      'settings.caps.channels.fax is not a channel',
    );
    expect((await k.api('GET', '/v1/messaging/settings')).body.quietHours).toEqual({ start: '21:00', end: '09:00', appliesTo: 'marketing' });
  });
});
