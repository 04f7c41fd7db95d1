/** The surveys API (secret key): definitions, signed links, results and verbatims; and the public answer page. */
import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import { findUnstorableText } from '../../platform/text.js';
import type { InsightDeps } from '../deps.js';
import { InsightError } from '../errors.js';
import { type LinkRequest, makeLink } from './links.service.js';
import { surveyPageRoutes } from './page.routes.js';
import { surveyReportRoutes } from './report.routes.js';
import { createSurveyBody, linkBody, linkSchema, listSurveysQuery, surveyPageSchema, surveyParams, surveySchema, updateSurveyBody } from './surveys.schemas.js';
import { archiveSurvey, createSurvey, getSurvey, listSurveys, type SurveyInput, updateSurvey } from './surveys.service.js';

type Id = { Params: { id: string } };
const TAG = 'insight-surveys';

function storable(body: unknown): void {
  const bad = findUnstorableText(body, 'body');
  if (bad) throw new InsightError('VALIDATION_FAILED', `${bad.path}: ${bad.message}`, { field: bad.path });
}

/** Registers the surveys routes (definitions and links here; report and verbatims in report.routes.ts; the public page in page.routes.ts). */
export async function surveyRoutes(app: FastifyInstance, deps: InsightDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const one = { 200: surveySchema, ...errorResponses };
  app.post<{ Body: SurveyInput }>(
    '/v1/insight/surveys',
    {
      preHandler,
      schema: {
        ...secured(TAG, 'Create a survey (NPS, CSAT, CES, choices, free text; zh-CN and en texts)'),
        body: createSurveyBody,
        response: { 201: surveySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      storable(req.body);
      return reply.status(201).send(await createSurvey(deps, req.workspaceId, req.body));
    },
  );
  app.get<{ Querystring: { status?: string; limit: number; cursor?: string } }>(
    '/v1/insight/surveys',
    { preHandler, schema: { ...secured(TAG, 'Surveys, newest first'), querystring: listSurveysQuery, response: { 200: surveyPageSchema, ...errorResponses } } },
    async (req) => listSurveys(deps, req.workspaceId, req.query),
  );
  app.get<Id>(
    '/v1/insight/surveys/:id',
    { preHandler, schema: { ...secured(TAG, 'A survey with its current version'), params: surveyParams, response: one } },
    async (req) => getSurvey(deps, req.workspaceId, req.params.id),
  );
  app.patch<Id & { Body: Partial<SurveyInput> }>(
    '/v1/insight/surveys/:id',
    {
      preHandler,
      schema: {
        ...secured(TAG, 'Update a survey; content changes make a new version once the current one has answers'),
        params: surveyParams,
        body: updateSurveyBody,
        response: one,
      },
    },
    async (req) => {
      storable(req.body);
      return updateSurvey(deps, req.workspaceId, req.params.id, req.body);
    },
  );
  app.post<Id>(
    '/v1/insight/surveys/:id/archive',
    { preHandler, schema: { ...secured(TAG, 'Archive a survey: its links show it closed; results stay'), params: surveyParams, response: one } },
    async (req) => archiveSurvey(deps, req.workspaceId, req.params.id),
  );
  app.post<Id & { Body: LinkRequest }>(
    '/v1/insight/surveys/:id/links',
    {
      preHandler,
      schema: {
        ...secured(TAG, 'A signed answer link for one profile'),
        params: surveyParams,
        body: linkBody,
        response: { 200: linkSchema, ...errorResponses },
      },
    },
    async (req) => makeLink(deps, req.workspaceId, req.params.id, req.body),
  );
  await surveyReportRoutes(app, deps, preHandler);
  await surveyPageRoutes(app, deps);
}
