import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import type { JourneyDeps } from './deps.js';
import { createJourney } from './journeys.service.js';
import { anyObject, journeySchema, type PreHandler } from './journeys.schemas.js';
import { publishJourney } from './publish.service.js';
import { RECIPES, recipeByName } from './recipes.js';

/** Recipes: the list, and importing one as a draft journey (published at once on request). */
export function recipeRoutes(app: FastifyInstance, deps: JourneyDeps, preHandler: PreHandler): void {
  app.get(
    '/v1/journeys/recipes',
    {
      preHandler,
      schema: {
        ...secured('journeys', 'Ready-made journeys that can be imported'),
        response: {
          200: {
            type: 'object',
            properties: { data: { type: 'array', items: anyObject }, nextCursor: { type: 'null', description: 'the catalogue is one page' } },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ data: RECIPES.map((r) => ({ name: r.name, title: r.title, description: r.description, params: r.params })), nextCursor: null }),
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
}
