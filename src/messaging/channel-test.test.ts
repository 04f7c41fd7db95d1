import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { json, messagingTestApp, startHttpRecorder } from './test-kit.js';

/** 08:52 in Shanghai: inside the default quiet hours, which a channel test does not wait for. */
const BEFORE_NINE_SHANGHAI = Date.parse('2026-11-03T00:52:00Z');

describeEngines('channel tests', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let rec: Awaited<ReturnType<typeof startHttpRecorder>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine, { clockStart: BEFORE_NINE_SHANGHAI });
    rec = await startHttpRecorder((r, res) =>
      r.path === '/sms'
        ? json(res, 200, { code: 'OK', bizId: 'biz-test' })
        : r.path === '/bad'
          ? json(res, 500, { oops: 'internal detail' })
          : json(res, 200, {}),
    );
  });
  afterAll(async () => {
    await rec?.close();
    await k?.close();
  });
  const test = (channel: string, body?: object) => k.api('POST', `/v1/messaging/channels/${channel}/test`, body ?? {});

  it('sends a fixed test message now (webhook), or the given content to the given address (SMS), and answers the outcome', async () => {
    expect((await test('webhook')).body.error.code).toBe('CHANNEL_NOT_CONFIGURED');
    await k.api('PUT', '/v1/channels/webhook', { url: `${rec.url}/in`, signingSecret: 's' });
    const hook = await test('webhook');
    expect(hook.status).toBe(200);
    expect(hook.body).toEqual({ channel: 'webhook', messageId: expect.stringMatching(/^msg_/), status: 'sent' });
    expect(JSON.parse(rec.requests.at(-1)!.body)).toMatchObject({ id: hook.body.messageId, body: { test: true }, profileId: null, purpose: 'service' });

    await k.api('PUT', '/v1/channels/sms', { endpoint: `${rec.url}/sms`, accessKeyId: 'AK', signName: '思域', accessKeySecret: 'sk' });
    expect((await test('sms', { to: '13800138000' })).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('"content" is required for sms'),
    });
    const sms = await test('sms', { to: '138 0013 8000', content: { templateCode: 'SMS_TEST', params: { code: '{{ "12" | append: "34" }}' } } });
    expect(sms.body).toMatchObject({ channel: 'sms', status: 'sent', providerMessageId: 'biz-test' });
    expect(JSON.parse(rec.requests.at(-1)!.body)).toMatchObject({ phoneNumber: '+8613800138000', templateCode: 'SMS_TEST', templateParam: { code: '1234' } });

    // A provider's failure is the answer, in our words.
    await k.api('PUT', '/v1/channels/webhook', { url: `${rec.url}/bad`, signingSecret: 's' });
    const bad = await test('webhook');
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ status: 'failed', errorCode: 'http:500', message: 'webhook answered HTTP 500' });
    expect(JSON.stringify(bad.body)).not.toContain('internal detail');
    // Nothing was recorded as a message.
    expect((await k.api('GET', '/v1/messages')).body.data).toEqual([]);
  });

  it('refuses a missing or malformed address with 400', async () => {
    await k.api('PUT', '/v1/channels/email', { host: 'smtp.example.com', port: 25, from: 'shop@example.com' });
    expect((await test('email')).body.error).toMatchObject({ code: 'RECIPIENT_NO_ADDRESS', message: expect.stringContaining('an email address') });
    expect((await test('email')).status).toBe(400);
    expect((await test('email', { to: 'not-an-email' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await test('sms', { to: '12345', content: { templateCode: 'X' } })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await test('wecom', { to: 'wmEXTERNAL' })).body.error).toMatchObject({
      code: 'RECIPIENT_NO_ADDRESS',
      message: expect.stringContaining('"sender"'),
    });
    expect((await test('webhook', { to: 'x@example.com' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await test('fax')).status).toBe(404);
  });
});
