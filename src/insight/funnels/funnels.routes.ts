import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import type { KeyResolver } from '../../platform/workspaces.js';
import type { MetricsContext } from '../metrics/metrics.service.js';
import { sendCsv } from '../metrics/metrics.routes.js';
import type { ScopeInput } from '../metrics/scope.js';
import type { FunnelQuery } from './funnels.repo.js';
import { funnelBody, funnelQuery, funnelSchema } from './funnels.schemas.js';
import { funnel } from './funnels.service.js';

/** Registers the funnel API: an ordered sequence of events within a window, as JSON or CSV. */
export async function funnelRoutes(app: FastifyInstance, ctx: MetricsContext & { keys: KeyResolver }): Promise<void> {
  app.post<{ Body: ScopeInput & FunnelQuery; Querystring: { format: 'json' | 'csv' } }>(
    '/v1/insight/funnels',
    {
      preHandler: requireKey(ctx.keys, 'secret'),
      schema: {
        ...secured('insight', 'A funnel: profiles reaching each step in order within the window, conversion and median time between steps, by breakdown'),
        body: funnelBody,
        querystring: funnelQuery,
        response: { 200: funnelSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const answer = await funnel(ctx, req.workspaceId, req.body);
      if (req.query.format === 'csv') return sendCsv(reply, `funnel-${answer.scope.from}-${answer.scope.to}`, answer);
      return answer;
    },
  );
}
