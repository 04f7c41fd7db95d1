import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../platform/clock.js';
import { createWorkspace } from '../platform/workspaces.js';
import { buildApp, createServices } from '../server/app.js';
import { basic, createTestApp, describeEngines, openTestDatabase, type TestApp, testConfig } from '../../test/support/engines.js';
import type { Engine } from '../platform/db/database.js';
import { clientIp, trustedProxies } from './tracking.client.js';
import { normaliseOriginList, originMatches } from './tracking.origins.js';
import type { TrackingOptions } from './deps.js';

/** Browser tracking (issue #21): CORS, analytics-next's short paths and settings, client context. */
describeEngines('tracking API from browsers', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  type Ws = { workspaceId: string; writeKey: string; secretKey: string };
  const post = (url: string, body: unknown, headers: Record<string, string> = {}, key = t.writeKey) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { authorization: basic(key), 'content-type': 'text/plain;charset=UTF-8', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const manage = (ws: Ws, method: 'GET' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${ws.secretKey}`, ...headers }, payload: body as object });
  const events = (ws: string) => t.database.db.selectFrom('events').select(['message_id', 'type', 'event', 'payload']).where('workspace_id', '=', ws).execute();
  const payloadOf = (row: { payload: unknown }) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, any>;

  it('answers preflights for the tracking routes, and only for them', async () => {
    for (const url of ['/v1/b', '/v1/t', '/v1/batch', '/v1/identify', '/v1/projects/wk_x/settings']) {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: 'https://shop.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-retry-count',
        },
      });
      expect(res.statusCode, url).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.example.com');
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      expect(String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)).toEqual(
        expect.arrayContaining(['content-type', 'authorization', 'x-retry-count']),
      );
      expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
      expect(res.headers.vary).toContain('Origin');
    }
    const ws: Ws = t;
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/profiles',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    for (const res of [
      await manage(ws, 'GET', '/v1/profiles', undefined, { origin: 'http://localhost:3000' }),
      await manage(ws, 'GET', '/v1/tracking/settings', undefined, { origin: 'http://localhost:3000' }),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('allows loopback pages by default, refuses other origins with 403 and no CORS header, storing nothing', async () => {
    const ws = await t.newWorkspace('default origins');
    const ok = await post('/v1/t', { userId: 'u1', event: 'E', messageId: 'dev-1' }, { origin: 'http://localhost:5173' }, ws.writeKey);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(ok.headers.vary).toContain('Origin');
    const refused = await post('/v1/t', { userId: 'u1', event: 'E', messageId: 'dev-2' }, { origin: 'https://evil.example' }, ws.writeKey);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect((await events(ws.workspaceId)).map((e) => e.message_id)).toEqual(['dev-1']);
    // Errors the SDK must be able to read (so it does not retry them) carry the header.
    const bad = await post('/v1/t', '{"userId":', { origin: 'https://evil.example' }, ws.writeKey);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe('https://evil.example');
    const wrongKey = await post('/v1/t', { userId: 'u', event: 'E' }, { origin: 'http://localhost:5173' }, 'wk_nope');
    expect(wrongKey.statusCode).toBe(401);
    expect(wrongKey.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  it('keeps allowed origins in the workspace settings, editable over the management API', async () => {
    const ws = await t.newWorkspace('origins');
    const set = await manage(ws, 'PATCH', '/v1/tracking/settings', {
      allowedOrigins: ['https://Shop.Example.com:443/', 'https://*.brand.cn', 'http://localhost:*'],
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({
      allowedOrigins: ['https://shop.example.com', 'https://*.brand.cn', 'http://localhost:*'],
      effectiveOrigins: ['https://shop.example.com', 'https://*.brand.cn', 'http://localhost:*'],
    });
    const settings = (await manage(ws, 'GET', '/v1/workspace')).json().settings;
    expect(settings.tracking.allowedOrigins).toEqual(['https://shop.example.com', 'https://*.brand.cn', 'http://localhost:*']);
    const status = async (origin: string) => (await post('/v1/t', { anonymousId: 'a', event: 'E' }, { origin }, ws.writeKey)).statusCode;
    expect(await status('https://shop.example.com')).toBe(200);
    expect(await status('https://m.brand.cn')).toBe(200);
    expect(await status('http://localhost:8080')).toBe(200);
    expect(await status('https://brand.cn')).toBe(403);
    expect(await status('http://shop.example.com')).toBe(403);
    expect(await status('http://127.0.0.1:8080')).toBe(403);
    // Other workspaces keep their own lists.
    expect((await post('/v1/t', { anonymousId: 'a', event: 'E' }, { origin: 'http://127.0.0.1:8080' })).statusCode).toBe(200);

    const bad = await manage(ws, 'PATCH', '/v1/tracking/settings', { allowedOrigins: ['https://ok.example', 'https://shop.example.com/path'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/allowedOrigins\[1\]: "https:\/\/shop.example.com\/path" is not an origin/);
    const reset = await manage(ws, 'PATCH', '/v1/tracking/settings', { allowedOrigins: null });
    expect(reset.json().allowedOrigins).toBeNull();
    expect(reset.json().effectiveOrigins).toContain('http://127.0.0.1:*');
    expect(await status('http://127.0.0.1:8080')).toBe(200);
    expect(await status('https://shop.example.com')).toBe(403);
  });

  it('takes the short paths as the long ones: same types, dedupe, limits; text/plain bodies with the key inside', async () => {
    const ws = await t.newWorkspace('short paths');
    const origin = { origin: 'http://localhost:3000' };
    const calls: [string, Record<string, unknown>][] = [
      ['/v1/t', { event: 'Viewed' }],
      ['/v1/i', { traits: { plan: 'pro' } }],
      ['/v1/p', { name: 'Home' }],
      ['/v1/s', { name: 'Cart' }],
      ['/v1/g', { groupId: 'g1' }],
      ['/v1/a', { previousId: 'old-anon' }],
    ];
    for (const [url, extra] of calls) {
      // As analytics-next sends it: text/plain, writeKey and sentAt in the body (and Basic auth, here left out).
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain', ...origin },
        payload: JSON.stringify({ writeKey: ws.writeKey, userId: 'short-user', messageId: `short${url}`, sentAt: new Date().toISOString(), ...extra }),
      });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    }
    const rows = await events(ws.workspaceId);
    expect(rows.map((r) => r.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
    expect(rows.every((r) => payloadOf(r).writeKey === undefined)).toBe(true);
    expect((await post('/v1/t', { userId: 'u', type: 'identify' }, origin, ws.writeKey)).json().error.message).toMatch(
      /does not match the endpoint \/v1\/track/,
    );

    // A burst through /b, resent after a lost answer: stored once.
    const batch = {
      batch: Array.from({ length: 30 }, (_, i) => ({ type: 'track', event: 'Burst', anonymousId: 'burst', messageId: `burst-${i}` })),
      sentAt: new Date().toISOString(),
    };
    expect((await post('/v1/b', batch, origin, ws.writeKey)).statusCode).toBe(200);
    expect((await post('/v1/b', batch, origin, ws.writeKey)).statusCode).toBe(200);
    expect((await events(ws.workspaceId)).filter((r) => r.event === 'Burst')).toHaveLength(30);

    // A 64 KB keepalive/sendBeacon body (the browsers' limit) fits; 500 KB does not.
    const beacon = {
      writeKey: ws.writeKey,
      batch: Array.from({ length: 8 }, (_, i) => ({
        type: 'track',
        event: 'Beacon',
        anonymousId: 'b',
        messageId: `beacon-${i}`,
        properties: { pad: 'x'.repeat(8000) },
      })),
    };
    const beaconText = JSON.stringify(beacon);
    expect(beaconText.length).toBeGreaterThan(63 * 1024);
    expect(beaconText.length).toBeLessThanOrEqual(64 * 1024);
    const sent = await t.app.inject({ method: 'POST', url: '/v1/b', headers: { 'content-type': 'text/plain;charset=UTF-8', ...origin }, payload: beaconText });
    expect(sent.statusCode, sent.body).toBe(200);
    const big = {
      batch: Array.from({ length: 20 }, (_, i) => ({
        type: 'track',
        event: 'Big',
        anonymousId: 'b',
        messageId: `big-${i}`,
        properties: { pad: 'y'.repeat(30_000) },
      })),
    };
    const tooBig = await post('/v1/b', big, origin, ws.writeKey);
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().error.code).toBe('REQUEST_TOO_LARGE');
    expect(tooBig.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect((await post('/v1/b', '{"batch": [', origin, ws.writeKey)).json().error.code).toBe('MALFORMED_JSON');
  });

  it('answers the SDK settings with where to send, for allowed origins', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/projects/${t.writeKey}/settings`,
      headers: { host: 'cdp.local:8080', origin: 'http://localhost:3000' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    const body = res.json();
    expect(body.integrations['Segment.io']).toMatchObject({ apiKey: t.writeKey, apiHost: 'cdp.local:8080/v1', protocol: 'http' });
    expect(Object.keys(body.integrations)).toEqual(['Segment.io']);
    expect(body.metrics.sampleRate).toBe(0);
    expect((await t.app.inject({ method: 'GET', url: '/v1/projects/wk_unknown/settings' })).statusCode).toBe(401);
    const refused = await t.app.inject({ method: 'GET', url: `/v1/projects/${t.writeKey}/settings`, headers: { origin: 'https://evil.example' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('puts the client IP in context (a forwarded one only from a trusted proxy) and a browser user agent', async () => {
    const ws = await t.newWorkspace('client context');
    const ua = 'Mozilla/5.0 (iPhone) MicroMessenger/8.0.50';
    await post(
      '/v1/t',
      { anonymousId: 'ip-1', event: 'E', messageId: 'ip-1' },
      { origin: 'http://localhost:1', 'user-agent': ua, 'x-forwarded-for': '203.0.113.9' },
      ws.writeKey,
    );
    await post(
      '/v1/t',
      { anonymousId: 'ip-2', event: 'E', messageId: 'ip-2', context: { ip: '198.51.100.7', userAgent: 'own' } },
      { origin: 'http://localhost:1' },
      ws.writeKey,
    );
    await post('/v1/t', { anonymousId: 'ip-3', event: 'E', messageId: 'ip-3' }, { 'user-agent': 'analytics-node-next/3' }, ws.writeKey);
    await post('/v1/b', { context: { ip: '192.0.2.1' }, batch: [{ type: 'track', anonymousId: 'ip-4', event: 'E', messageId: 'ip-4' }] }, {}, ws.writeKey);
    const ctx = Object.fromEntries((await events(ws.workspaceId)).map((r) => [r.message_id, payloadOf(r).context]));
    // No proxy is trusted by default: X-Forwarded-For is ignored.
    expect(ctx['ip-1']).toEqual({ ip: '127.0.0.1', userAgent: ua });
    expect(ctx['ip-2']).toEqual({ ip: '198.51.100.7', userAgent: 'own' });
    expect(ctx['ip-3']).toEqual({ ip: '127.0.0.1' });
    expect(ctx['ip-4']).toEqual({ ip: '192.0.2.1' });
  });

  it('believes X-Forwarded-* from trusted proxies only, and answers settings with the public URL', async () => {
    const behind = await appWith(engine, { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] });
    const pub = await appWith(engine, { publicUrl: 'https://cdp.example.com/siyu' });
    try {
      const send = (app: typeof behind, xff: string, id: string) =>
        app.app.inject({
          method: 'POST',
          url: '/v1/t',
          headers: { authorization: basic(app.writeKey), 'content-type': 'application/json', 'x-forwarded-for': xff },
          payload: { anonymousId: id, event: 'E', messageId: id },
        });
      await send(behind, '203.0.113.9, 10.1.2.3', 'fwd-1');
      await send(behind, '198.51.100.1, 203.0.113.9, 10.1.2.3', 'fwd-2');
      const rows = await behind.database.db.selectFrom('events').select(['message_id', 'payload']).orderBy('message_id').execute();
      expect(rows.map((r) => payloadOf(r).context.ip)).toEqual(['203.0.113.9', '203.0.113.9']);
      const viaProxy = await behind.app.inject({
        method: 'GET',
        url: `/v1/projects/${behind.writeKey}/settings`,
        headers: { host: '10.0.0.5:3000', 'x-forwarded-host': 'track.example.com', 'x-forwarded-proto': 'https' },
      });
      expect(viaProxy.json().integrations['Segment.io']).toMatchObject({ apiHost: 'track.example.com/v1', protocol: 'https' });
      const configured = await pub.app.inject({ method: 'GET', url: `/v1/projects/${pub.writeKey}/settings`, headers: { host: 'internal:3000' } });
      expect(configured.json().integrations['Segment.io']).toMatchObject({ apiHost: 'cdp.example.com/siyu/v1', protocol: 'https' });
    } finally {
      await behind.close();
      await pub.close();
    }
  });
});

/** An app whose CDP has these tracking options (what the root passes from config). */
async function appWith(engine: Engine, tracking: TrackingOptions) {
  const database = await openTestDatabase(engine);
  const services = await createServices(testConfig(database.dataDir), {
    database,
    clock: fixedClock(Date.parse('2026-11-01T00:00:00Z')),
    log: pino({ level: 'silent' }),
    migrate: false,
  });
  services.cdp = { ...services.cdp, tracking };
  const app = await buildApp(services);
  await app.ready();
  const { writeKey } = await createWorkspace(database.db, { name: 'proxy' });
  return {
    app,
    database,
    writeKey,
    close: async () => {
      await app.close();
      await services.writer.drain();
      await database.close();
    },
  };
}

describe('origin patterns and client addresses', () => {
  it('matches origins exactly, by sub-domain wildcard, any port, null and *', () => {
    const list = normaliseOriginList(['HTTPS://Shop.example.com:443', 'https://*.brand.cn', 'http://localhost:*', 'null']);
    expect(list).toEqual(['https://shop.example.com', 'https://*.brand.cn', 'http://localhost:*', 'null']);
    expect(originMatches('https://shop.example.com', list)).toBe(true);
    expect(originMatches('https://shop.example.com:8443', list)).toBe(false);
    expect(originMatches('https://a.b.brand.cn', list)).toBe(true);
    expect(originMatches('https://evilbrand.cn', list)).toBe(false);
    expect(originMatches('http://localhost', list)).toBe(true);
    expect(originMatches('http://localhost:5173', list)).toBe(true);
    expect(originMatches('null', list)).toBe(true);
    expect(originMatches('https://*.brand.cn', list)).toBe(false);
    expect(originMatches('anything at all', ['*'])).toBe(true);
    expect(() => normaliseOriginList(['ftp:/x'])).toThrow(/allowedOrigins\[0\]/);
  });

  it('reads X-Forwarded-For from the right, through trusted proxies only', () => {
    const trusted = trustedProxies(['10.0.0.0/8', '::1']);
    expect(clientIp('::ffff:127.0.0.1', '1.1.1.1', trusted)).toBe('127.0.0.1');
    expect(clientIp('10.0.0.1', '1.1.1.1, 10.0.0.2', trusted)).toBe('1.1.1.1');
    expect(clientIp('::1', ['2.2.2.2', '1.1.1.1:4567'], trusted)).toBe('1.1.1.1');
    expect(clientIp('10.0.0.1', 'garbage, 10.0.0.3', trusted)).toBe('10.0.0.3');
    expect(() => trustedProxies(['10.0.0.0/99'])).toThrow(/10.0.0.0\/99/);
  });
});
