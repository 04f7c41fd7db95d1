import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../platform/http.js';
import { computeModels } from './compute.js';
import type { SegmentsDeps } from '../deps.js';
import { requestModelSegmentRecomputes } from '../recompute.js';
import {
  computeBody,
  computeReportSchema,
  errorResponses,
  flowQuery,
  flowSchema,
  rfmReportSchema,
  secured,
  settingsAnswerSchema,
  settingsBody,
} from './models.schemas.js';
import { flowPeriod, lifecycleFlow } from './lifecycle-flow.js';
import { rfmReport } from './rfm.js';
import { loadModelSettings, type ModelName, type ModelSettings, saveSegmentationSettings } from './settings.js';

const answer = ({ timeZone, ...segmentation }: ModelSettings) => ({ timeZone, segmentation });

/** The models API (secret key): run the models, the RFM report, and the model settings. */
export async function modelRoutes(app: FastifyInstance, deps: SegmentsDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const db = deps.database.db;
  const tz = deps.defaultTimeZone;
  const clock = { now: deps.now };

  app.post<{ Body: { models?: ModelName[] } | undefined }>(
    '/v1/models/compute',
    {
      preHandler,
      // `curl -X POST` without a body runs every model.
      preValidation: async (req) => {
        if (req.body === undefined) req.body = {};
      },
      schema: {
        ...secured('Run the models now (RFM, lifecycle, community, or those listed) and answer what they did; 409 while another run is in progress'),
        body: computeBody,
        response: { 200: computeReportSchema, ...errorResponses },
      },
    },
    async (req) => {
      const report = await computeModels(db, deps.database.dialect, req.workspaceId, deps.now(), {
        models: req.body?.models,
        clock,
        defaultTimeZone: tz,
      });
      // Segments built on model outputs follow now, not at the next scheduled re-check.
      const recomputing = await requestModelSegmentRecomputes(db, req.workspaceId, deps.now());
      if (recomputing.length) deps.hub.emit('segments.recompute-requested', { workspaceId: req.workspaceId });
      return { ...report, segmentsRecomputing: recomputing };
    },
  );

  app.get(
    '/v1/models/rfm/report',
    {
      preHandler,
      schema: {
        ...secured('The RFM cells of the last run: counts, shares, revenue, averages, and the thresholds used'),
        response: { 200: rfmReportSchema, ...errorResponses },
      },
    },
    async (req) => rfmReport(db, req.workspaceId),
  );

  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/v1/models/lifecycle/flow',
    {
      preHandler,
      schema: {
        ...secured('How many profiles moved between lifecycle stages in a period of local dates (from the recorded stage changes)'),
        querystring: flowQuery,
        response: { 200: flowSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { timeZone } = await loadModelSettings(db, req.workspaceId, tz);
      return lifecycleFlow(db, deps.database.dialect, req.workspaceId, flowPeriod(deps.now(), timeZone, req.query), timeZone);
    },
  );

  app.get(
    '/v1/models/settings',
    { preHandler, schema: { ...secured('The model settings, defaults filled in'), response: { 200: settingsAnswerSchema, ...errorResponses } } },
    async (req) => answer(await loadModelSettings(db, req.workspaceId, tz)),
  );

  app.put<{ Body: Record<string, unknown> }>(
    '/v1/models/settings',
    {
      preHandler,
      schema: {
        ...secured('Replace the model settings (anything left out takes its default); validated, 400 VALIDATION_FAILED names the bad setting'),
        body: settingsBody,
        response: { 200: settingsAnswerSchema, ...errorResponses },
      },
    },
    async (req) => answer(await saveSegmentationSettings(db, req.workspaceId, req.body, tz)),
  );
}
