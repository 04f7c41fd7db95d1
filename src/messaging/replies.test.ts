import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { hmacBase64 } from './channels/sms.js';
import { mdb } from './deps.js';
import { json, messagingTestApp, startHttpRecorder } from './test-kit.js';

const HOUR = 3_600_000;

describeEngines('SMS replies (inbound from the gateway)', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let gw: Awaited<ReturnType<typeof startHttpRecorder>>;
  let biz = 0;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    gw = await startHttpRecorder((_r, res) => json(res, 200, { code: 'OK', bizId: `biz-${++biz}` }));
    await k.api('PUT', '/v1/channels/sms', {
      endpoint: `${gw.url}/sms/send`,
      accessKeyId: 'AK1',
      signName: '思域',
      accessKeySecret: 'sk-sms',
      receiptSecret: 'rk-sms',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await k?.close();
  });

  /** Sends one service SMS to the profile through the gateway and returns its message id. */
  async function sendSms(profileId: string, key: string): Promise<string> {
    const sent = await k.api('POST', '/v1/messages', {
      profileId,
      channel: 'sms',
      purpose: 'service',
      content: { templateCode: 'SMS_1', params: { n: '1' } },
      idempotencyKey: key,
    });
    expect(sent.status).toBe(202);
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1 });
    return sent.body.id as string;
  }

  /** POSTs a replies callback signed with the receipt secret (or `signature`). */
  async function reply(replies: unknown[], signature?: string) {
    const body = JSON.stringify({ replies });
    const ts = String(Math.floor(k.t.clock.now() / 1000));
    const res = await k.t.app.inject({
      method: 'POST',
      url: `/hooks/sms/${k.t.workspaceId}/replies`,
      headers: { 'content-type': 'application/json', 'x-siyu-timestamp': ts, 'x-siyu-signature': signature ?? hmacBase64('rk-sms', `${ts}\n${body}`) },
      payload: body,
    });
    return { status: res.statusCode, body: res.json() };
  }
  const iso = (ms: number) => new Date(ms).toISOString();

  it('matches a reply to the latest SMS sent to that phone: Message Replied on the timeline, replied_at on the message, once per reply', async () => {
    const pid = await k.profile('r-1', { phone: '13800138001', name: '甲' });
    const older = await sendSms(pid, 'r1-a');
    k.t.clock.advance(HOUR);
    const latest = await sendSms(pid, 'r1-b');
    const row = await mdb(k.t.database.db).selectFrom('messages').select(['address_key']).where('id', '=', latest).executeTakeFirstOrThrow();
    // Only a keyed hash of the phone is on the row, the same as the identity graph's key.
    expect(row.address_key).toBe((await k.t.services.cipher.forWorkspace(k.t.workspaceId)).lookupKey('phone', '+8613800138001'));
    expect(row.address_key).not.toContain('138');

    k.t.clock.advance(10 * 60_000);
    const at = k.t.clock.now() - 60_000;
    // A national number (no +86) names the same phone.
    const first = { id: 'mo-1', phoneNumber: '138 0013 8001', text: '  好的，明天到店  ', receivedAt: iso(at) };
    expect(await reply([first])).toEqual({ status: 200, body: { matched: 1, unmatched: 0, unknown: 0, duplicates: 0 } });
    const ev = await k.events(pid, 'Message Replied');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.at).toBe(at);
    expect(ev[0]!.payload.properties).toMatchObject({
      messageId: latest,
      channel: 'sms',
      purpose: 'service',
      source: 'api',
      excerpt: '好的，明天到店',
      replySeconds: 9 * 60,
    });
    expect((await k.api('GET', `/v1/messages/${latest}`)).body.repliedAt).toBe(iso(at));
    expect((await k.api('GET', `/v1/messages/${older}`)).body.repliedAt).toBeNull();

    // The gateway redelivers: nothing new.
    expect((await reply([first])).body).toEqual({ matched: 0, unmatched: 0, unknown: 0, duplicates: 1 });
    // A second reply is a second event; replied_at keeps the first. Without a gateway id, phone + time + text deduplicate.
    const long = '多'.repeat(250);
    const second = { phoneNumber: '+8613800138001', text: long, receivedAt: iso(at + 1000) };
    expect((await reply([second])).body).toMatchObject({ matched: 1 });
    expect((await reply([second])).body).toMatchObject({ matched: 0, duplicates: 1 });
    const all = await k.events(pid, 'Message Replied');
    expect(all).toHaveLength(2);
    expect(all.find((e) => e.at === at + 1000)!.payload.properties.excerpt).toBe(`${'多'.repeat(200)}…`);
    expect((await k.api('GET', `/v1/messages/${latest}`)).body.repliedAt).toBe(iso(at));
  });

  it('outside the reply window (default 72 h) a reply is an SMS Received event on the profile; the window is a setting', async () => {
    const pid = await k.profile('r-2', { phone: '+8613800138002' });
    const id = await sendSms(pid, 'r2-a');
    const sentAt = k.t.clock.now();
    k.t.clock.advance(73 * HOUR);
    const late = { id: 'mo-late', phoneNumber: '+8613800138002', text: 'TD', receivedAt: iso(k.t.clock.now()) };
    expect((await reply([late])).body).toEqual({ matched: 0, unmatched: 1, unknown: 0, duplicates: 0 });
    expect(await k.events(pid, 'Message Replied')).toHaveLength(0);
    const inbound = await k.events(pid, 'SMS Received');
    expect(inbound).toHaveLength(1);
    expect(inbound[0]!.payload.properties).toEqual({ channel: 'sms', excerpt: 'TD', matched: false });
    expect((await reply([late])).body).toMatchObject({ unmatched: 0, duplicates: 1 });

    expect((await k.api('PATCH', '/v1/messaging/settings', { replies: { windowHours: 0 } })).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'settings.replies.windowHours must be an integer 1..720 (hours)',
    });
    expect((await k.api('PATCH', '/v1/messaging/settings', { replies: { windowHours: 96 } })).status).toBe(200);
    try {
      expect((await reply([{ ...late, id: 'mo-late-2' }])).body).toMatchObject({ matched: 1 });
      expect((await k.events(pid, 'Message Replied'))[0]!.payload.properties).toMatchObject({ messageId: id, replySeconds: (73 * HOUR) / 1000 });
      // A reply written before the message went out answers nothing.
      expect((await reply([{ id: 'mo-early', phoneNumber: '+8613800138002', text: 'x', receivedAt: iso(sentAt - 1000) }])).body).toMatchObject({
        matched: 0,
        unmatched: 1,
      });
    } finally {
      await k.api('PATCH', '/v1/messaging/settings', { replies: { windowHours: 72 } });
    }
  });

  it('counts a phone nobody has as unknown, and refuses bad signatures and malformed replies whole', async () => {
    const pid = await k.profile('r-3', { phone: '+8613800138003' });
    await sendSms(pid, 'r3-a');
    const at = iso(k.t.clock.now());
    expect((await reply([{ phoneNumber: '+8613911112222', text: 'who?', receivedAt: at }])).body).toEqual({
      matched: 0,
      unmatched: 0,
      unknown: 1,
      duplicates: 0,
    });

    const good = { phoneNumber: '+8613800138003', text: 'ok', receivedAt: at };
    const bad = await reply([good], 'not-the-signature');
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('UNAUTHORIZED');
    const malformed = await reply([good, { phoneNumber: '+8613800138003', text: 'no time' }]);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'replies[1]: receivedAt is required (ISO-8601, e.g. 2026-11-03T12:00:00+08:00)',
    });
    // The valid first reply was not recorded either.
    expect(await k.events(pid, 'Message Replied')).toHaveLength(0);
    expect((await reply(Array.from({ length: 1001 }, () => good))).status).toBe(400);
    expect((await reply([good])).body).toMatchObject({ matched: 1 });
  });

  it('keeps other channels without an address key, and a failed SMS is never answered', async () => {
    const pid = await k.profile('r-4', { phone: '+8613800138004' });
    await k.api('PUT', '/v1/channels/webhook', { url: `${gw.url}/hook`, signingSecret: 'whsec' });
    const hook = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'webhook',
      purpose: 'service',
      content: { body: { a: 1 } },
      idempotencyKey: 'r4-hook',
    });
    await k.dispatcher.runOnce();
    expect(
      (await mdb(k.t.database.db).selectFrom('messages').select('address_key').where('id', '=', hook.body.id).executeTakeFirstOrThrow()).address_key,
    ).toBeNull();
    const id = await sendSms(pid, 'r4-a');
    // The handset never got it: the gateway's receipt says so.
    const receipt = JSON.stringify({ receipts: [{ outId: id, status: 'FAILED', errorCode: 'MOBILE_NOT_ON_SERVICE' }] });
    const ts = String(Math.floor(k.t.clock.now() / 1000));
    await k.t.app.inject({
      method: 'POST',
      url: `/hooks/sms/${k.t.workspaceId}/receipts`,
      headers: { 'content-type': 'application/json', 'x-siyu-timestamp': ts, 'x-siyu-signature': hmacBase64('rk-sms', `${ts}\n${receipt}`) },
      payload: receipt,
    });
    expect((await reply([{ phoneNumber: '+8613800138004', text: 'hm', receivedAt: iso(k.t.clock.now()) }])).body).toMatchObject({ matched: 0, unmatched: 1 });
  });

  it('answers an unknown workspace, a workspace without SMS and a wrong signature alike: the callback does not tell which workspaces have SMS', async () => {
    const bare = await k.t.newWorkspace('no sms');
    const body = JSON.stringify({ replies: [] });
    const ts = String(Math.floor(k.t.clock.now() / 1000));
    const answers = [];
    for (const kind of ['receipts', 'replies']) {
      for (const [ws, signature] of [
        ['ws_01NOSUCHWORKSPACE0000000000', hmacBase64('rk-sms', `${ts}\n${body}`)],
        [bare.workspaceId, hmacBase64('rk-sms', `${ts}\n${body}`)],
        [k.t.workspaceId, hmacBase64('wrong', `${ts}\n${body}`)],
      ]) {
        const res = await k.t.app.inject({
          method: 'POST',
          url: `/hooks/sms/${ws}/${kind}`,
          headers: { 'content-type': 'application/json', 'x-siyu-timestamp': ts, 'x-siyu-signature': signature! },
          payload: body,
        });
        answers.push({ kind, status: res.statusCode, body: res.json() });
      }
    }
    for (const a of answers) expect({ status: a.status, body: a.body }, a.kind).toEqual({ status: answers[0]!.status, body: answers[0]!.body });
    expect(answers[0]).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(answers[0]!.body.error.message).not.toMatch(/configured|SMS channel/i);
    // The right signature still works.
    expect((await reply([])).status).toBe(200);
  });
});
