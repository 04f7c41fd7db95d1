/** The surveys' report (scores, trend, touchpoints) and verbatims routes (secret key). */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import type { InsightDeps } from '../deps.js';
import { surveyReportQuery, surveyReportSchema, verbatimPageSchema, verbatimsQuery } from './results.schemas.js';
import { type ResultsQuery, surveyResults } from './scores.service.js';
import { surveyParams } from './surveys.schemas.js';
import { getSurvey } from './surveys.service.js';
import { searchVerbatims, type VerbatimQuery } from './verbatims.service.js';

type Id = { Params: { id: string } };
const TAG = 'insight-surveys';
const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

/** Registers `GET /v1/insight/surveys/:id/report` and `GET /v1/insight/surveys/:id/verbatims`. */
export async function surveyReportRoutes(app: FastifyInstance, deps: InsightDeps, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<Id & { Querystring: Omit<ResultsQuery, 'from' | 'to'> & { from?: string; to?: string } }>(
    '/v1/insight/surveys/:id/report',
    {
      preHandler,
      schema: {
        ...secured(TAG, 'Scores (NPS, CSAT, CES), their trend and the breakdown by touchpoint'),
        params: surveyParams,
        querystring: surveyReportQuery,
        response: { 200: surveyReportSchema, ...errorResponses },
      },
    },
    async (req) => surveyResults(deps, req.workspaceId, req.params.id, { ...req.query, from: ms(req.query.from), to: ms(req.query.to) }),
  );
  app.get<Id & { Querystring: Omit<VerbatimQuery, 'from' | 'to'> & { from?: string; to?: string } }>(
    '/v1/insight/surveys/:id/verbatims',
    {
      preHandler,
      schema: {
        ...secured(TAG, 'Free-text answers, newest first, by text, keyword tag and NPS category'),
        params: surveyParams,
        querystring: verbatimsQuery,
        response: { 200: verbatimPageSchema, ...errorResponses },
      },
    },
    async (req) => {
      await getSurvey(deps, req.workspaceId, req.params.id);
      return searchVerbatims(deps.database.db, req.workspaceId, req.params.id, { ...req.query, from: ms(req.query.from), to: ms(req.query.to) });
    },
  );
}
