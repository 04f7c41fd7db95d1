import type { FastifyInstance } from 'fastify';
import type { Services } from '../server/app.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { journeyDeps } from './deps.js';
import { JOURNEY_JSON_SCHEMA } from './journey-schema.js';
import {
  createJourney,
  enterByApi,
  getJourney,
  journeyStats,
  listJourneys,
  migrateStates,
  publishJourney,
  setJourneyStatus,
  statesOf,
  updateJourney,
} from './journeys.service.js';
import { RECIPES, recipeByName } from './recipes.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
const journeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    status: { type: 'string', enum: ['draft', 'active', 'paused', 'archived'] },
    currentVersion: { type: ['integer', 'null'] },
    definition: { ...anyObject, description: 'the draft definition (published as the next version)' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    version: { type: 'integer' },
    versions: { type: 'array', items: { type: 'object', properties: { version: { type: 'integer' }, definition: anyObject, createdAt: { type: 'string' } } } },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
type Id = { Params: { id: string } };

/** The journeys API (secret key): definitions and versions, publishing, entries, migration, statistics, recipes. */
export async function journeyRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const preHandler = requireKey(s.keys, 'secret');
  const deps = journeyDeps(s, { onEntered: () => s.journeyWorker?.wake() });

  app.get('/v1/journeys/schema', { schema: { tags: ['journeys'], summary: 'The JSON Schema of a journey definition' } }, async () => JOURNEY_JSON_SCHEMA);

  app.get(
    '/v1/journeys/recipes',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Ready-made journeys that can be imported'),
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: anyObject } } }, ...errorResponses },
      },
    },
    async () => ({ data: RECIPES.map((r) => ({ name: r.name, title: r.title, description: r.description, params: r.params })) }),
  );

  app.post<{ Params: { name: string }; Body: { name?: string; params?: Record<string, unknown>; publish?: boolean } }>(
    '/v1/journeys/recipes/:name/import',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Import a recipe as a draft journey (publish: true to start it at once)'),
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string' }, params: anyObject, publish: { type: 'boolean', default: false } },
        },
        response: { 201: journeySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const recipe = recipeByName(req.params.name);
      const body = req.body ?? {};
      const created = await createJourney(deps, req.workspaceId, {
        name: body.name ?? recipe.title,
        description: recipe.description,
        definition: recipe.build(body.params ?? {}),
      });
      return reply.code(201).send(body.publish ? await publishJourney(deps, req.workspaceId, created.id) : created);
    },
  );

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

  app.get<{ Querystring: { status?: string } }>(
    '/v1/journeys',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'List journeys, newest first'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['draft', 'active', 'paused', 'archived'] } },
        },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: journeySchema } } }, ...errorResponses },
      },
    },
    async (req) => ({ data: await listJourneys(deps, req.workspaceId, req.query.status) }),
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

  app.post<Id>(
    '/v1/journeys/:id/publish',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Publish the draft as a new version; new entries use it'),
        params: idParams,
        response: { 200: journeySchema, ...errorResponses },
      },
    },
    async (req) => publishJourney(deps, req.workspaceId, req.params.id),
  );

  for (const action of ['pause', 'resume', 'archive'] as const) {
    app.post<Id>(
      `/v1/journeys/:id/${action}`,
      {
        preHandler,
        schema: {
          ...secured('journeys', `${action[0]!.toUpperCase()}${action.slice(1)} the journey`),
          params: idParams,
          response: { 200: journeySchema, ...errorResponses },
        },
      },
      async (req) => setJourneyStatus(deps, req.workspaceId, req.params.id, action),
    );
  }

  app.post<Id & { Body: { fromVersion: number; toVersion?: number; mapping: Record<string, string | null> } }>(
    '/v1/journeys/:id/migrate',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Move running states from one version to another by a step mapping (null: exit)'),
        params: idParams,
        body: {
          type: 'object',
          required: ['fromVersion', 'mapping'],
          additionalProperties: false,
          properties: {
            fromVersion: { type: 'integer', minimum: 1 },
            toVersion: { type: 'integer', minimum: 1 },
            mapping: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
          },
        },
        response: {
          200: { type: 'object', properties: { moved: { type: 'integer' }, exited: { type: 'integer' }, toVersion: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (req) => migrateStates(deps, req.workspaceId, req.params.id, req.body),
  );

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

  app.get<Id & { Querystring: { status?: string; profileId?: string; limit: number } }>(
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
          },
        },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: anyObject } } }, ...errorResponses },
      },
    },
    async (req) => ({
      data: await statesOf(deps, req.workspaceId, req.params.id, {
        limit: req.query.limit,
        ...(req.query.status && { status: req.query.status }),
        ...(req.query.profileId && { subjectId: req.query.profileId }),
      }),
    }),
  );
}
