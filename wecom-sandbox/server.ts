import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { ApiOptions, ApiRoute } from './api.js';
import { fireCallback, sealCallback, verifyCallbackUrl, type CallbackTarget } from './callbacks.js';
import { WeComApiError, fail } from './errors.js';
import { hash32, hashChars, hashHex, hashString, SALT } from './ids.js';
import { contactWayRoutes } from './routes/contact-ways.js';
import { contactRoutes } from './routes/contacts.js';
import { groupMsgRoutes } from './routes/group-msgs.js';
import { groupRoutes } from './routes/groups.js';
import { joinWayRoutes } from './routes/join-ways.js';
import { tagRoutes } from './routes/tags.js';
import { transferRoutes } from './routes/transfers.js';
import { messageRoutes } from './routes/messages.js';
import { registerControlRoutes } from './control.js';
import type { Sandbox, SandboxCredentials, SandboxOptions } from './sandbox.js';
import { SandboxState } from './state.js';

export type { Sandbox, SandboxCredentials, SandboxOptions };

/** Derived defaults: the same seed always gives the same corp id, secret and callback settings. */
function deriveCredentials(options: SandboxOptions): SandboxCredentials {
  const seed = typeof options.seed === 'string' ? hashString(options.seed) : (options.seed ?? 1) >>> 0;
  const base = hash32(seed, 0x5eed);
  return {
    corpId: options.corpId ?? 'ww' + hashHex(base, SALT.corpKey, 0, 16),
    secret: options.secret ?? hashChars(base, SALT.secret, 0, 43),
    agentId: options.agentId ?? '1000002',
    callbackToken: options.callbackToken ?? hashChars(base, SALT.callbackToken, 0, 15),
    encodingAesKey: options.encodingAesKey ?? hashChars(base, SALT.aesKey, 0, 43),
  };
}

