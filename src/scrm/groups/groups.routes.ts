import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { requireKey } from '../../platform/http.js';
import type { Scrm } from '../deps.js';
import { liveDepsOf, type LiveDeps } from '../livecodes/context.js';
import { changeGroupTags, getGroup, groupStats, groupTagCatalogue, groupTags, listGroups } from './groups.service.js';
import {
  catalogueQuery,
  catalogueSchema,
  type Chat,
  chatParams,
  detailSchema,
  listQuery,
  listSchema,
  rangeQuery,
  statsSchema,
  tagList,
  tagsSchema,
} from './groups.schemas.js';

/** The customer-group API (secret key): list, detail with members, growth and churn, group tags. */
export async function groupRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  const deps = liveDepsOf(scrm);
  await groupViewRoutes(app, deps, preHandler);
  await groupTagRoutes(app, deps, preHandler);
}

/** `/v1/wecom/groups`: list, growth and churn of all groups, one group with its members, its growth and churn. */
async function groupViewRoutes(app: FastifyInstance, deps: LiveDeps, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: { owner?: string; status?: string; tag?: string; q?: string; limit: number; cursor?: string } }>(
    '/v1/wecom/groups',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Customer groups with owner, member count, status and tags, by chat id'),
        querystring: listQuery,
        response: { 200: listSchema, ...errorResponses },
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

  app.get<Chat & { Querystring: { includeQuit: boolean } }>(
    '/v1/wecom/groups/:chatId',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'A customer group with its members: join scene and time, and quits'),
        params: chatParams,
        querystring: { type: 'object', additionalProperties: false, properties: { includeQuit: { type: 'boolean', default: true } } },
        response: { 200: detailSchema, ...errorResponses },
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
}

/** Group tags: the catalogue in use, and a group's tags (read, replace, add, remove one). */
async function groupTagRoutes(app: FastifyInstance, deps: LiveDeps, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/group-tags',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Group tags in use, by tag, with their number of groups'),
        querystring: catalogueQuery,
        response: { 200: catalogueSchema, ...errorResponses },
      },
    },
    async (req) => groupTagCatalogue(deps, req.workspaceId, req.query),
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
