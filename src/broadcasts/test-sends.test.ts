import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { json, messagingTestApp, startHttpRecorder } from '../messaging/test-kit.js';

/** Tuesday 2026-11-03 08:52 in Shanghai: inside the default marketing quiet hours (21:00-09:00). */
const BEFORE_NINE_SHANGHAI = Date.parse('2026-11-03T00:52:00Z');

describeEngines('broadcast test sends', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine, { clockStart: BEFORE_NINE_SHANGHAI });
    hook = await startHttpRecorder((_r, res) => json(res, 200, {}));
    expect((await k.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/in`, signingSecret: 's' })).status).toBe(200);
    expect((await k.api('PUT', '/v1/channels/email', { host: 'smtp.example.com', port: 25, from: 'shop@example.com' })).status).toBe(200);
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });

  /** A draft broadcast of a channel to a static segment of the given users. */
  async function broadcast(channel: string, content: object, users: string[]) {
    const seg = await k.api('POST', '/v1/segments', { name: `seg-${channel}-${users.join('-')}`, kind: 'static' });
    expect(seg.status).toBe(201);
    const add = await k.t.app.inject({
      method: 'POST',
      url: `/v1/segments/${seg.body.id}/members`,
      headers: { authorization: `Bearer ${k.t.secretKey}`, 'content-type': 'text/csv' },
      payload: 'identifier\n' + users.map((u) => `user_id:${u}`).join('\n') + '\n',
    });
    expect(add.statusCode, add.body).toBe(200);
    const b = await k.api('POST', '/v1/broadcasts', { name: `test-${channel}-${users.join('-')}`, channel, segmentId: seg.body.id, content });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    return b.body.id as string;
  }

  it('sends at once at 08:52 Shanghai to a profile without consent, reporting the guardrails it did not apply', async () => {
    const pid = await k.profile('tester-1', { name: '店长' });
    const id = await broadcast('webhook', { body: { hello: '{{ profile.name }}' } }, ['tester-1']);
    const test = await k.api('POST', `/v1/broadcasts/${id}/test`, { profiles: ['user_id:tester-1'] });
    expect(test.status, JSON.stringify(test.body)).toBe(202);
    expect(test.body.messages).toEqual([
      {
        profileId: pid,
        messageId: expect.any(String),
        status: 'queued',
        guardrails: [
          { code: 'consent_missing:marketing:webhook', message: expect.stringContaining('a real send would be suppressed') },
          { code: 'quiet_hours', message: expect.stringContaining('held until 2026-11-03T01:00:00.000Z') },
        ],
      },
    ]);
    // The dispatcher's next pass sends it: no hold until 09:00, no suppression.
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1, held: 0, suppressed: 0 });
    expect(hook.requests).toHaveLength(1);
    expect(JSON.parse(hook.requests[0]!.body).body).toEqual({ hello: '店长' });
    const msg = (await k.api('GET', `/v1/messages/${test.body.messages[0].messageId}`)).body;
    expect(msg).toMatchObject({ status: 'sent', test: true, source: { kind: 'broadcast', id, step: 'test' } });

    // The guardrails still apply to everything else: a real marketing message at 08:52 is suppressed
    // without consent, and with consent waits for 09:00.
    const real = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'webhook', content: { body: { a: 1 } }, idempotencyKey: 'real-0852' });
    await k.dispatcher.runOnce();
    expect((await k.api('GET', `/v1/messages/${real.body.id}`)).body).toMatchObject({
      status: 'suppressed',
      reason: 'consent_missing:marketing:webhook',
      test: false,
    });
    await k.api('POST', `/v1/profiles/${pid}/consent`, { purpose: 'marketing', channel: '*', granted: true, source: 'signup_form' });
    const consented = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'webhook', content: { body: { a: 2 } }, idempotencyKey: 'real-0852-b' });
    await k.dispatcher.runOnce();
    expect((await k.api('GET', `/v1/messages/${consented.body.id}`)).body).toMatchObject({ status: 'held', reason: 'quiet_hours' });
    expect(hook.requests).toHaveLength(1);
  });

  it('refuses a recipient without an address for the channel (400), queueing nothing', async () => {
    const withEmail = await k.profile('tester-2', { email: 'boss@example.com' });
    const without = await k.profile('tester-3', { name: 'no email' });
    const id = await broadcast('email', { subject: 'Double 11', text: 'hi' }, ['tester-2', 'tester-3']);
    const res = await k.api('POST', `/v1/broadcasts/${id}/test`, { profiles: ['user_id:tester-2', 'user_id:tester-3'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'RECIPIENT_NO_ADDRESS', details: { recipients: [{ profileId: without, reason: 'no_address:email' }] } });
    expect(res.body.error.message).toContain(`${without} (no_address:email)`);
    expect(res.body.error.message).not.toContain(withEmail);
    const queued = await k.api('GET', `/v1/messages?sourceId=${id}`);
    expect(queued.body.data).toEqual([]);
  });
});