/** Builds the sandbox: the fake corp and a Fastify app answering WeCom's paths under /cgi-bin/. */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const credentials = deriveCredentials(options);
  const state = new SandboxState({ ...options, corpId: credentials.corpId });
  const { corp } = state;
  const ttlMs = (options.tokenTtlSeconds ?? 7200) * 1000;
  const rate = options.rateLimit === undefined ? { limit: 10_000, windowMs: 60_000 } : options.rateLimit;
  const apiOptions: ApiOptions = { followUserPageSize: options.followUserPageSize ?? 500 };
  const tokens = new Map<string, number>(); // token → expiry, epoch ms
  const calls = new Map<string, number>();
  let window = -1;
  let url: string | undefined;

  const app = Fastify({ logger: options.logger ?? false });
  // WeCom reads JSON whatever the content type says; parse here so that bad JSON is errcode 47001.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const countCall = (api: string) => {
    if (!rate) return;
    const w = Math.floor(corp.now() / rate.windowMs);
    if (w !== window) {
      window = w;
      calls.clear();
    }
    const n = (calls.get(api) ?? 0) + 1;
    calls.set(api, n);
    if (n > rate.limit) fail('FREQ_OUT_OF_LIMIT', `more than ${rate.limit} calls of ${api} in ${rate.windowMs} ms`);
  };

  const checkToken = (token: string | undefined) => {
    if (!token) fail('ACCESS_TOKEN_MISSING', 'add ?access_token= from gettoken');
    const expiresAt = tokens.get(token);
    if (expiresAt === undefined) fail('INVALID_ACCESS_TOKEN', 'this access_token was not issued by the sandbox');
    if (corp.now() >= expiresAt) fail('ACCESS_TOKEN_EXPIRED', 'get a new one from gettoken');
  };

  const issueToken = (): { access_token: string; expires_in: number } => {
    const now = corp.now();
    for (const [t, exp] of tokens) {
      // WeCom returns the same token while it is valid.
      if (exp > now) return { access_token: t, expires_in: Math.ceil((exp - now) / 1000) };
      if (exp < now - 86_400_000) tokens.delete(t);
    }
    const token = randomBytes(96).toString('base64url');
    tokens.set(token, now + ttlMs);
    return { access_token: token, expires_in: ttlMs / 1000 };
  };

  const parseBody = (raw: unknown): Record<string, unknown> => {
    if (raw === undefined || raw === null || raw === '') return {};
    let body: unknown;
    try {
      body = JSON.parse(String(raw));
    } catch {
      fail('DATA_FORMAT_ERROR', 'the body is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('DATA_FORMAT_ERROR', 'the body must be a JSON object');
    return body as Record<string, unknown>;
  };

  const answer = (reply: FastifyReply, run: () => Record<string, unknown>) => {
    try {
      return reply.send({ errcode: 0, errmsg: 'ok', ...run() });
    } catch (err) {
      if (err instanceof WeComApiError) return reply.send({ errcode: err.errcode, errmsg: err.errmsg });
      throw err;
    }
  };

  const wrongMethod = (method: 'GET' | 'POST') => fail(method === 'GET' ? 'REQUIRE_GET' : 'REQUIRE_POST', `use ${method}`);

  app.route({
    method: ['GET', 'POST'],
    url: '/cgi-bin/gettoken',
    handler: (req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) =>
      answer(reply, () => {
        countCall('gettoken');
        if (req.method !== 'GET') wrongMethod('GET');
        const { corpid, corpsecret } = req.query;
        if (!corpid) fail('CORPID_MISSING', 'corpid is required');
        if (!corpsecret) fail('SECRET_MISSING', 'corpsecret is required');
        if (corpid !== credentials.corpId) fail('INVALID_CORPID', `the sandbox corp is ${credentials.corpId}`);
        if (corpsecret !== credentials.secret) fail('INVALID_CREDENTIAL', 'corpsecret does not match the sandbox secret');
        return issueToken();
      }),
  });

  const routes: ApiRoute[] = [
    ...contactRoutes,
    ...tagRoutes,
    ...contactWayRoutes,
    ...groupRoutes,
    ...joinWayRoutes,
    ...groupMsgRoutes,
    ...transferRoutes,
    ...messageRoutes(credentials.agentId),
  ];
  for (const route of routes) {
    app.route({
      method: ['GET', 'POST'],
      url: `/cgi-bin/${route.api}`,
      handler: (req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) =>
        answer(reply, () => {
          countCall(route.api);
          if (req.method !== route.method) wrongMethod(route.method);
          checkToken(req.query.access_token);
          state.settle();
          const body = route.method === 'POST' ? parseBody(req.body) : {};
          return route.handler(state, { query: req.query, body }, apiOptions);
        }),
    });
  }

  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ errcode: 48001, errmsg: `api unauthorized, hint: [the sandbox does not implement ${req.url.split('?')[0]}; see docs/wecom-sandbox.md]` });
  });

  const target = (t?: Partial<CallbackTarget>): CallbackTarget => ({
    token: t?.token ?? credentials.callbackToken,
    encodingAesKey: t?.encodingAesKey ?? credentials.encodingAesKey,
    receiveId: t?.receiveId,
    agentId: t?.agentId ?? credentials.agentId,
    timeoutMs: t?.timeoutMs,
  });

  const sandbox: Sandbox = {
    app,
    state,
    corp,
    credentials,
    get url() {
      return url;
    },
    async listen(opts = {}) {
      await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('the sandbox is not listening on TCP');
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host}:${address.port}`;
      return url;
    },
    async close() {
      await app.close();
      url = undefined;
    },
    expireTokens() {
      const now = corp.now();
      for (const [t, exp] of tokens) if (exp > now) tokens.set(t, now);
    },
    fireCallback: (targetUrl, event, t) => fireCallback(state, targetUrl, event, target(t)),
    sealCallback: (event, t) => sealCallback(state, event, target(t)),
    verifyUrl: (targetUrl, t) => verifyCallbackUrl(state, targetUrl, target(t)),
    confirmGroupMsg: (msgid, userid) => state.confirmGroupMsg(msgid, userid),
    completeTransfers() {
      const waiting = state.transfers.filter((t) => t.status === 2);
      for (const t of waiting) state.completeTransfer(t);
      return waiting.length;
    },
  };
  registerControlRoutes(sandbox);
  return sandbox;
}
