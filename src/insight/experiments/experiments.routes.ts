import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import type { InsightDeps } from '../deps.js';
import {
  createBody,
  experimentSchema,
  exposuresBody,
  exposuresSchema,
  idParams,
  listQuery,
  listSchema,
  resultsSchema,
  splitBody,
  splitParams,
} from './experiments.schemas.js';
import type { MetricCache } from '../metrics/cache.js';
import {
  cachedExperimentResults,
  createExperiment,
  experimentOfSplit,
  getExperiment,
  listExperiments,
  recordExposures,
  stopExperiment,
} from './experiments.service.js';
import type { SplitInput } from './experiments.validate.js';

type Id = { Params: { id: string } };

/** Registers the experiments API: define, list, read, record exposures, results, and a journey split as an experiment. */
export async function experimentRoutes(app: FastifyInstance, deps: InsightDeps, cache: MetricCache): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const created = { 201: experimentSchema, 200: experimentSchema, ...errorResponses };
  app.post<{ Body: unknown }>(
    '/v1/insight/experiments',
    {
      preHandler,
      schema: { ...secured('insight', 'Create an experiment (201); the same key and definition again answers it (200)'), body: createBody, response: created },
    },
    async (req, reply) => {
      const r = await createExperiment(deps, req.workspaceId, req.body);
      return reply.code(r.created ? 201 : 200).send(r.experiment);
    },
  );
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/insight/experiments',
    {
      preHandler,
      schema: { ...secured('insight', 'List experiments, newest first'), querystring: listQuery, response: { 200: listSchema, ...errorResponses } },
    },
    async (req) => listExperiments(deps, req.workspaceId, req.query),
  );
  app.get<Id>(
    '/v1/insight/experiments/:id',
    { preHandler, schema: { ...secured('insight', 'An experiment'), params: idParams, response: { 200: experimentSchema, ...errorResponses } } },
    async (req) => getExperiment(deps, req.workspaceId, req.params.id),
  );
  app.post<Id>(
    '/v1/insight/experiments/:id/stop',
    {
      preHandler,
      schema: {
        ...secured('insight', 'Stop an experiment: no more exposures are recorded; results stay readable'),
        params: idParams,
        response: { 200: experimentSchema, ...errorResponses },
      },
    },
    async (req) => stopExperiment(deps, req.workspaceId, req.params.id),
  );
  app.post<Id & { Body: { exposures: { profile: string; at?: string }[] } }>(
    '/v1/insight/experiments/:id/exposures',
    {
      preHandler,
      schema: {
        ...secured('insight', "Record profiles' exposures: each gets its stable arm; a first exposure is stored and becomes an `Experiment Viewed` event"),
        params: idParams,
        body: exposuresBody,
        response: { 200: exposuresSchema, ...errorResponses },
      },
    },
    async (req) => recordExposures(deps, req.workspaceId, req.params.id, req.body),
  );
  app.get<Id>(
    '/v1/insight/experiments/:id/results',
    {
      preHandler,
      schema: {
        ...secured('insight', 'Results per arm: n, mean, lift with interval and p-value, chance to win, risk, the sample ratio check and the verdict'),
        params: idParams,
        response: { 200: resultsSchema, ...errorResponses },
      },
    },
    async (req) => cachedExperimentResults(deps, cache, req.workspaceId, req.params.id),
  );
  splitRoute(app, deps, preHandler);
}

/** A journey's split step taken as an experiment (its own route: the step is named by the journey's path). */
function splitRoute(app: FastifyInstance, deps: InsightDeps, preHandler: ReturnType<typeof requireKey>): void {
  const created = { 201: experimentSchema, 200: experimentSchema, ...errorResponses };
  app.post<{ Params: { journeyId: string; stepId: string }; Body: SplitInput }>(
    '/v1/insight/journeys/:journeyId/splits/:stepId/experiment',
    {
      preHandler,
      schema: {
        ...secured('insight', "Analyse a journey's split step as an experiment (its arms, weights and holdout; exposures are its assignments); once per step"),
        params: splitParams,
        body: splitBody,
        response: created,
      },
    },
    async (req, reply) => {
      const r = await experimentOfSplit(deps, req.workspaceId, req.params.journeyId, req.params.stepId, req.body);
      return reply.code(r.created ? 201 : 200).send(r.experiment);
    },
  );
}
