import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import type { JourneyDeps } from './deps.js';
import { setJourneyStatus } from './journeys.service.js';
import { type Id, idParams, journeySchema, type PreHandler } from './journeys.schemas.js';
import { migrateStates } from './migrate.service.js';
import { publishJourney } from './publish.service.js';

/** A journey's life: publish a version, pause, resume, archive, migrate running states between versions. */
export function lifecycleRoutes(app: FastifyInstance, deps: JourneyDeps, preHandler: PreHandler): void {
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
}
