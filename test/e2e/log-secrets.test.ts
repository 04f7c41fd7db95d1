import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/engines.js';
import { createE2eEnvironment, type E2eEnvironment, until } from '../support/e2e.js';
import { type ServerProcess, startServer } from '../support/server-process.js';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';

/** A string of `n` characters drawn from [A-Za-z0-9] (what WeCom's secrets and keys are made of). */
const alnum = (n: number) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => abc[b % abc.length]).join('');
};

/**
 * Issue #19: secrets and personal data never reach the log. The real server (`siyu serve`, its pino
 * logger at debug, so per-request lines are written too) is given planted secrets — the master
 * key, the WeCom corp secret, callback Token and EncodingAESKey, on PostgreSQL a database password
 * — and driven through the traffic a brand sends: tracking and identify calls with phones and
 * emails in traits, profile lookups by phone and email, console sign-ins (a wrong password too),
 * the WeCom connection and its callbacks, the member API, and requests that fail (bad JSON, bad
 * keys, bad signatures, over a rate limit). Then everything the process wrote is searched: no
 * planted value may appear in clear (masked forms such as `139****5678` are fine).
 */
for (const engine of ENGINES) {
  describe(`no secret or personal data in the server's log [${engine}]`, () => {
    const masterKey = randomBytes(32).toString('hex');
    const dbPassword = `pw${alnum(20)}`;
    const corpSecret = alnum(43);
    const callbackToken = alnum(15);
    const aesKey = alnum(43);
    const phone = '13912345678';
    const phone2 = '13787654321';
    const email = `planted.${alnum(6).toLowerCase()}@example.cn`;
    const wrongPassword = `Wrong-${alnum(12)}`;
    let place: E2eEnvironment | undefined;
    let server: ServerProcess | undefined;
    let sb: Sandbox;
    beforeAll(async () => {
      place = await createE2eEnvironment(engine, {
        prefix: 'logs',
        encryptionKey: masterKey,
        env: { SIYU_LOG_LEVEL: 'debug', SIYU_LOG_FORMAT: 'json', SIYU_OUTBOUND_ALLOW: '127.0.0.1', SIYU_SEGMENT_WORKER: 'false' },
      });
      if (place.env.DATABASE_URL) {
        // PostgreSQL here trusts local connections, so a password in the URL is accepted and ignored:
        // the server holds it, and it must never log it.
        const u = new URL(place.env.DATABASE_URL);
        u.password = dbPassword;
        place.env.DATABASE_URL = u.toString();
      }
      sb = createSandbox({ seed: 19, staff: 3, customers: 5, secret: corpSecret, callbackToken, encodingAesKey: aesKey });
      await sb.listen();
      server = await startServer(place.env);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      await sb?.close();
      await place?.close();
    });

    it('writes none of them, masked or not, while serving representative traffic', async () => {
      const s = server!;
      const { workspaceId, writeKey, secretKey } = s.keys();
      const login = s.firstLogin();
      const basicAuth = 'Basic ' + Buffer.from(`${writeKey}:`).toString('base64');
      const call = async (method: string, path: string, init: { body?: unknown; raw?: string; auth?: string; headers?: Record<string, string> } = {}) => {
        const headers: Record<string, string> = { ...(init.auth ? { authorization: init.auth } : {}), ...init.headers };
        let body: string | undefined = init.raw;
        if (init.body !== undefined) {
          body = JSON.stringify(init.body);
          headers['content-type'] = 'application/json';
        } else if (init.raw !== undefined) headers['content-type'] ??= 'application/json';
        const res = await fetch(`${s.url}${path}`, { method, headers, body, redirect: 'manual' });
        return { status: res.status, text: await res.text(), headers: res.headers };
      };
      const sk = `Bearer ${secretKey}`;

      // Tracking: identify with a phone and an email, events carrying them, a batch, the body's writeKey.
      expect((await call('POST', '/v1/identify', { auth: basicAuth, body: { userId: 'u-log-1', traits: { phone, email, name: '王小明' } } })).status).toBe(200);
      expect(
        (
          await call('POST', '/v1/track', {
            auth: basicAuth,
            body: { userId: 'u-log-1', event: 'Order Completed', properties: { phone, contact: email, total: 99 } },
          })
        ).status,
      ).toBe(200);
      const batch = { batch: [{ type: 'identify', anonymousId: 'a-log-2', traits: { phone: `+86 ${phone2}`, email: `x${email}` } }], writeKey };
      expect((await call('POST', '/v1/batch', { body: batch })).status).toBe(200);
      // Bad input: malformed JSON with a phone in it, a message of the wrong shape, a wrong write key.
      expect((await call('POST', '/v1/identify', { auth: basicAuth, raw: `{"userId":"u","traits":{"phone":"${phone}"` })).status).toBe(400);
      expect((await call('POST', '/v1/track', { auth: basicAuth, body: { userId: 'u', event: { phone } } })).status).toBe(400);
      expect(
        (await call('POST', '/v1/identify', { auth: 'Basic ' + Buffer.from(`wk_${alnum(30)}:`).toString('base64'), body: { userId: 'u', traits: { phone } } }))
          .status,
      ).toBe(401);
      expect((await call('POST', '/v1/track', { auth: `Bearer ${secretKey} extra`, body: { userId: 'u', event: 'E' } })).status).toBe(401);

      // Profiles by phone and email (the path names the person), found and not found.
      await until(
        async () => (await call('GET', `/v1/profiles/${encodeURIComponent(`phone:${phone}`)}`, { auth: sk })).status,
        (st) => st === 200,
        'the identified profile',
      );
      expect((await call('GET', `/v1/profiles/${encodeURIComponent(`email:${email}`)}`, { auth: sk })).status).toBe(200);
      expect((await call('GET', `/v1/profiles/phone:${phone2}9`, { auth: sk })).status).toBe(404);
      expect((await call('GET', `/v1/profiles?limit=5&search=${encodeURIComponent(email)}`, { auth: sk })).status).toBeLessThan(500);

      // Console: a wrong password, an unknown email, then the owner's real sign-in.
      expect((await call('POST', '/v1/console/login', { body: { email: login.email, password: wrongPassword } })).status).toBe(401);
      expect((await call('POST', '/v1/console/login', { body: { email, password: wrongPassword } })).status).toBe(401);
      const signedIn = await call('POST', '/v1/console/login', { body: { email: login.email, password: login.password } });
      expect(signedIn.status).toBe(200);
      const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
      const csrf = JSON.parse(signedIn.text).csrfToken as string;
      expect((await call('GET', '/v1/segments', { headers: { cookie } })).status).toBe(200);

      // WeCom: the connection (secret, Token, AES key), URL verification, callbacks good and bad.
      const c = sb.credentials;
      const conn = await call('PUT', '/v1/wecom/connection', {
        headers: { cookie, 'x-csrf-token': csrf },
        body: { corpId: c.corpId, secret: corpSecret, callbackToken, encodingAesKey: aesKey, apiBaseUrl: sb.url },
      });
      expect(conn.status, conn.text).toBe(200);
      expect(conn.text).not.toContain(corpSecret);
      expect((await call('GET', '/v1/wecom/connection', { auth: sk })).status).toBe(200);
      expect((await call('POST', '/v1/wecom/connection/test', { auth: sk })).status).toBeLessThan(500);
      const target = `${s.url}/wecom/callback/${workspaceId}`;
      const staff = sb.corp.activeStaff();
      for (let i = 0; i < 3; i++) {
        const fired = await sb.fireCallback(target, { scenario: 'add-contact', userid: staff[i % staff.length]!.userid });
        expect(fired.status).toBe(200);
      }
      expect((await call('GET', `/wecom/callback/${workspaceId}?msg_signature=bad&timestamp=1&nonce=n&echostr=${alnum(20)}`)).status).toBeGreaterThanOrEqual(
        400,
      );
      expect(
        (
          await call('POST', `/wecom/callback/${workspaceId}?msg_signature=bad&timestamp=1&nonce=n`, {
            raw: `<xml><Mobile>${phone}</Mobile></xml>`,
            headers: { 'content-type': 'text/xml' },
          })
        ).status,
      ).toBeGreaterThanOrEqual(400);

      // Member API: a token minted for the identified person, used, forged and over its limit.
      const minted = await call('POST', '/v1/loyalty/member-tokens', { auth: sk, body: { profile: `phone:${phone}` } });
      expect(minted.status, minted.text).toBe(200);
      const memberToken = JSON.parse(minted.text).token as string;
      expect((await call('GET', '/v1/member/me', { auth: `Bearer ${memberToken}` })).status).toBe(200);
      expect((await call('GET', '/v1/member/points', { auth: `Bearer ${memberToken}` })).status).toBe(200);
      expect((await call('GET', '/v1/member/me', { auth: `Bearer ${memberToken.slice(0, -2)}xx` })).status).toBe(401);
      const lowered = await call('PUT', '/v1/rate-limits', { auth: sk, body: { member: { perKey: 2, perIp: 1000 } } });
      expect(lowered.status, lowered.text).toBe(200);
      let limited = 0;
      for (let i = 0; i < 4; i++) if ((await call('GET', '/v1/member/me', { auth: `Bearer ${memberToken}` })).status === 429) limited++;
      expect(limited).toBeGreaterThan(0);

      // Let the workers (the WeCom inbox, segments) have their turn, then stop so everything is flushed.
      await new Promise((r) => setTimeout(r, 1500));
      await s.stop();
      const log = s.output();
      // The log did record this traffic (a test of nothing would pass on an empty log).
      expect(log).toContain('incoming request');
      expect(log).toContain('console sign-in failed');
      expect(log).toContain('rate limit reached');

      const planted: Record<string, string> = {
        'master key (hex)': masterKey,
        'master key (base64)': Buffer.from(masterKey, 'hex').toString('base64'),
        'secret key': secretKey,
        'write key': writeKey,
        'WeCom corp secret': corpSecret,
        'WeCom callback Token': callbackToken,
        'WeCom EncodingAESKey': aesKey,
        'member token': memberToken,
        'member token signature': memberToken.split('.')[1]!,
        'session cookie': cookie.split('=')[1]!,
        'CSRF token': csrf,
        'owner password': login.password,
        'wrong password': wrongPassword,
        phone,
        'second phone': phone2,
        email,
        ...(engine === 'postgres' ? { 'database password': dbPassword } : {}),
      };
      const leaks = Object.entries(planted)
        .flatMap(([name, v]) => [...new Set([v, encodeURIComponent(v)])].map((form) => [name, form] as const))
        .filter(([, form]) => log.includes(form))
        .map(
          ([name, form]) =>
            `${name}: ${log
              .split('\n')
              .find((l) => l.includes(form))!
              .slice(0, 300)}`,
        );
      expect(leaks).toEqual([]);
    }, 180_000);
  });
}
