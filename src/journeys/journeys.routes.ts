import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { JourneyDeps, JourneyRoutesDeps } from './deps.js';
import { entryRoutes } from './entries.routes.js';
import { JOURNEY_JSON_SCHEMA } from './journey-schema.js';
import { createJourney, getJourney, listJourneys, updateJourney } from './journeys.service.js';
import { type Id, idParams, journeySchema, type PreHandler } from './journeys.schemas.js';
import { lifecycleRoutes } from './lifecycle.routes.js';
import { recipeRoutes } from './recipes.routes.js';

/** Journeys: create, list, read, edit the draft. */
function definitionRoutes(app: FastifyInstance, deps: JourneyDeps, preHandler: PreHandler): void {
  app.post<{ Body: { name: string; description?: string; definition: unknown } }>(
    '/v1/journeys',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Create a journey (a draft; publish it to take entries)'),
        body: {
          type: 'object',
          required: ['name', 'definition'],
          additionalProperties: false,
          properties: { name: { type: 'string' }, description: { type: 'string', maxLength: 2000 }, definition: {} },
        },
        response: { 201: journeySchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createJourney(deps, req.workspaceId, req.body)),
  );

  app.get<{ Querystring: { status?: string; limit: number; cursor?: string } }>(
    '/v1/journeys',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'List journeys, newest first'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['draft', 'active', 'paused', 'archived'] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', maxLength: 64 },
          },
        },
        response: {
          200: { type: 'object', properties: { data: { type: 'array', items: journeySchema }, nextCursor: { type: ['string', 'null'] } } },
          ...errorResponses,
        },
      },
    },
    async (req) => listJourneys(deps, req.workspaceId, req.query),
  );

  app.get<Id>(
    '/v1/journeys/:id',
    {
      preHandler,
      schema: { ...secured('journeys', 'A journey with its published versions'), params: idParams, response: { 200: journeySchema, ...errorResponses } },
    },
    async (req) => getJourney(deps, req.workspaceId, req.params.id),
  );

  app.patch<Id & { Body: { name?: string; description?: string; definition?: unknown } }>(
    '/v1/journeys/:id',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Rename, describe, or change the draft definition (running states keep their version)'),
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { name: { type: 'string' }, description: { type: 'string', maxLength: 2000 }, definition: {} },
        },
        response: { 200: journeySchema, ...errorResponses },
      },
    },
    async (req) => updateJourney(deps, req.workspaceId, req.params.id, req.body),
  );
}

/** The journeys API (secret key): definitions and versions, publishing, entries, migration, statistics, recipes. */
export async function journeyRoutes(app: FastifyInstance, deps: JourneyRoutesDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get('/v1/journeys/schema', { schema: { tags: ['journeys'], summary: 'The JSON Schema of a journey definition' } }, async () => JOURNEY_JSON_SCHEMA);
  recipeRoutes(app, deps, preHandler);
  definitionRoutes(app, deps, preHandler);
  lifecycleRoutes(app, deps, preHandler);
  entryRoutes(app, deps, preHandler);
}
