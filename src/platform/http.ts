import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import type { KeyKind, KeyResolver } from './workspaces.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The workspace the request's key belongs to (set by the auth hooks). */
    workspaceId: string;
  }
}

/** Maps every error to `{ error: { code, message } }` with a stable code; unexpected ones are logged. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = req.routeOptions.config && (req.routeOptions as { bodyLimit?: number }).bodyLimit;
      return reply.status(400).send({
        error: { code: 'REQUEST_TOO_LARGE', message: `request body is larger than the limit of ${Math.round((limit ?? 512000) / 1024)} KB` },
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

/** Reads a key from `Authorization: Basic base64(key:)` or `Bearer key`. */
function keyFromHeader(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const [scheme, value] = h.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(0, colon) : decoded;
  }
  return undefined;
}

/**
 * A preHandler that authenticates with a key of `kind`: write keys by HTTP Basic (key as user
 * name) or `writeKey` in the body; secret keys by Bearer or Basic.
 */
export function requireKey(keys: KeyResolver, kind: KeyKind) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    let key = keyFromHeader(req);
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
    const ws = await keys.resolve(key, kind);
    if (!ws) throw new AppError('UNAUTHORIZED', `invalid or revoked ${kind} key`);
    req.workspaceId = ws;
  };
}
