/**
 * `GET`/`PUT /v1/retention`: the workspace's retention period per kind, with the defaults and the
 * bounds; `GET /v1/retention/runs`: the job's reports, newest first; `POST /v1/retention/runs`: run it now. The owner's
 * (src/access/policy.ts classes `/v1/retention…` as admin).
 */
import type { FastifyInstance } from 'fastify';
import { errorSchema, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { listRetentionRuns, type RetentionDeps, startRetentionRun } from './retention.job.js';
import {
  RETENTION_BOUNDS,
  RETENTION_DEFAULTS,
  retentionAnswer,
  retentionBody,
  retentionRunSchema,
  retentionRunsPage,
  retentionRunsQuery,
} from './retention.schemas.js';
import { type RetentionPeriods, readPeriods, savePeriods } from './retention.settings.js';

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema };

/** Registers the retention routes. */
export async function retentionRoutes(app: FastifyInstance, deps: RetentionDeps & { keys: KeyResolver }): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const answer = (periods: RetentionPeriods) => ({ periods, defaults: RETENTION_DEFAULTS, bounds: RETENTION_BOUNDS });
  app.get(
    '/v1/retention',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'How long each kind of data is kept, in days (null: forever), with the defaults and the bounds (owner only)'),
        response: { 200: retentionAnswer, ...errors },
      },
    },
    async (req) => answer(await readPeriods(deps.database, req.workspaceId)),
  );
  app.put<{ Body: { periods: Partial<RetentionPeriods> } }>(
    '/v1/retention',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'Set how long each kind of data is kept (owner only); a kind left out keeps its default'),
        body: retentionBody,
        response: { 200: retentionAnswer, ...errors },
      },
    },
    async (req) => answer(await savePeriods(deps.database, req.workspaceId, req.body.periods, deps.now())),
  );
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/retention/runs',
    {
      preHandler,
      schema: {
        ...secured('compliance', "The retention job's runs, newest first: per kind the period, the cutoff and the rows purged (owner only)"),
        querystring: retentionRunsQuery,
        response: { 200: retentionRunsPage, ...errors },
      },
    },
    async (req) => listRetentionRuns(deps.database, req.workspaceId, req.query),
  );
  app.post(
    '/v1/retention/runs',
    {
      preHandler,
      schema: {
        ...secured(
          'compliance',
          'Run the retention job for this workspace now (owner only): answers 202 with the run as it starts; it goes on in the background',
        ),
        response: { 202: retentionRunSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(202).send(await startRetentionRun(deps, req.workspaceId)),
  );
}
