/**
 * CORS for the public tracking routes only (management routes get none). A preflight carries no
 * key, so it is answered for any origin; the request itself is checked against its workspace's
 * allowed origins once the write key is known, and refused with 403 ORIGIN_NOT_ALLOWED and no
 * Access-Control-Allow-Origin, so the browser blocks it and nothing is stored. Answers the
 * workspace is not known for yet (401, malformed JSON, too large) carry the header, so the SDK
 * can read a 4xx and not retry it forever.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CdpError } from './errors.js';
import type { OriginPolicies } from './tracking.origins.js';

/** Request headers a tracking call may send (analytics-next sends all three). */
export const CORS_ALLOWED_HEADERS = 'Content-Type, Authorization, X-Retry-Count';
/** Seconds a browser may cache a preflight (Chromium caps it at 7,200). */
export const CORS_MAX_AGE_S = 7200;

/** The CORS side of the tracking scope: hooks, preflight routes, and the per-workspace origin check. */
export interface TrackingCors {
  /** Registers OPTIONS for these paths. */
  preflight(paths: readonly string[]): void;
  /** Refuses the request when its Origin is not allowed for `workspaceId` (call once the key is resolved). */
  check(req: FastifyRequest, workspaceId: string): Promise<void>;
}

function addVary(reply: FastifyReply, value: string): void {
  const prev = reply.getHeader('vary');
  if (prev === undefined || prev === '') reply.header('vary', value);
  else if (
    !String(prev)
      .split(/\s*,\s*/)
      .includes(value)
  )
    reply.header('vary', `${String(prev)}, ${value}`);
}

/** Installs the CORS hooks on `scope` (an encapsulated plugin holding the tracking routes only). */
export function installTrackingCors(scope: FastifyInstance, origins: OriginPolicies): TrackingCors {
  const refused = new WeakSet<FastifyRequest>();
  scope.addHook('onSend', async (req, reply, payload) => {
    addVary(reply, 'Origin');
    const origin = req.headers.origin;
    if (origin !== undefined && !refused.has(req)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-expose-headers', 'Retry-After');
    }
    return payload;
  });
  return {
    preflight(paths) {
      for (const url of paths) {
        scope.options(url, { schema: { hide: true } }, async (req, reply) => {
          if (req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
            reply
              .header('access-control-allow-methods', 'POST, GET, OPTIONS')
              .header('access-control-allow-headers', CORS_ALLOWED_HEADERS)
              .header('access-control-max-age', String(CORS_MAX_AGE_S));
          } else reply.header('allow', 'POST, GET, OPTIONS');
          return reply.status(204).send();
        });
      }
    },
    async check(req, workspaceId) {
      const origin = req.headers.origin;
      if (origin === undefined || (await origins.allowed(workspaceId, origin))) return;
      refused.add(req);
      throw new CdpError(
        'ORIGIN_NOT_ALLOWED',
        `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed to send events to this workspace; add it to settings.tracking.allowedOrigins (PATCH /v1/tracking/settings)`,
      );
    },
  };
}
