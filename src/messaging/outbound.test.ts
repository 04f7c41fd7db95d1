import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, openTestDatabase, testConfig } from '../../test/support/engines.js';
import { fixedClock } from '../platform/clock.js';
import { createGuardedFetch, parseAllowList } from '../platform/outbound.js';
import { createWorkspace } from '../platform/workspaces.js';
import { buildApp, createServices } from '../server/app.js';
import { json, messagingTestApp, NOON_SHANGHAI, startHttpRecorder } from './test-kit.js';

/** Channel URLs that name an internal address literally, in the spellings the issue found accepted. */
const INTERNAL = [
  'http://127.0.0.1:9/in',
  'http://localhost:9/in',
  'http://0.0.0.0/in',
  'http://2130706433/in',
  'http://0x7f.1/in',
  'http://[::ffff:127.0.0.1]/in',
  'http://[::1]/in',
  'http://10.1.2.3/in',
  'http://192.168.1.1/in',
  'http://169.254.169.254/latest/meta-data',
];

describeEngines('outbound requests to internal addresses', (engine) => {
  let strict: Awaited<ReturnType<typeof strictApp>>;
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  const strictFetch = () => createGuardedFetch(parseAllowList([]));

  /** The full app as `siyu serve` builds it with SIYU_OUTBOUND_ALLOW unset. */
  async function strictApp() {
    const database = await openTestDatabase(engine);
    const services = await createServices(testConfig(database.dataDir, { outboundAllow: [] }), {
      database,
      clock: fixedClock(NOON_SHANGHAI),
      log: pino({ level: 'silent' }),
      migrate: false,
    });
    const app = await buildApp(services);
    await app.ready();
    const { secretKey } = await createWorkspace(database.db, { name: 'strict' });
    const put = (channel: string, payload: object) =>
      app.inject({ method: 'PUT', url: `/v1/channels/${channel}`, headers: { authorization: `Bearer ${secretKey}` }, payload });
    return {
      put,
      close: async () => {
        await app.close();
        await services.writer.drain();
        await database.close();
      },
    };
  }

  beforeAll(async () => {
    strict = await strictApp();
    // The API of `k` allow-lists loopback (the tests' configuration); its dispatcher does not, as
    // after an operator removed an entry from SIYU_OUTBOUND_ALLOW.
    k = await messagingTestApp(engine, { deps: { fetch: strictFetch(), outboundAllow: parseAllowList([]) } });
    hook = await startHttpRecorder((_r, res) => json(res, 200, {}));
  });
  afterAll(async () => {
    await hook?.close();
    await strict?.close();
    await k?.close();
  });

  it('refuses to save a channel URL naming an internal address (400 CHANNEL_CONFIG_INVALID naming the field) unless allow-listed', async () => {
    for (const url of INTERNAL) {
      const res = await strict.put('webhook', { url, signingSecret: 's' });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toMatchObject({ code: 'CHANNEL_CONFIG_INVALID', details: { field: 'url' } });
      expect(res.json().error.message, url).toMatch(/^webhook: url points to .* an internal destination .*SIYU_OUTBOUND_ALLOW/);
    }
    const sms = await strict.put('sms', { endpoint: 'http://127.0.0.1:8080/sms', accessKeyId: 'a', signName: 's', accessKeySecret: 'k' });
    expect(sms.json().error).toMatchObject({ code: 'CHANNEL_CONFIG_INVALID', details: { field: 'endpoint' } });
    for (const channel of ['wechat_oa', 'miniprogram']) {
      const oa = await strict.put(channel, { appId: 'wx1', appSecret: 'x', apiBaseUrl: 'http://169.254.169.254' });
      expect(oa.json().error, channel).toMatchObject({ code: 'CHANNEL_CONFIG_INVALID', details: { field: 'apiBaseUrl' } });
      expect(oa.json().error.message, channel).toContain('169.254.169.254 (linkLocal address)');
    }
    // Public addresses and names are saved (names are checked on their address when called).
    expect((await strict.put('webhook', { url: 'https://hooks.example.com/in', signingSecret: 's' })).statusCode).toBe(200);
    expect((await strict.put('webhook', { url: 'http://93.184.216.34/in', signingSecret: 's' })).statusCode).toBe(200);
    // With the allow list (the tests' configuration), loopback is accepted.
    expect((await k.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/in`, signingSecret: 's' })).status).toBe(200);
  });

  it('fails a message whose destination is internal at send time with reason destination_blocked, once, without calling it', async () => {
    const pid = await k.profile('blocked-1');
    // A literal address (checked before connecting) and a name resolved to loopback (checked at connect time).
    for (const [i, url] of [`${hook.url}/in`, `${hook.url.replace('127.0.0.1', 'localhost')}/in`].entries()) {
      expect((await k.api('PUT', '/v1/channels/webhook', { url, signingSecret: 's' })).status).toBe(200);
      const sent = await k.api('POST', '/v1/messages', {
        profileId: pid,
        channel: 'webhook',
        purpose: 'service',
        content: { body: { a: 1 } },
        idempotencyKey: `blocked-${i}`,
      });
      expect(await k.dispatcher.runOnce()).toMatchObject({ failed: 1, retrying: 0 });
      const msg = (await k.api('GET', `/v1/messages/${sent.body.id}`)).body;
      expect(msg, url).toMatchObject({ status: 'failed', reason: 'destination_blocked', errorCode: 'OUTBOUND_BLOCKED', attempts: 1 });
      const failed = await k.events(pid, 'Message Failed');
      expect(failed.at(-1)!.payload.properties.errorMessage).toMatch(/is an internal destination \(loopback\).*SIYU_OUTBOUND_ALLOW/);
      // The tenant is not told what a name resolved to.
      expect(JSON.stringify(failed)).not.toContain('127.0.0.1 (');
    }
    expect(hook.requests).toHaveLength(0);
    // Nothing is retried later.
    k.t.clock.advance(2 * 3_600_000);
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 0 });
    expect(hook.requests).toHaveLength(0);
  });
});

describeEngines("providers' answers stay out of what tenants see", (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let upstream: Awaited<ReturnType<typeof startHttpRecorder>>;
  const SECRET = 'internal-host db-7.corp password=hunter2';
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    upstream = await startHttpRecorder((r, res) => {
      if (r.path === '/hook') return json(res, 400, { detail: SECRET });
      if (r.path === '/sms') return json(res, 200, { code: 'isv.BUSINESS_LIMIT_CONTROL', message: SECRET });
      if (r.path === '/sms500') return json(res, 503, { message: SECRET });
      if (r.path === '/cgi-bin/token') return json(res, 200, { access_token: 't', expires_in: 7200 });
      return json(res, 200, { errcode: 43101, errmsg: SECRET });
    });
    await k.api('PUT', '/v1/channels/webhook', { url: `${upstream.url}/hook`, signingSecret: 's' });
    await k.api('PUT', '/v1/channels/wechat_oa', { appId: 'wxoa', appSecret: 'x', apiBaseUrl: upstream.url });
  });
  afterAll(async () => {
    await upstream?.close();
    await k?.close();
  });

  it('keeps the HTTP status, the provider code and our words; the upstream body is not in the message or on the timeline', async () => {
    const pid = await k.profile('up-1', { phone: '13800138000' }, [{ type: 'openid:wxoa', id: 'o-up-1' }]);
    const send = async (channel: string, content: object, key: string) =>
      (await k.api('POST', '/v1/messages', { profileId: pid, channel, purpose: 'service', content, idempotencyKey: key })).body.id as string;
    const ids = {
      webhook: await send('webhook', { body: { a: 1 } }, 'up-webhook'),
      wechat: await send('wechat_oa', { templateId: 't', data: { a: 'b' } }, 'up-wechat'),
    };
    await k.api('PUT', '/v1/channels/sms', { endpoint: `${upstream.url}/sms`, accessKeyId: 'a', signName: 'S', accessKeySecret: 'k' });
    const sms = await send('sms', { templateCode: 'SMS_1' }, 'up-sms');
    await k.dispatcher.runOnce();
    await k.api('PUT', '/v1/channels/sms', { endpoint: `${upstream.url}/sms500`, accessKeyId: 'a', signName: 'S', accessKeySecret: 'k' });
    const sms500 = await send('sms', { templateCode: 'SMS_1' }, 'up-sms500');
    await k.dispatcher.runOnce();

    const view = async (id: string) => (await k.api('GET', `/v1/messages/${id}`)).body;
    expect(await view(ids.webhook)).toMatchObject({ status: 'failed', errorCode: 'http:400' });
    expect(await view(ids.wechat)).toMatchObject({ status: 'failed', errorCode: 'wechat:43101' });
    expect(await view(sms)).toMatchObject({ status: 'failed', errorCode: 'isv.BUSINESS_LIMIT_CONTROL' });
    expect(await view(sms500)).toMatchObject({ status: 'queued', reason: 'retrying', errorCode: 'http:503' });
    const failed = (await k.events(pid, 'Message Failed')).map((e) => e.payload.properties);
    expect(failed.map((p) => p.errorMessage).sort()).toEqual([
      'WeChat answered errcode 43101',
      'the SMS gateway refused the message (isv.BUSINESS_LIMIT_CONTROL, HTTP 200)',
      'webhook answered HTTP 400',
    ]);
    const seen = JSON.stringify([await view(ids.webhook), await view(ids.wechat), await view(sms), await view(sms500), failed]);
    expect(seen).not.toContain('hunter2');
    expect(seen).not.toContain('db-7.corp');
  });
});
