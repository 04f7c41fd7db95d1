import type { FastifyInstance } from 'fastify';
import type { Services } from '../../server/app.js';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import { liveDepsOf, type LiveDeps } from '../livecodes/context.js';
import { changeGroupTags, getGroup, groupStats, groupTagCatalogue, groupTags, listGroups } from './groups.service.js';

const groupProperties = {
  chatId: { type: 'string' },
  name: { type: 'string' },
  owner: { type: 'string' },
  notice: { type: ['string', 'null'] },
  status: { type: 'string', enum: ['active', 'dismissed'] },
  memberCount: { type: 'integer' },
  tags: { type: 'array', items: { type: 'string' } },
  createdAt: { type: 'string' },
  dismissedAt: { type: ['string', 'null'] },
  updatedAt: { type: 'string' },
} as const;

const memberSchema = {
  type: 'object',
  properties: {
    memberId: { type: 'string' },
    type: { type: 'string', enum: ['staff', 'customer'] },
    name: { type: ['string', 'null'] },
    unionid: { type: ['string', 'null'] },
    joinTime: { type: 'string' },
    joinScene: { type: ['string', 'null'], description: 'invited, link or qr_code' },
    invitor: { type: ['string', 'null'] },
    quitAt: { type: ['string', 'null'] },
    quitScene: { type: ['string', 'null'], description: 'left or removed' },
  },
} as const;

const statsSchema = {
  type: 'object',
  properties: {
    chatId: { type: ['string', 'null'] },
    timeZone: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    totals: { type: 'object', additionalProperties: { type: 'integer' } },
    joinScenes: { type: 'object', additionalProperties: { type: 'integer' } },
    byDay: {
      type: 'array',
      items: { type: 'object', properties: { date: { type: 'string' }, joins: { type: 'integer' }, quits: { type: 'integer' }, net: { type: 'integer' } } },
    },
  },
} as const;

const rangeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', description: 'YYYY-MM-DD in the workspace time zone (default 29 days before to)' },
    to: { type: 'string', description: 'YYYY-MM-DD (default today)' },
  },
} as const;

const chatParams = { type: 'object', required: ['chatId'], properties: { chatId: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
const tagsSchema = { type: 'object', properties: { chatId: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } } as const;
const tagList = { type: 'array', items: { type: 'string' }, maxItems: 50 } as const;
type Chat = { Params: { chatId: string } };

/** The customer-group API (secret key): list, detail with members, growth and churn, group tags. */
export async function groupRoutes(app: FastifyInstance, s: Services, deps: LiveDeps = liveDepsOf(s)): Promise<void> {
  const preHandler = requireKey(s.keys, 'secret');

  app.get<{ Querystring: { owner?: string; status?: string; tag?: string; q?: string; limit: number; cursor?: string } }>(
    '/v1/wecom/groups',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Customer groups with owner, member count, status and tags, by chat id'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            owner: { type: 'string', description: 'owner userid' },
            status: { type: 'string', enum: ['active', 'dismissed'] },
            tag: { type: 'string', description: 'only groups with this group tag' },
            q: { type: 'string', maxLength: 64, description: 'part of the group name' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            cursor: { type: 'string', maxLength: 300 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: { type: 'object', properties: groupProperties } }, nextCursor: { type: ['string', 'null'] } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => listGroups(deps, req.workspaceId, req.query),
  );

  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/v1/wecom/groups/stats',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Joins, quits and net growth of every customer group by local day'),
        querystring: rangeQuery,
        response: { 200: statsSchema, ...errorResponses },
      },
    },
    async (req) => groupStats(deps, req.workspaceId, undefined, req.query),
  );

  app.get(
    '/v1/wecom/group-tags',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Group tags in use, with their number of groups'),
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: { type: 'object', properties: { tag: { type: 'string' }, groups: { type: 'integer' } } } } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => groupTagCatalogue(deps, req.workspaceId),
  );

  app.get<Chat & { Querystring: { includeQuit: boolean } }>(
    '/v1/wecom/groups/:chatId',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'A customer group with its members: join scene and time, and quits'),
        params: chatParams,
        querystring: { type: 'object', additionalProperties: false, properties: { includeQuit: { type: 'boolean', default: true } } },
        response: {
          200: {
            type: 'object',
            properties: {
              ...groupProperties,
              counts: { type: 'object', properties: { current: { type: 'integer' }, quit: { type: 'integer' } } },
              members: { type: 'array', items: memberSchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => getGroup(deps, req.workspaceId, req.params.chatId, { includeQuit: req.query.includeQuit }),
  );

  app.get<Chat & { Querystring: { from?: string; to?: string } }>(
    '/v1/wecom/groups/:chatId/stats',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Joins, quits and net growth of a customer group by local day'),
        params: chatParams,
        querystring: rangeQuery,
        response: { 200: statsSchema, ...errorResponses },
      },
    },
    async (req) => groupStats(deps, req.workspaceId, req.params.chatId, req.query),
  );

  app.get<Chat>(
    '/v1/wecom/groups/:chatId/tags',
    { preHandler, schema: { ...secured('wecom', "A group's tags"), params: chatParams, response: { 200: tagsSchema, ...errorResponses } } },
    async (req) => groupTags(deps, req.workspaceId, req.params.chatId),
  );

  app.put<Chat & { Body: { tags: string[] } }>(
    '/v1/wecom/groups/:chatId/tags',
    {
      preHandler,
      schema: {
        ...secured('wecom', "Replace a group's tags"),
        params: chatParams,
        body: { type: 'object', required: ['tags'], additionalProperties: false, properties: { tags: tagList } },
        response: { 200: tagsSchema, ...errorResponses },
      },
    },
    async (req) => changeGroupTags(deps, req.workspaceId, req.params.chatId, { set: req.body.tags }),
  );

  app.post<Chat & { Body: { tags: string[] } }>(
    '/v1/wecom/groups/:chatId/tags',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Add tags to a group (tags it has already are kept)'),
        params: chatParams,
        body: { type: 'object', required: ['tags'], additionalProperties: false, properties: { tags: { ...tagList, minItems: 1 } } },
        response: { 200: tagsSchema, ...errorResponses },
      },
    },
    async (req) => changeGroupTags(deps, req.workspaceId, req.params.chatId, { add: req.body.tags }),
  );

  app.delete<Chat & { Params: { tag: string } }>(
    '/v1/wecom/groups/:chatId/tags/:tag',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Remove a tag from a group (removing one it lacks changes nothing)'),
        params: {
          type: 'object',
          required: ['chatId', 'tag'],
          properties: { chatId: { type: 'string', minLength: 1, maxLength: 128 }, tag: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        response: { 200: tagsSchema, ...errorResponses },
      },
    },
    async (req) => changeGroupTags(deps, req.workspaceId, req.params.chatId, { remove: [req.params.tag] }),
  );
}
