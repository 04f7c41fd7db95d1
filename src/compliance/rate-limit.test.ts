import { afterEach, describe, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { createRateLimiter } from './rate-limit.js';
import { DEFAULT_RATE_LIMITS } from './rate-limit.settings.js';

describe('the sliding-window counter', () => {
  it('allows max a window, refuses the next with the seconds until one fits, and lets it through then', () => {
    let now = 120_000; // the start of a window
    const limiter = createRateLimiter(() => now);
    for (let i = 0; i < 3; i++) expect(limiter.hit('a', 3).ok).toBe(true);
    // In the next window the 3 fade linearly: 3 × (1 - t/60) + 1 ≤ 3 at t = 20 s, i.e. 80 s from now.
    expect(limiter.hit('a', 3)).toEqual({ ok: false, retryAfterS: 80, first: true });
    expect(limiter.hit('a', 3)).toEqual({ ok: false, retryAfterS: 80, first: false });
    expect(limiter.hit('b', 3).ok).toBe(true); // buckets are separate
    now += 79_000;
    expect(limiter.hit('a', 3).ok).toBe(false);
    now += 1_000;
    expect(limiter.hit('a', 3).ok).toBe(true);
    // Two windows later nothing is left of the old counts.
    now += 120_000;
    for (let i = 0; i < 3; i++) expect(limiter.hit('a', 3).ok).toBe(true);
  });

  it('keeps its memory bounded under a flood of distinct addresses', () => {
    let now = 0;
    const limiter = createRateLimiter(() => now, { maxBuckets: 1000 });
    for (let i = 0; i < 5000; i++) limiter.hit(`ip-${i}`, 10);
    expect(limiter.size()).toBeLessThanOrEqual(1000);
    now += 180_000; // stale buckets are swept when the map fills again
    for (let i = 0; i < 1001; i++) limiter.hit(`new-${i}`, 10);
    expect(limiter.size()).toBeLessThanOrEqual(1000);
  });
});

describeEngines('rate limits on public endpoints', (engine) => {
  let t: TestApp;
  afterEach(async () => t?.close());

  const owner = (method: 'GET' | 'PUT', payload?: unknown, key = t.secretKey) =>
    t.app.inject({ method, url: '/v1/rate-limits', headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const track = (writeKey: string, ip = '10.9.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/v1/track',
      remoteAddress: ip,
      headers: { authorization: basic(writeKey) },
      payload: { userId: 'u1', event: 'Viewed' },
    });

  it("reads the defaults, stores an owner's change, and refuses bad numbers", async () => {
    t = await createTestApp(engine);
    const first = await owner('GET');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ limits: DEFAULT_RATE_LIMITS, defaults: DEFAULT_RATE_LIMITS, windowSeconds: 60 });
    const put = await owner('PUT', { tracking: { perKey: 50 }, links: { perIp: 30 } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().limits.tracking).toEqual({ perKey: 50, perIp: DEFAULT_RATE_LIMITS.tracking.perIp });
    expect(put.json().limits.links).toEqual({ perIp: 30 });
    expect((await owner('GET')).json().limits).toEqual(put.json().limits);
    // Another workspace keeps the defaults.
    const other = await t.newWorkspace('Other');
    expect((await owner('GET', undefined, other.secretKey)).json().limits).toEqual(DEFAULT_RATE_LIMITS);
    for (const bad of [{ tracking: { perKey: 0 } }, { links: { perKey: 5 } }, { tracking: { perIp: 1.5 } }, { nope: {} }]) {
      const r = await owner('PUT', bad);
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      expect(r.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('limits tracking per write key with 429 RATE_LIMITED and Retry-After, per workspace, until the window slides', async () => {
    t = await createTestApp(engine);
    expect((await owner('PUT', { tracking: { perKey: 5, perIp: 1000 } })).statusCode).toBe(200);
    const other = await t.newWorkspace('Other');
    // Five from five addresses pass; the sixth with the same key is refused whatever its address.
    for (let i = 0; i < 5; i++) expect((await track(t.writeKey, `10.9.1.${i}`)).statusCode).toBe(200);
    const refused = await track(t.writeKey, '10.9.1.99');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { per: 'key', limit: 5 } });
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(120);
    // Another workspace's key is not touched by it (and has the default limit).
    for (let i = 0; i < 10; i++) expect((await track(other.writeKey)).statusCode).toBe(200);
    t.clock.advance(wait * 1000);
    expect((await track(t.writeKey)).statusCode).toBe(200);
  });

  it('limits a client address on tracking across keys', async () => {
    t = await createTestApp(engine);
    expect((await owner('PUT', { tracking: { perKey: 1000, perIp: 3 } })).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await track(t.writeKey, '10.9.2.1')).statusCode).toBe(200);
    const refused = await track(t.writeKey, '10.9.2.1');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.details).toMatchObject({ per: 'address', limit: 3 });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect((await track(t.writeKey, '10.9.2.2')).statusCode).toBe(200);
  });

  it('limits WeCom callbacks per address by the workspace in the path, before the signature is checked', async () => {
    t = await createTestApp(engine);
    expect((await owner('PUT', { wecomCallback: { perKey: 1000, perIp: 2 } })).statusCode).toBe(200);
    const call = (ip: string) =>
      t.app.inject({ method: 'GET', url: `/wecom/callback/${t.workspaceId}?msg_signature=x&timestamp=1&nonce=n&echostr=e`, remoteAddress: ip });
    for (let i = 0; i < 2; i++) expect((await call('10.9.3.1')).statusCode).not.toBe(429);
    const refused = await call('10.9.3.1');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await call('10.9.3.2')).statusCode).not.toBe(429);
  });

  it('limits the member API per member, and link and survey pages per address', async () => {
    t = await createTestApp(engine);
    expect((await owner('PUT', { member: { perKey: 3, perIp: 1000 }, links: { perIp: 2 }, surveyPages: { perIp: 2 } })).statusCode).toBe(200);
    const id = await t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(t.writeKey) },
      payload: { userId: 'm1', traits: { name: 'M' } },
    });
    expect(id.statusCode).toBe(200);
    await t.services.writer.drain();
    const mint = await t.app.inject({
      method: 'POST',
      url: '/v1/loyalty/member-tokens',
      headers: { authorization: `Bearer ${t.secretKey}` },
      payload: { profile: 'user_id:m1' },
    });
    expect(mint.statusCode, mint.body).toBe(200);
    const token = mint.json().token as string;
    const me = (ip: string) => t.app.inject({ method: 'GET', url: '/v1/member/me', remoteAddress: ip, headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await me(`10.9.4.${i}`)).statusCode).toBe(200);
    const refused = await me('10.9.4.50');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { per: 'key' } });
    // A signed link names its workspace, whose limit applies; an unsigned one gets the default.
    const link = t.services.links.sign({ k: 'o', w: t.workspaceId, m: 'msg_1' });
    const open = (ip: string) => t.app.inject({ method: 'GET', url: `/o/${link}`, remoteAddress: ip });
    for (let i = 0; i < 2; i++) expect((await open('10.9.5.1')).statusCode).toBe(200);
    const pixel = await open('10.9.5.1');
    expect(pixel.statusCode).toBe(429);
    expect(Number(pixel.headers['retry-after'])).toBeGreaterThan(0);
    expect((await open('10.9.5.2')).statusCode).toBe(200);
    const survey = (ip: string) => t.app.inject({ method: 'GET', url: '/s/not-a-token', remoteAddress: ip });
    for (let i = 0; i < 5; i++) expect((await survey('10.9.6.1')).statusCode).toBe(401); // default 600 a minute
  });
});
