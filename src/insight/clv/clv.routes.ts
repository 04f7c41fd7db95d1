import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import type { InsightDeps } from '../deps.js';
import { type ClvOptions } from './clv.js';
import { clvAtRisk, clvOverview, modelView, profileClv } from './clv.reads.js';
import { atRiskQuery, atRiskSchema, fitBody, fitSchema, overviewSchema, profileClvSchema, profileParams } from './clv.schemas.js';
import { fitWorkspaceClv } from './clv.service.js';

/** Registers the CLV API (secret key): fit now, the current model and distribution, the at-risk list, a profile's predictions. */
export async function clvRoutes(app: FastifyInstance, deps: InsightDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.post<{ Body: Partial<ClvOptions> }>(
    '/v1/insight/clv/fit',
    {
      preHandler,
      schema: {
        ...secured('insight', 'Fit the CLV models (BG/NBD + Gamma-Gamma) on the order history now and write the CLV traits; a repeat only refits'),
        body: fitBody,
        response: { 200: fitSchema, ...errorResponses },
      },
    },
    async (req) => {
      const r = await fitWorkspaceClv(deps, req.workspaceId, req.body ?? {});
      return { model: modelView(r.model), traitsWritten: r.traitsWritten };
    },
  );
  app.get(
    '/v1/insight/clv',
    {
      preHandler,
      schema: {
        ...secured('insight', 'The current CLV model: parameters, fit time, the CLV distribution and totals'),
        response: { 200: overviewSchema, ...errorResponses },
      },
    },
    async (req) => clvOverview(deps, req.workspaceId),
  );
  app.get<{ Querystring: { maxPAlive: number; minClvFen: number; limit: number; cursor?: string } }>(
    '/v1/insight/clv/at-risk',
    {
      preHandler,
      schema: {
        ...secured('insight', 'High predicted value, P(alive) below a threshold: whom to win back, highest CLV first'),
        querystring: atRiskQuery,
        response: { 200: atRiskSchema, ...errorResponses },
      },
    },
    async (req) => clvAtRisk(deps, req.workspaceId, req.query),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/profiles/:id/clv',
    {
      preHandler,
      schema: {
        ...secured('insight', "A profile's predicted lifetime value, P(alive) and expected purchases"),
        params: profileParams,
        response: { 200: profileClvSchema, ...errorResponses },
      },
    },
    async (req) => profileClv(deps, req.workspaceId, req.params.id),
  );
}
