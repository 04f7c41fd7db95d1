/**
 * Rate limits on the public endpoints (issue #19): tracking (write keys), the member API (member
 * tokens), WeCom callbacks, survey answer pages and tracked links. Each request is counted per key
 * (where it carries one) and per client address, against its workspace's limits
 * (rate-limit.settings.ts); over a limit it is refused with 429 `RATE_LIMITED` and `Retry-After`.
 *
 * The check is appended to each such route's own preHandlers (an `onRoute` hook), so it runs after
 * the route has named the workspace (the key or token checked) and before any work; requests a
 * route refuses for a bad key are not counted (keys are random: there is nothing to guess).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler, RouteOptions } from 'fastify';
import { keyFromHeader } from '../platform/http.js';
import { ComplianceError } from './errors.js';
import type { RateLimiter } from './rate-limit.js';
import type { LimitClass, LimitsCache } from './rate-limit.settings.js';

/** What the rate-limit hook needs; the root builds it. */
export interface RateLimitDeps {
  limiter: RateLimiter;
  limits: LimitsCache;
  /** The client's address (behind trusted proxies: the forwarded one). */
  ipOf(req: FastifyRequest): string;
  /** The workspace a signed page token names (survey answer pages, tracked links), when valid. */
  workspaceOfToken?(cls: 'surveyPages' | 'links', token: string): string | undefined;
}

const TRACKING = /^\/v1\/(track|identify|page|screen|group|alias|batch|import|[tipsgab])$/;

/** The class of a public route (method, Fastify pattern), or undefined for routes that are not limited here. */
export function limitClassOf(method: string, url: string): LimitClass | undefined {
  if (method === 'POST' && TRACKING.test(url)) return 'tracking';
  if (url.startsWith('/v1/member/')) return 'member';
  if (url === '/wecom/callback/:workspace') return 'wecomCallback';
  if (url === '/s/:token') return 'surveyPages';
  if (url === '/r/:token' || url === '/o/:token' || url === '/u/:token') return 'links';
  return undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);

/** The key a request is counted under in its class (never the secret itself: a digest of it), or undefined. */
function keyOf(cls: LimitClass, req: FastifyRequest, workspaceId: string | undefined): string | undefined {
  if (cls === 'tracking') {
    const body = req.body as { writeKey?: unknown } | undefined;
    const key = keyFromHeader(req.headers.authorization) ?? (typeof body?.writeKey === 'string' ? body.writeKey : undefined);
    return key === undefined ? undefined : digest(key);
  }
  if (cls === 'member') return (req as { member?: { profileId: string } }).member?.profileId;
  if (cls === 'wecomCallback') return workspaceId;
  return undefined;
}

/** The check of one class: per key, then per address; a refusal carries Retry-After. */
function check(deps: RateLimitDeps, cls: LimitClass): preHandlerHookHandler {
  return async function rateLimit(req, reply) {
    const params = req.params as { workspace?: string; token?: string } | undefined;
    let ws: string | undefined = req.workspaceId;
    if (!ws && cls === 'wecomCallback') ws = params?.workspace;
    if (!ws && (cls === 'surveyPages' || cls === 'links') && params?.token) ws = deps.workspaceOfToken?.(cls, params.token);
    const limits = (await deps.limits.limitsOf(ws))[cls];
    const key = keyOf(cls, req, ws);
    const ip = deps.ipOf(req);
    const refusals: [string, number, 'key' | 'address'][] = [];
    if (limits.perKey !== undefined && key !== undefined) refusals.push([`${cls}|k|${ws ?? '-'}|${key}`, limits.perKey, 'key']);
    // An address is counted across workspaces: a WeCom callback's workspace is only a path segment
    // until the signature is checked, and a new one per request must not buy a fresh count.
    refusals.push([`${cls}|ip|${ip}`, limits.perIp, 'address']);
    for (const [bucket, max, per] of refusals) {
      const a = deps.limiter.hit(bucket, max);
      if (a.ok) continue;
      reply.header('retry-after', String(a.retryAfterS));
      // One line per bucket and window: a flood over the limit must not become a flood of log lines.
      if (a.first) req.log.warn({ class: cls, per, limit: max, workspaceId: ws }, 'rate limit reached');
      throw new ComplianceError(
        'RATE_LIMITED',
        `too many requests for this ${per === 'key' ? keyName(cls) : 'client address'}: at most ${max} a minute on ${cls} endpoints; retry in ${a.retryAfterS} s`,
        {
          limit: max,
          per,
          retryAfterS: a.retryAfterS,
        },
      );
    }
  };
}

const keyName = (cls: LimitClass) => (cls === 'tracking' ? 'write key' : cls === 'member' ? 'member' : 'workspace');

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Installs the limits on the root app before the routes are registered: each public route gets the check as its last preHandler. */
export function installRateLimits(app: FastifyInstance, deps: RateLimitDeps): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = asArray(route.method);
    const cls = methods.map((m) => limitClassOf(m, route.url)).find((c) => c !== undefined);
    if (!cls) return;
    route.preHandler = [...asArray(route.preHandler as preHandlerHookHandler | preHandlerHookHandler[] | undefined), check(deps, cls)];
  });
}
