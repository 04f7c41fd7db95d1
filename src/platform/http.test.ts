import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installErrorHandler, keyFromHeader, requireKey } from './http.js';
import type { KeyResolver } from './workspaces.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const KEY = 'sk_abcDEF123-_x';

describe('keyFromHeader (strict)', () => {
  it('reads Bearer and Basic (key as user name, with the colon)', () => {
    expect(keyFromHeader(`Bearer ${KEY}`)).toBe(KEY);
    expect(keyFromHeader(`bearer ${KEY}`)).toBe(KEY);
    expect(keyFromHeader(`Basic ${b64(KEY + ':')}`)).toBe(KEY);
    expect(keyFromHeader(`Basic ${b64(KEY + ':ignored-password')}`)).toBe(KEY);
  });

  it('refuses anything after the credential, Basic without the colon, and non-key characters', () => {
    expect(keyFromHeader(`Bearer ${KEY} junk`)).toBeUndefined();
    expect(keyFromHeader(`Bearer  ${KEY}`)).toBeUndefined();
    expect(keyFromHeader(`Basic ${b64(KEY)}`)).toBeUndefined();
    expect(keyFromHeader(`Basic ${b64(KEY + ':')} extra`)).toBeUndefined();
    expect(keyFromHeader(`Basic not*base64`)).toBeUndefined();
    expect(keyFromHeader(`Bearer sk_a'b`)).toBeUndefined();
    expect(keyFromHeader(`Token ${KEY}`)).toBeUndefined();
    expect(keyFromHeader('')).toBeUndefined();
  });
});

describe('requireKey', () => {
  const keys: KeyResolver = { resolve: async (key: string) => (key === KEY ? 'ws_1' : undefined), invalidate: () => {} } as unknown as KeyResolver;
  async function app() {
    const a = Fastify();
    installErrorHandler(a);
    a.post('/t', { preHandler: requireKey(keys, 'secret') }, async (req) => ({ ws: req.workspaceId }));
    return a;
  }

  it('answers 401 with a precise message for a malformed header, and accepts the well-formed ones', async () => {
    const a = await app();
    const bad = await a.inject({ method: 'POST', url: '/t', headers: { authorization: `Bearer ${KEY} junk` }, payload: {} });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('malformed Authorization header') });
    const noColon = await a.inject({ method: 'POST', url: '/t', headers: { authorization: `Basic ${b64(KEY)}` }, payload: {} });
    expect(noColon.statusCode).toBe(401);
    const ok = await a.inject({ method: 'POST', url: '/t', headers: { authorization: `Bearer ${KEY}` }, payload: {} });
    expect(ok.json()).toEqual({ ws: 'ws_1' });
    await a.close();
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After when the key store cannot be reached', async () => {
    const down: KeyResolver = {
      resolve: async () => {
        throw Object.assign(new Error('Connection terminated unexpectedly'), {});
      },
    } as unknown as KeyResolver;
    const a = Fastify();
    installErrorHandler(a);
    a.get('/t', { preHandler: requireKey(down, 'secret') }, async () => ({}));
    const res = await a.inject({ method: 'GET', url: '/t', headers: { authorization: `Bearer ${KEY}` } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().error.code).toBe('DATABASE_UNAVAILABLE');
    await a.close();
  });
});
