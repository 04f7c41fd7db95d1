import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import type { KeyResolver } from '../../platform/workspaces.js';
import { ltvProfilesPage, type MetricParams, type MetricsContext, runMetric } from './metrics.service.js';
import { ltvProfilesQuery, ltvProfilesSchema, metricParams, metricQuery, metricSchema } from './metrics.schemas.js';
import type { ScopeInput } from './scope.js';
import { type MetricTable, toCsv } from './table.js';

/** Answers a table as a CSV attachment. */
export function sendCsv(reply: FastifyReply, name: string, table: MetricTable): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(toCsv(table));
}

/** Registers the metrics API: each metric as JSON or CSV, and historical LTV per profile. */
export async function metricsRoutes(app: FastifyInstance, ctx: MetricsContext & { keys: KeyResolver }): Promise<void> {
  const preHandler = requireKey(ctx.keys, 'secret');
  app.get<{ Params: { metric: string }; Querystring: ScopeInput & Partial<MetricParams> & { format: 'json' | 'csv' } }>(
    '/v1/insight/metrics/:metric',
    {
      preHandler,
      schema: {
        ...secured('insight', 'One operating metric over a range of local days (docs/insight-metrics.md); format=csv exports it'),
        params: metricParams,
        querystring: metricQuery,
        response: { 200: metricSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { format, ...input } = req.query;
      const answer = await runMetric(ctx, req.workspaceId, req.params.metric, input);
      if (format === 'csv') return sendCsv(reply, `${answer.metric}-${answer.scope.from}-${answer.scope.to}`, answer);
      return answer;
    },
  );
  app.get<{ Querystring: ScopeInput & { limit: number; cursor?: string } }>(
    '/v1/insight/ltv/profiles',
    {
      preHandler,
      schema: {
        ...secured('insight', 'Historical LTV per profile: net value of every order of the buyers whose first purchase falls in the range'),
        querystring: ltvProfilesQuery,
        response: { 200: ltvProfilesSchema, ...errorResponses },
      },
    },
    async (req) => ltvProfilesPage(ctx, req.workspaceId, req.query),
  );
}
