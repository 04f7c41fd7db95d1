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
import {
  DEFAULT_RATE_LIMITS,
  effectiveLimits,
  LIMIT_CLASSES,
  type LimitsCache,
  MAX_LIMIT,
  type RateLimitOverrides,
  readOverrides,
  saveLimits,
} from './rate-limit.settings.js';

const count = { type: 'integer', minimum: 1, maximum: MAX_LIMIT } as const;
const keyed = { type: 'object', additionalProperties: false, required: ['perKey', 'perIp'], properties: { perKey: count, perIp: count } } as const;
const ipOnly = { type: 'object', additionalProperties: false, required: ['perIp'], properties: { perIp: count } } as const;
const classesSchema = (keyedSchema: object, ipSchema: object, required: boolean) => ({
  type: 'object',
  additionalProperties: false,
  ...(required ? { required: [...LIMIT_CLASSES] } : {}),
  properties: {
    tracking: keyedSchema,
    member: keyedSchema,
    wecomCallback: keyedSchema,
    surveyPages: ipSchema,
    links: ipSchema,
  },
});
const partial = (s: typeof keyed | typeof ipOnly) => ({ ...s, required: [] });
/** The limits as GET answers them (and PUT after saving). */
const limitsAnswer = {
  type: 'object',
  required: ['limits', 'defaults', 'windowSeconds'],
  properties: { limits: classesSchema(keyed, ipOnly, true), defaults: classesSchema(keyed, ipOnly, true), windowSeconds: { type: 'integer' } },
} as const;

/** Registers the rate-limit settings routes. */
export async function rateLimitRoutes(app: FastifyInstance, deps: { database: Database; now: () => number; keys: KeyResolver; limits: LimitsCache }): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const answer = (limits: ReturnType<typeof effectiveLimits>) => ({ limits, defaults: DEFAULT_RATE_LIMITS, windowSeconds: 60 });
  app.get(
    '/v1/rate-limits',
    {
      preHandler,
      schema: {
        ...secured('compliance', "The workspace's rate limits on its public endpoints (requests a minute per key and per client address), with the defaults"),
        response: { 200: limitsAnswer, 401: errorSchema, 403: errorSchema },
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
        body: classesSchema(partial(keyed), partial(ipOnly), false),
        response: { 200: limitsAnswer, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req) => {
      const limits = await saveLimits(deps.database, req.workspaceId, req.body, deps.now());
      deps.limits.forget(req.workspaceId);
      return answer(limits);
    },
  );
}
