import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from './db/database.js';
import { AppError } from './errors.js';
import type { Principal } from './principal.js';
import type { KeyKind, KeyResolver } from './workspaces.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The workspace the request's key belongs to (set by the auth hooks). */
    workspaceId: string;
    /** Who made the request (set by the secret-key hook: a key acts as the owner; a console user has their role). */
    principal?: Principal;
  }
}

/** Maps every error to `{ error: { code, message } }` with a stable code; unexpected ones are logged. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code } }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_S))
        .send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'the database is not answering right now; retry later' } });
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // The route's own limit, else the server's (Fastify's bodyLimit option).
      const limit = (req.routeOptions as { bodyLimit?: number }).bodyLimit ?? req.server.initialConfig.bodyLimit ?? 1024 * 1024;
      return reply.status(400).send({
        error: { code: 'REQUEST_TOO_LARGE', message: `request body is larger than the limit of ${Math.round(limit / 1024)} KB` },
      });
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: fe.message } });
    }
    if (fe.validation) {
      return reply.status(400).send({
        error: { code: 'VALIDATION_FAILED', message: `${fe.validationContext ?? 'request'}${fe.message.replace(/^(body|querystring|params|headers)/, '')}` },
      });
    }
    if (fe instanceof SyntaxError || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.status(400).send({ error: { code: 'MALFORMED_JSON', message: `request body is not valid JSON: ${fe.message}` } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ error: { code: fe.code ?? 'BAD_REQUEST', message: fe.message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the server log' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}

/** Seconds a client is asked to wait (Retry-After) when the database is unavailable. */
export const DATABASE_RETRY_AFTER_S = 5;

/** The characters of Siyu's keys (`wk_…`, `sk_…`: base64url). */
const KEY_TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * Reads a key from `Authorization: Basic base64(key:)` or `Bearer key`, strictly: exactly a
 * scheme and one credential; Basic credentials must hold the colon (the key is the user name,
 * the password is ignored); the key must be one token of key characters. Anything else is no key.
 */
export function keyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^([A-Za-z]+) ([^ ]+)$/.exec(header.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  let key: string | undefined;
  if (scheme === 'bearer') key = value;
  else if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    key = decoded.slice(0, colon);
  }
  return key !== undefined && KEY_TOKEN.test(key) ? key : undefined;
}

/** Signs the request in from its console session cookie, if it has one, and checks the role; answers whether it did. */
async function signInFromSession(keys: KeyResolver, req: FastifyRequest): Promise<boolean> {
  const signedIn = keys.console ? await keys.console.authenticate(req) : undefined;
  if (!signedIn) return false;
  req.workspaceId = signedIn.workspaceId;
  req.principal = signedIn.principal;
  await keys.console!.authorize(req, signedIn.principal);
  return true;
}

/**
 * Console sessions before validation: a request without an Authorization header to a route that
 * declares the secret-key scheme (`secured()`) is signed in from its session cookie and its role
 * checked before its body is validated, so a role that may not call a route learns nothing of its
 * body's shape (and `requireKey` then sees it signed in).
 */
export function installConsoleSessions(app: FastifyInstance, keys: KeyResolver): void {
  app.addHook('preValidation', async (req) => {
    if (req.headers.authorization || !keys.console) return;
    const security = (req.routeOptions.schema as { security?: Record<string, unknown>[] } | undefined)?.security;
    if (!security?.some((s) => 'secretKey' in s)) return;
    await signInFromSession(keys, req);
  });
}

/**
 * A preHandler that authenticates with a key of `kind`: write keys by HTTP Basic (key as user
 * name) or `writeKey` in the body; secret keys by Bearer or Basic, or, without an Authorization
 * header, a console session cookie whose user's role must allow the route.
 */
export function requireKey(keys: KeyResolver, kind: KeyKind) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    const header = req.headers.authorization;
    if (!header && kind === 'secret') {
      // Signed in already by the console hook (routes that declare the secret-key scheme), or now.
      if (req.principal?.kind === 'user') return;
      if (await signInFromSession(keys, req)) return;
    }
    let key = keyFromHeader(header);
    if (header && !key) {
      throw new AppError('UNAUTHORIZED', 'malformed Authorization header: send "Bearer <key>" or "Basic <base64 of key:>" (one key, nothing after it)');
    }
    if (!key && kind === 'write') {
      const body = req.body as { writeKey?: unknown } | undefined;
      if (body && typeof body === 'object' && typeof body.writeKey === 'string') key = body.writeKey;
    }
    if (!key) {
      throw new AppError(
        'UNAUTHORIZED',
        kind === 'write'
          ? 'missing write key: send HTTP Basic auth with the write key as user name, or "writeKey" in the body'
          : 'missing secret key: send "Authorization: Bearer sk_..."',
      );
    }
    const found = keys.identify ? await keys.identify(key, kind) : await keys.resolve(key, kind).then((ws) => ws && { workspaceId: ws, keyId: undefined });
    if (!found) throw new AppError('UNAUTHORIZED', `invalid or revoked ${kind} key`);
    req.workspaceId = found.workspaceId;
    if (kind === 'secret') req.principal = { kind: 'key', role: 'owner', keyId: found.keyId };
  };
}
