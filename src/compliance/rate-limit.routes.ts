/**
 * `GET` and `PUT /v1/rate-limits`: a workspace's limits on its public endpoints, requests a minute
 * per key and per client address, with the defaults beside them. Reading is everyone's; changing
 * is the owner's (src/access/policy.ts classes the PUT as admin).
 */
import type { FastifyInstance } from 'fastify';
import { errorSchema, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { Database } from '../platform/db/database.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { rateLimitsAnswer, rateLimitsBody } from './rate-limit.schemas.js';
import { DEFAULT_RATE_LIMITS, effectiveLimits, type LimitsCache, type RateLimitOverrides, readOverrides, saveLimits } from './rate-limit.settings.js';

/** Registers the rate-limit settings routes. */
export async function rateLimitRoutes(
  app: FastifyInstance,
  deps: { database: Database; now: () => number; keys: KeyResolver; limits: LimitsCache },
): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const answer = (limits: ReturnType<typeof effectiveLimits>) => ({ limits, defaults: DEFAULT_RATE_LIMITS, windowSeconds: 60 });
  app.get(
    '/v1/rate-limits',
    {
      preHandler,
      schema: {
        ...secured('compliance', "The workspace's rate limits on its public endpoints (requests a minute per key and per client address), with the defaults"),
        response: { 200: rateLimitsAnswer, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req) => answer(effectiveLimits(await readOverrides(deps.database, req.workspaceId))),
  );
  app.put<{ Body: RateLimitOverrides }>(
    '/v1/rate-limits',
    {
      preHandler,
      schema: {
        ...secured('compliance', "Change the workspace's rate limits (owner only); a class or number left out keeps its default"),
        body: rateLimitsBody,
        response: { 200: rateLimitsAnswer, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req) => {
      const limits = await saveLimits(deps.database, req.workspaceId, req.body, deps.now());
      deps.limits.forget(req.workspaceId);
      return answer(limits);
    },
  );
}
