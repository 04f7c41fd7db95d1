import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { createChannels } from './channels/index.js';
import { mdb } from './deps.js';
import { createDispatcher } from './dispatcher.js';
import { enqueueMessage } from './outbox.js';
import { json, messagingTestApp, startHttpRecorder } from './test-kit.js';

class Crash extends Error {}

describeEngines('outbox and dispatcher', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    hook = await startHttpRecorder((r, res) =>
      r.path === '/cgi-bin/token' ? json(res, 200, { access_token: 't', expires_in: 7200 }) : json(res, 200, { errcode: 0, msgid: 1 }),
    );
    await k.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/hook`, signingSecret: 's' });
    await k.api('PUT', '/v1/channels/miniprogram', { appId: 'wxmp', appSecret: 'x', apiBaseUrl: hook.url });
    await k.api('PATCH', '/v1/messaging/settings', { consent: { marketingRequiresOptIn: false } });
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });
  const db = () => k.t.database.db;
  const row = (id: string) => mdb(db()).selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const base = (profileId: string, key: string) => ({
    workspaceId: k.t.workspaceId,
    profileId,
    channel: 'webhook' as const,
    content: { body: { key } },
    purpose: 'service' as const,
    idempotencyKey: key,
    source: { kind: 'journey' as const, id: 'jrn_1', step: 'send-1' },
    now: k.t.clock.now(),
  });

  it("enqueues in the caller's transaction, once per idempotency key", async () => {
    const pid = await k.profile('o-1');
    await expect(
      db()
        .transaction()
        .execute(async (trx) => {
          await enqueueMessage(trx, base(pid, 'rolled-back'));
          throw new Error('journey step failed');
        }),
    ).rejects.toThrow('journey step failed');
    expect(await mdb(db()).selectFrom('messages').select('id').where('idempotency_key', '=', 'rolled-back').execute()).toEqual([]);

    const a = await db()
      .transaction()
      .execute((trx) => enqueueMessage(trx, base(pid, 'state1:step2:entry1')));
    const b = await db()
      .transaction()
      .execute((trx) => enqueueMessage(trx, { ...base(pid, 'state1:step2:entry1'), content: { body: { other: 1 } } }));
    expect(a).toMatchObject({ created: true, status: 'queued' });
    expect(b).toEqual({ id: a.id, created: false, status: 'queued' });
    expect(await row(a.id)).toMatchObject({ source_kind: 'journey', source_id: 'jrn_1', source_step: 'send-1' });
    const viaApi = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'webhook', content: { body: {} }, idempotencyKey: 'state1:step2:entry1' });
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.id).toBe(a.id);
    expect((await k.api('POST', '/v1/messages', { profileId: pid, channel: 'webhook', content: { body: {} } })).body.error.code).toBe('VALIDATION_FAILED');
    const tpl = await k.api('POST', '/v1/templates', { name: 'o-sms', channel: 'sms', variants: { 'zh-CN': { templateCode: 'T' } } });
    await expect(
      db()
        .transaction()
        .execute((trx) => enqueueMessage(trx, { ...base(pid, 'o-x'), content: undefined, templateId: tpl.body.id })),
    ).rejects.toThrow(/is for channel sms/);
    await k.dispatcher.runOnce();
    expect((await row(a.id)).status).toBe('sent');
    const listed = (await k.api('GET', `/v1/messages?profileId=user_id:o-1`)).body.data;
    expect(listed.map((m: any) => m.id)).toEqual([a.id]);
  });

  it('after a crash between the provider call and the record, resends only where the provider dedupes', async () => {
    const pid = await k.profile('o-2', {}, [{ type: 'openid:wxmp', id: 'oMP' }]);
    const hookMsg = await db()
      .transaction()
      .execute((trx) => enqueueMessage(trx, base(pid, 'crash-webhook')));
    const mpMsg = await db()
      .transaction()
      .execute((trx) => enqueueMessage(trx, { ...base(pid, 'crash-mp'), channel: 'miniprogram', content: { templateId: 'T', data: { a: 'b' } } }));
    const sends = () => hook.requests.filter((r) => r.path !== '/cgi-bin/token').length;
    const before = sends();
    // This worker "dies" right after each provider answered, before recording anything.
    const dying = createDispatcher(k.deps, createChannels(), {
      leaseMs: 60_000,
      afterSend: () => {
        throw new Crash();
      },
    });
    await expect(dying.runOnce()).rejects.toThrow(Crash);
    expect(sends() - before).toBe(2);
    expect((await row(hookMsg.id)).status).toBe('sending');
    expect((await row(mpMsg.id)).status).toBe('sending');

    // A healthy worker leaves leased rows alone until the lease runs out.
    expect((await k.dispatcher.runOnce()).claimed).toBe(0);
    k.t.clock.advance(60_001);
    const stats = await k.dispatcher.runOnce();
    expect(stats).toMatchObject({ claimed: 2, sent: 1, unknown: 1 });
    // Webhook: resent with the same idempotency key and the same body (receivers dedupe on it).
    const hookCalls = hook.requests.filter((r) => r.headers['x-siyu-idempotency-key'] === hookMsg.id);
    expect(hookCalls).toHaveLength(2);
    expect(JSON.parse(hookCalls[1]!.body).body).toEqual(JSON.parse(hookCalls[0]!.body).body);
    expect(await row(hookMsg.id)).toMatchObject({ status: 'sent', attempts: 2 });
    // Mini-program subscribe messages cannot be deduplicated: never sent twice, marked unknown.
    expect(hook.requests.filter((r) => r.path === '/cgi-bin/message/subscribe/send')).toHaveLength(1);
    expect(await row(mpMsg.id)).toMatchObject({ status: 'unknown', reason: 'outcome_unknown_after_crash' });
    expect(await k.events(pid, 'Message Sent')).toHaveLength(1);
  });

  it('two dispatchers on one database send each message once and share a cap without overshooting', async () => {
    await k.api('PATCH', '/v1/messaging/settings', { caps: { marketing: { perDay: 2, perWeek: 10 } } });
    const pids = await Promise.all(Array.from({ length: 12 }, (_, i) => k.profile(`par-${i}`)));
    const capped = await k.profile('par-capped');
    const keys: string[] = [];
    await db()
      .transaction()
      .execute(async (trx) => {
        for (const [i, pid] of pids.entries())
          for (let j = 0; j < 3; j++) {
            keys.push(`par-${i}-${j}`);
            await enqueueMessage(trx, { ...base(pid, `par-${i}-${j}`), now: k.t.clock.now() });
          }
        for (let j = 0; j < 6; j++) await enqueueMessage(trx, { ...base(capped, `cap-${j}`), purpose: 'marketing', now: k.t.clock.now() });
      });
    const start = hook.requests.length;
    const workers = [0, 1].map(() => createDispatcher(k.deps, createChannels(), { batchSize: 4, concurrency: 2 }));
    const drain = async (d: (typeof workers)[number]) => {
      for (let i = 0; i < 50; i++) if ((await d.runOnce()).claimed === 0) return;
    };
    await Promise.all(workers.map(drain));
    const calls = hook.requests.slice(start).map((r) => JSON.parse(r.body).body.key as string);
    expect(calls.filter((c) => c.startsWith('par-')).sort()).toEqual([...keys].sort());
    expect(calls.filter((c) => c.startsWith('cap-'))).toHaveLength(2);
    const cappedRows = await mdb(db()).selectFrom('messages').select(['status', 'reason']).where('profile_id', '=', capped).execute();
    expect(cappedRows.filter((r) => r.status === 'sent')).toHaveLength(2);
    expect(cappedRows.filter((r) => r.status === 'suppressed').every((r) => r.reason === 'frequency_cap:marketing:day')).toBe(true);
  });
});
