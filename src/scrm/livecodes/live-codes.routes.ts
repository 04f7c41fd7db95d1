import type { FastifyInstance } from 'fastify';
import type { Services } from '../../server/app.js';
import { errorResponses, errorSchema, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import { STRATEGIES } from './assignment.js';
import { liveDepsOf, type LiveDeps } from './context.js';
import { groupCodeRoutes } from './group-codes.routes.js';
import { CHANNELS } from './live-codes.repo.js';
import {
  createLiveCode,
  deleteLiveCode,
  liveCodeDetail,
  liveCodeView,
  loadLiveCode,
  pageLiveCodes,
  updateLiveCode,
  type LiveCodeInput,
} from './live-codes.service.js';
import { liveCodeStats, listLiveCodeAdds } from './live-codes.stats.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
const wecomErrors = { ...errorResponses, 502: errorSchema } as const;

const tagInputSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: { type: 'string' }, group: { type: 'string' }, name: { type: 'string' } },
} as const;

const welcomeSchema = {
  type: ['object', 'null'],
  description:
    "text with {name} or {{ name }} for the customer's name; attachments in send_welcome_msg's shape (image, link, miniprogram), at most 9; or templateId: a wecom messaging template sent instead; null for none",
  additionalProperties: true,
  properties: { templateId: { type: 'string' }, text: { type: 'string' }, attachments: { type: 'array', items: anyObject }, nameFallback: { type: 'string' } },
} as const;

const inputProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  channel: { type: 'string', enum: [...CHANNELS] },
  staff: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100, description: 'WeCom userids, in round-robin order' },
  strategy: { type: 'string', enum: [...STRATEGIES], description: 'least_load (default) or round_robin' },
  dailyCap: { type: ['integer', 'null'], minimum: 1, description: 'adds per staff member per local day through this code' },
  overflowUserid: { type: ['string', 'null'], description: 'gets the customers when every staff member is at the cap' },
  tags: { type: 'array', items: tagInputSchema, description: "Siyu tags put on the customer's profile" },
  corpTagIds: { type: 'array', items: { type: 'string' }, description: 'WeCom corp tag ids marked on the customer' },
  welcome: welcomeSchema,
  skipVerify: { type: 'boolean', description: 'add without the member confirming (default true)' },
  expiresAt: { type: ['string', 'null'], description: 'ISO-8601; the contact way is deleted then' },
} as const;

const liveCodeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    channel: { type: 'string' },
    state: { type: 'string', description: "the contact way's state: attributes adds to this code" },
    configId: { type: ['string', 'null'] },
    qrCode: { type: ['string', 'null'] },
    staff: { type: 'array', items: { type: 'string' } },
    strategy: { type: 'string' },
    dailyCap: { type: ['integer', 'null'] },
    overflowUserid: { type: ['string', 'null'] },
    tags: { type: 'array', items: tagInputSchema },
    corpTagIds: { type: 'array', items: { type: 'string' } },
    welcome: welcomeSchema,
    skipVerify: { type: 'boolean' },
    expiresAt: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['active', 'expired', 'deleted'] },
    activeUsers: { type: 'array', items: { type: 'string' }, description: 'the users WeCom currently hands new customers to' },
    syncError: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    today: {
      type: 'object',
      properties: {
        date: { type: 'string' },
        staff: { type: 'array', items: { type: 'object', properties: { userid: { type: 'string' }, adds: { type: 'integer' }, atCap: { type: 'boolean' } } } },
      },
    },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
type Id = { Params: { id: string } };

/** The live-code and group live-code API (secret key): CRUD, adds, statistics; `deps` defaults to the process services. */
export async function liveCodeRoutes(app: FastifyInstance, s: Services, deps: LiveDeps = liveDepsOf(s)): Promise<void> {
  const preHandler = requireKey(s.keys, 'secret');
  await groupCodeRoutes(app, s, deps);

  app.post<{ Body: LiveCodeInput }>(
    '/v1/wecom/live-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Create a channel live QR code (its WeCom contact way is created with it)'),
        body: { type: 'object', required: ['name', 'channel', 'staff'], additionalProperties: false, properties: inputProperties },
        response: { 201: liveCodeSchema, ...wecomErrors },
      },
    },
    async (req, reply) => reply.code(201).send(liveCodeView(await createLiveCode(deps, req.workspaceId, req.body))),
  );

  app.get<{ Querystring: { channel?: string; status?: string; limit: number; cursor?: string } }>(
    '/v1/wecom/live-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'List live codes, newest first'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            channel: { type: 'string', enum: [...CHANNELS] },
            status: { type: 'string', enum: ['active', 'expired'] },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            cursor: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: liveCodeSchema }, nextCursor: { type: ['string', 'null'] } } },
          ...errorResponses,
        },
      },
    },
    async (req) => pageLiveCodes(deps, req.workspaceId, req.query),
  );

  app.get<Id>(
    '/v1/wecom/live-codes/:id',
    {
      preHandler,
      schema: { ...secured('wecom', "A live code with today's adds per staff member"), params: idParams, response: { 200: liveCodeSchema, ...wecomErrors } },
    },
    async (req) => liveCodeDetail(deps, await loadLiveCode(deps, req.workspaceId, req.params.id)),
  );

  app.patch<Id & { Body: LiveCodeInput }>(
    '/v1/wecom/live-codes/:id',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Edit a live code (the contact way follows; a new future expiry reactivates an expired code with a new QR code)'),
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: inputProperties },
        response: { 200: liveCodeSchema, ...wecomErrors },
      },
    },
    async (req) => liveCodeView(await updateLiveCode(deps, req.workspaceId, req.params.id, req.body)),
  );

  app.delete<Id>(
    '/v1/wecom/live-codes/:id',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Delete a live code and its contact way (statistics stay)'),
        params: idParams,
        response: { 204: { type: 'null' }, ...wecomErrors },
      },
    },
    async (req, reply) => {
      await deleteLiveCode(deps, req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );

  app.get<Id & { Querystring: { from?: string; to?: string } }>(
    '/v1/wecom/live-codes/:id/stats',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Adds, deletions and net growth of a live code by local day and by staff member'),
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', description: 'YYYY-MM-DD, workspace time zone (default 29 days before to)' },
            to: { type: 'string', description: 'YYYY-MM-DD (default today)' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              liveCodeId: { type: 'string' },
              timeZone: { type: 'string' },
              from: { type: 'string' },
              to: { type: 'string' },
              totals: anyObject,
              byDay: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { date: { type: 'string' }, adds: { type: 'integer' }, deletions: { type: 'integer' }, net: { type: 'integer' } },
                },
              },
              byStaff: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { userid: { type: 'string' }, adds: { type: 'integer' }, deletions: { type: 'integer' }, net: { type: 'integer' } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => liveCodeStats(deps, req.workspaceId, req.params.id, req.query),
  );

  app.get<Id & { Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/live-codes/:id/adds',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Customers who came through a live code, newest first, with the fate of their welcome message and tags'),
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, cursor: { type: 'string', maxLength: 100 } },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: anyObject }, nextCursor: { type: ['string', 'null'] } } },
          ...errorResponses,
        },
      },
    },
    async (req) => listLiveCodeAdds(deps, req.workspaceId, req.params.id, req.query),
  );
}
