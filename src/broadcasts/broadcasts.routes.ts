import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { broadcastSchema, idParams, inputProperties, listQuery, nullableString, statsQuery, statsSchema, testAnswer, testBody } from './broadcasts.schemas.js';
import {
  type BroadcastInput,
  cancelBroadcast,
  createBroadcast,
  deleteBroadcast,
  getBroadcast,
  listBroadcasts,
  scheduleBroadcast,
  sendNow,
  testSend,
  updateBroadcast,
} from './broadcasts.service.js';
import type { BroadcastsDeps } from './deps.js';
import type { BroadcastStatus } from './schema.js';
import { broadcastStats } from './stats.js';

type Id = { Params: { id: string } };
const one = { 200: broadcastSchema, ...errorResponses };

/** Broadcasts as records: create a draft, list, read, edit, delete a draft. */
async function broadcastRecordRoutes(app: FastifyInstance, deps: BroadcastsDeps, preHandler: ReturnType<typeof requireKey>): Promise<void> {
  app.post<{ Body: BroadcastInput }>(
    '/v1/broadcasts',
    {
      preHandler,
      schema: {
        ...secured('broadcasts', 'Create a draft broadcast: a one-off send to a segment'),
        body: { type: 'object', required: ['name', 'channel', 'segmentId'], additionalProperties: false, properties: inputProperties },
        response: { 201: broadcastSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createBroadcast(deps, req.workspaceId, req.body)),
  );
  app.get<{ Querystring: { limit: number; cursor?: string; status?: BroadcastStatus } }>(
    '/v1/broadcasts',
    {
      preHandler,
      schema: {
        ...secured('broadcasts', 'List broadcasts, newest first'),
        querystring: listQuery,
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: broadcastSchema }, nextCursor: nullableString } }, ...errorResponses },
      },
    },
    async (req) => listBroadcasts(deps, req.workspaceId, req.query),
  );
  app.get<Id>(
    '/v1/broadcasts/:id',
    { preHandler, schema: { ...secured('broadcasts', 'Get a broadcast with its progress'), params: idParams, response: one } },
    async (req) => getBroadcast(deps, req.workspaceId, req.params.id),
  );
  app.patch<Id & { Body: BroadcastInput }>(
    '/v1/broadcasts/:id',
    {
      preHandler,
      schema: {
        ...secured('broadcasts', 'Edit a draft or scheduled broadcast'),
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: inputProperties },
        response: one,
      },
    },
    async (req) => updateBroadcast(deps, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>(
    '/v1/broadcasts/:id',
    { preHandler, schema: { ...secured('broadcasts', 'Delete a draft'), params: idParams, response: { 204: { type: 'null' }, ...errorResponses } } },
    async (req, reply) => {
      await deleteBroadcast(deps, req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );
}

/** What a broadcast does: schedule, send now, cancel, test send, and its statistics. */
async function broadcastActionRoutes(app: FastifyInstance, deps: BroadcastsDeps, preHandler: ReturnType<typeof requireKey>): Promise<void> {
  app.post<Id & { Body: { sendAt?: string } | undefined }>(
    '/v1/broadcasts/:id/schedule',
    {
      preHandler,
      schema: {
        ...secured('broadcasts', 'Schedule a draft (or move a scheduled broadcast) to sendAt, or to its stored send time'),
        params: idParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { sendAt: { type: 'string' } } },
        response: one,
      },
    },
    async (req) => scheduleBroadcast(deps, req.workspaceId, req.params.id, req.body?.sendAt),
  );
  app.post<Id>(
    '/v1/broadcasts/:id/send-now',
    { preHandler, schema: { ...secured('broadcasts', 'Start the fan-out now'), params: idParams, response: one } },
    async (req) => sendNow(deps, req.workspaceId, req.params.id),
  );
  const cancelSummary = 'Cancel a draft, scheduled or sending broadcast (a sending one stops at its next chunk)';
  app.post<Id>('/v1/broadcasts/:id/cancel', { preHandler, schema: { ...secured('broadcasts', cancelSummary), params: idParams, response: one } }, async (req) =>
    cancelBroadcast(deps, req.workspaceId, req.params.id),
  );
  const testSummary = "Send the broadcast's message to a few profiles now (not counted in its statistics)";
  app.post<Id & { Body: { profiles: string[] } }>(
    '/v1/broadcasts/:id/test',
    { preHandler, schema: { ...secured('broadcasts', testSummary), params: idParams, body: testBody, response: { 202: testAnswer, ...errorResponses } } },
    async (req, reply) => reply.code(202).send(await testSend(deps, req.workspaceId, req.params.id, req.body.profiles)),
  );
  const statsSummary = 'Audience, message outcomes and goal conversion against the holdout';
  app.get<Id & { Querystring: { goalEvent?: string; goalDays?: number } }>(
    '/v1/broadcasts/:id/stats',
    {
      preHandler,
      schema: { ...secured('broadcasts', statsSummary), params: idParams, querystring: statsQuery, response: { 200: statsSchema, ...errorResponses } },
    },
    async (req) => broadcastStats(deps, req.workspaceId, req.params.id, req.query),
  );
}

/** The broadcast API (secret key): CRUD, schedule, send now, cancel, test send, statistics. */
export async function broadcastRoutes(app: FastifyInstance, deps: BroadcastsDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  await broadcastRecordRoutes(app, deps, preHandler);
  await broadcastActionRoutes(app, deps, preHandler);
}
