import type { FastifyInstance } from 'fastify';
import type { Services } from '../server/app.js';
import { profileDeps } from '../cdp/profiles.routes.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { CHANNELS } from '../messaging/index.js';
import {
  type BroadcastDeps,
  type BroadcastInput,
  cancelBroadcast,
  createBroadcast,
  deleteBroadcast,
  getBroadcast,
  listBroadcasts,
  MAX_HOLDOUT_PERCENT,
  MAX_TEST_PROFILES,
  scheduleBroadcast,
  sendNow,
  testSend,
  updateBroadcast,
} from './broadcasts.service.js';
import { broadcastStats } from './stats.js';
import type { BroadcastStatus } from './schema.js';

const obj = { type: 'object', additionalProperties: true } as const;
const nullableString = { type: ['string', 'null'] } as const;
const STATUSES = ['draft', 'scheduled', 'sending', 'sent', 'cancelled', 'failed'] as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

const inputProperties = {
  name: { type: 'string', maxLength: 200 },
  description: { type: 'string', maxLength: 2000 },
  channel: { type: 'string', enum: CHANNELS.filter((c) => c !== 'wecom_group') },
  purpose: { type: 'string', enum: ['marketing', 'service'] },
  templateId: nullableString,
  templateVersion: { type: ['integer', 'null'], minimum: 1 },
  content: { type: ['object', 'null'], additionalProperties: true },
  data: obj,
  segmentId: { type: 'string', minLength: 1 },
  excludeSegmentId: nullableString,
  holdoutPercent: { type: 'integer', minimum: 0, maximum: MAX_HOLDOUT_PERCENT },
  goalEvent: nullableString,
  goalDays: { type: 'integer', minimum: 1, maximum: 90 },
  sendAt: { ...nullableString, description: 'ISO-8601 with an offset or Z; stored in UTC' },
} as const;

const group = { type: 'object', properties: { profiles: { type: 'integer' }, converted: { type: 'integer' }, rate: { type: ['number', 'null'] } } } as const;

const broadcastSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    channel: { type: 'string' },
    purpose: { type: 'string' },
    templateId: nullableString,
    templateVersion: { type: ['integer', 'null'] },
    content: { type: ['object', 'null'], additionalProperties: true },
    data: obj,
    segmentId: { type: 'string' },
    excludeSegmentId: nullableString,
    holdoutPercent: { type: 'integer' },
    goalEvent: nullableString,
    goalDays: { type: 'integer' },
    sendAt: nullableString,
    progress: {
      type: 'object',
      properties: {
        total: { type: ['integer', 'null'], description: 'audience size: an estimate while sending, exact once sent' },
        enqueued: { type: 'integer', description: 'profiles with an outbox message' },
        holdout: { type: 'integer' },
        excluded: { type: 'integer' },
        done: { type: 'boolean' },
      },
    },
    error: nullableString,
    startedAt: nullableString,
    finishedAt: nullableString,
    cancelledAt: nullableString,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const statsSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    audience: {
      type: 'object',
      properties: {
        total: { type: ['integer', 'null'] },
        holdout: { type: 'integer' },
        excluded: { type: 'integer' },
        enqueued: { type: 'integer' },
        done: { type: 'boolean' },
      },
    },
    messages: {
      type: 'object',
      properties: {
        ...Object.fromEntries(
          ['total', 'queued', 'sending', 'held', 'sent', 'delivered', 'suppressed', 'failed', 'unknown', 'opened', 'clicked'].map((k) => [
            k,
            { type: 'integer' },
          ]),
        ),
        reasons: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } } },
      },
    },
    conversion: {
      type: ['object', 'null'],
      properties: {
        goalEvent: { type: 'string' },
        windowDays: { type: 'integer' },
        from: { type: 'string' },
        to: { type: 'string' },
        open: { type: 'boolean' },
        targeted: group,
        reached: group,
        holdout: group,
        lift: { type: ['number', 'null'] },
      },
    },
  },
} as const;

type Id = { Params: { id: string } };

/** The broadcast deps, taken from the process services. */
export function broadcastDeps(s: Services): BroadcastDeps {
  return {
    database: s.database,
    now: () => s.clock.now(),
    profiles: profileDeps(s),
    wake: () => s.broadcastWorker?.wake(),
    wakeDispatcher: () => s.messagingDispatcher?.wake(),
  };
}

/** The broadcast API (secret key): CRUD, schedule, send now, cancel, test send, statistics. */
export async function broadcastRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const preHandler = requireKey(s.keys, 'secret');
  const deps = broadcastDeps(s);
  const one = { 200: broadcastSchema, ...errorResponses };

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
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            cursor: { type: 'string', maxLength: 64 },
            status: { type: 'string', enum: STATUSES },
          },
        },
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

  app.post<Id>(
    '/v1/broadcasts/:id/cancel',
    {
      preHandler,
      schema: {
        ...secured('broadcasts', 'Cancel a draft, scheduled or sending broadcast (a sending one stops at its next chunk)'),
        params: idParams,
        response: one,
      },
    },
    async (req) => cancelBroadcast(deps, req.workspaceId, req.params.id),
  );

  app.post<Id & { Body: { profiles: string[] } }>(
    '/v1/broadcasts/:id/test',
    {
      preHandler,
      schema: {
        ...secured('broadcasts', "Send the broadcast's message to a few profiles now (not counted in its statistics)"),
        params: idParams,
        body: {
          type: 'object',
          required: ['profiles'],
          additionalProperties: false,
          properties: {
            profiles: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_TEST_PROFILES,
              items: { type: 'string', minLength: 1, maxLength: 512 },
              description: 'profile ids or identifiers (type:value)',
            },
          },
        },
        response: {
          202: {
            type: 'object',
            properties: {
              testId: { type: 'string' },
              messages: {
                type: 'array',
                items: { type: 'object', properties: { profileId: { type: 'string' }, messageId: { type: 'string' }, status: { type: 'string' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => reply.code(202).send(await testSend(deps, req.workspaceId, req.params.id, req.body.profiles)),
  );

  app.get<Id & { Querystring: { goalEvent?: string; goalDays?: number } }>(
    '/v1/broadcasts/:id/stats',
    {
      preHandler,
      schema: {
        ...secured('broadcasts', 'Audience, message outcomes and goal conversion against the holdout'),
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { goalEvent: { type: 'string', minLength: 1, maxLength: 200 }, goalDays: { type: 'integer', minimum: 1, maximum: 90 } },
        },
        response: { 200: statsSchema, ...errorResponses },
      },
    },
    async (req) => broadcastStats(deps, req.workspaceId, req.params.id, req.query),
  );
}
