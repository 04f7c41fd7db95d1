import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import type { KeyResolver } from '../../platform/workspaces.js';
import type { MetricsContext } from '../metrics/metrics.service.js';
import { sendCsv } from '../metrics/metrics.routes.js';
import type { ScopeInput } from '../metrics/scope.js';
import type { CohortQuery } from './cohorts.repo.js';
import { cohortQuery, cohortSchema } from './cohorts.schemas.js';
import { cohorts } from './cohorts.service.js';

/** Registers the cohort API: a retention triangle as JSON or CSV. */
export async function cohortRoutes(app: FastifyInstance, ctx: MetricsContext & { keys: KeyResolver }): Promise<void> {
  app.get<{ Querystring: ScopeInput & CohortQuery & { format: 'json' | 'csv' } }>(
    '/v1/insight/cohorts/report',
    {
      preHandler: requireKey(ctx.keys, 'secret'),
      schema: {
        ...secured('insight', 'Retention cohorts by week or month of first purchase or first contact, retained by purchase or any activity (a triangle)'),
        querystring: cohortQuery,
        response: { 200: cohortSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { format, ...input } = req.query;
      const answer = await cohorts(ctx, req.workspaceId, input);
      if (format === 'csv') return sendCsv(reply, `cohorts-${answer.scope.from}-${answer.scope.to}`, answer);
      return answer;
    },
  );
}
