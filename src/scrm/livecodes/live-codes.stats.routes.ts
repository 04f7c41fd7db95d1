import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageSchema } from '../../platform/paging.js';
import type { LiveDeps } from './context.js';
import { addSchema, addsQuery, idParams, type Id, statsQuery, statsSchema } from './live-codes.schemas.js';
import { liveCodeStats, listLiveCodeAdds } from './live-codes.stats.js';

/** `/v1/wecom/live-codes/:id/stats` and `/adds`: growth by day and staff member, and the customers who came through a code (secret key). */
export async function liveCodeStatsRoutes(app: FastifyInstance, deps: LiveDeps, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<Id & { Querystring: { from?: string; to?: string } }>(
    '/v1/wecom/live-codes/:id/stats',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Adds, deletions and net growth of a live code by local day and by staff member'),
        params: idParams,
        querystring: statsQuery,
        response: {
          200: statsSchema,
          ...errorResponses,
        },
      },
    },
    async (req) => liveCodeStats(deps, req.workspaceId, req.params.id, req.query),
  );

  app.get<Id & { Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/live-codes/:id/adds',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Customers who came through a live code, newest first, with the fate of their welcome message and tags'),
        params: idParams,
        querystring: addsQuery,
        response: { 200: pageSchema(addSchema), ...errorResponses },
      },
    },
    async (req) => listLiveCodeAdds(deps, req.workspaceId, req.params.id, req.query),
  );
}
