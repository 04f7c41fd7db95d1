import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import type { JourneyDeps } from './deps.js';
import { enterByApi } from './entries.service.js';
import { anyObject, type Id, idParams, type PreHandler } from './journeys.schemas.js';
import { journeyStats, statesOf } from './stats.service.js';

/** A journey's entries: enter profiles by API, statistics, the states. */
export function entryRoutes(app: FastifyInstance, deps: JourneyDeps, preHandler: PreHandler): void {
  app.post<Id & { Body: { profileIds: string[]; key?: string; context?: Record<string, unknown> } }>(
    '/v1/journeys/:id/enter',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Enter profiles into an active journey (manual / API trigger); a repeated key enters nobody twice'),
        params: idParams,
        body: {
          type: 'object',
          required: ['profileIds'],
          additionalProperties: false,
          properties: {
            profileIds: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 128 } },
            key: { type: 'string', minLength: 1, maxLength: 128 },
            context: anyObject,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              entered: { type: 'integer' },
              skipped: { type: 'array', items: { type: 'object', properties: { profileId: { type: 'string' }, reason: { type: 'string' } } } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => enterByApi(deps, req.workspaceId, req.params.id, req.body),
  );

  app.get<Id & { Querystring: { version?: number } }>(
    '/v1/journeys/:id/stats',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Entered, per step, converted, exited; messages sent/held/suppressed/failed; conversion per A/B branch'),
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 } } },
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
      },
    },
    async (req) => journeyStats(deps, req.workspaceId, req.params.id, req.query.version),
  );

  app.get<Id & { Querystring: { status?: string; profileId?: string; limit: number; cursor?: string } }>(
    '/v1/journeys/:id/states',
    {
      preHandler,
      schema: {
        ...secured('journeys', "The journey's states (entries), newest first"),
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['active', 'completed', 'converted', 'exited', 'failed'] },
            profileId: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', maxLength: 64 },
          },
        },
        response: {
          200: { type: 'object', properties: { data: { type: 'array', items: anyObject }, nextCursor: { type: ['string', 'null'] } } },
          ...errorResponses,
        },
      },
    },
    async (req) =>
      statesOf(deps, req.workspaceId, req.params.id, {
        limit: req.query.limit,
        ...(req.query.cursor && { cursor: req.query.cursor }),
        ...(req.query.status && { status: req.query.status }),
        ...(req.query.profileId && { subjectId: req.query.profileId }),
      }),
  );
}
