import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, errorSchema, secured } from '../../platform/http-schemas.js';
import { pageSchema } from '../../platform/paging.js';
import type { LiveDeps } from './context.js';
import {
  createGroupCode,
  deleteGroupCode,
  groupCodeView,
  loadGroupCode,
  MAX_GROUP_MEMBERS,
  pageGroupCodes,
  rotateGroupCode,
  updateGroupCode,
  type GroupCodeInput,
} from './group-codes.service.js';

const wecomErrors = { ...errorResponses, 502: errorSchema } as const;

const inputProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  chatIds: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100, description: 'customer groups in the order they fill' },
  memberLimit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_GROUP_MEMBERS,
    description: `a group is full at this many members (default and most ${MAX_GROUP_MEMBERS})`,
  },
  autoCreateRoom: { type: 'boolean', description: 'let WeCom open a new group when every listed one is full (default false)' },
  roomBaseName: { type: ['string', 'null'], maxLength: 40 },
  roomBaseId: { type: ['integer', 'null'], minimum: 0 },
} as const;

const groupCodeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    state: { type: 'string' },
    configId: { type: ['string', 'null'] },
    qrCode: { type: ['string', 'null'] },
    memberLimit: { type: 'integer' },
    autoCreateRoom: { type: 'boolean' },
    roomBaseName: { type: ['string', 'null'] },
    roomBaseId: { type: ['integer', 'null'] },
    status: { type: 'string', enum: ['active', 'full', 'deleted'] },
    currentChatId: { type: ['string', 'null'] },
    windowChatIds: { type: 'array', items: { type: 'string' }, description: 'the chat_id_list set on the WeCom join way' },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          chatId: { type: 'string' },
          name: { type: ['string', 'null'] },
          memberCount: { type: ['integer', 'null'] },
          status: { type: 'string' },
          position: { type: 'string', enum: ['done', 'current', 'waiting'] },
        },
      },
    },
    rotatedAt: { type: ['string', 'null'] },
    syncError: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
type Id = { Params: { id: string } };

const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, cursor: { type: 'string', maxLength: 200 } },
} as const;
const groupCodePage = pageSchema(groupCodeSchema);

/** The group live-code API (secret key). */
export async function groupCodeRoutes(app: FastifyInstance, deps: LiveDeps, preHandler: preHandlerHookHandler): Promise<void> {
  app.post<{ Body: GroupCodeInput }>(
    '/v1/wecom/group-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Create a group live code over an ordered list of customer groups (its WeCom join way is created with it)'),
        body: { type: 'object', required: ['name', 'chatIds'], additionalProperties: false, properties: inputProperties },
        response: { 201: groupCodeSchema, ...wecomErrors },
      },
    },
    async (req, reply) => reply.code(201).send(await groupCodeView(deps, await createGroupCode(deps, req.workspaceId, req.body))),
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/group-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'List group live codes, newest first'),
        querystring: pageQuery,
        response: { 200: groupCodePage, ...errorResponses },
      },
    },
    async (req) => pageGroupCodes(deps, req.workspaceId, req.query),
  );

  app.get<Id>(
    '/v1/wecom/group-codes/:id',
    {
      preHandler,
      schema: { ...secured('wecom', 'A group live code with its groups'), params: idParams, response: { 200: groupCodeSchema, ...errorResponses } },
    },
    async (req) => groupCodeView(deps, await loadGroupCode(deps, req.workspaceId, req.params.id)),
  );

  app.patch<Id & { Body: GroupCodeInput }>(
    '/v1/wecom/group-codes/:id',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Edit a group live code (a new list starts from its first open group)'),
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: inputProperties },
        response: { 200: groupCodeSchema, ...wecomErrors },
      },
    },
    async (req) => groupCodeView(deps, await updateGroupCode(deps, req.workspaceId, req.params.id, req.body)),
  );

  app.post<Id>(
    '/v1/wecom/group-codes/:id/rotate',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Re-check the listed groups now and move on if the current one is full or dismissed'),
        params: idParams,
        response: { 200: groupCodeSchema, ...wecomErrors },
      },
    },
    async (req) => groupCodeView(deps, await rotateGroupCode(deps, await loadGroupCode(deps, req.workspaceId, req.params.id), { throwOnWeCom: true })),
  );

  app.delete<Id>(
    '/v1/wecom/group-codes/:id',
    {
      preHandler,
      schema: { ...secured('wecom', 'Delete a group live code and its join way'), params: idParams, response: { 204: { type: 'null' }, ...wecomErrors } },
    },
    async (req, reply) => {
      await deleteGroupCode(deps, req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );
}
