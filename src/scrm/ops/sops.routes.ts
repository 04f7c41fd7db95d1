import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageQueryProperties, pageSchema } from '../../platform/paging.js';
import type { OpsContext } from './context.js';
import { TASK_STATUSES } from './sop-tasks.service.js';
import { archiveSop, createSop, getSop, listSops, updateSop } from './sops.service.js';

const anyObject = { type: 'object', additionalProperties: true } as const;

/** A SOP in responses. */
export const sopSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['active', 'paused', 'archived'] },
    target: {
      ...anyObject,
      description:
        '{ type: "groups", chatIds?, owners?, groupTagIds? } or { type: "customers", segmentId } or { type: "customers", newContacts: true, liveCodeStates? }',
    },
    steps: {
      type: 'array',
      items: anyObject,
      description: '[{ id, name?, schedule: { kind: "relative", day, time } | { kind: "recurring", weekdays, time }, content: { text?, attachments? } }]',
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** A SOP task in responses. */
export const taskSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    sopId: { type: 'string' },
    stepId: { type: 'string' },
    targetType: { type: 'string', enum: ['group', 'customer'] },
    targetId: { type: 'string' },
    occurrence: { type: 'string' },
    staff: { type: 'string' },
    dueAt: { type: 'string' },
    status: { type: 'string', enum: [...TASK_STATUSES] },
    msgid: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    completedBy: { type: ['string', 'null'] },
    completedAt: { type: ['string', 'null'] },
  },
} as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
export type Id = { Params: { id: string } };
type Body = { Body: Record<string, unknown> };

/** `/v1/wecom/sops`: list, create, read, change and archive SOPs. */
export async function sopRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: { includeArchived?: boolean; limit?: number; cursor?: string } }>(
    '/v1/wecom/sops',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'List SOPs (content plans for groups and customers)'),
        querystring: { type: 'object', properties: { includeArchived: { type: 'boolean', default: false }, ...pageQueryProperties(100, 500) } },
        response: { 200: pageSchema(sopSchema), ...errorResponses },
      },
    },
    async (req) => listSops(ctx, req.workspaceId, req.query),
  );
  app.post<Body>(
    '/v1/wecom/sops',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Create a SOP'),
        body: { ...anyObject, required: ['name', 'target', 'steps'] },
        response: { 201: sopSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createSop(ctx, req.workspaceId, req.body)),
  );
  app.get<Id>(
    '/v1/wecom/sops/:id',
    { preHandler, schema: { ...secured('wecom-ops', 'One SOP'), params: idParams, response: { 200: sopSchema, ...errorResponses } } },
    async (req) => getSop(ctx, req.workspaceId, req.params.id),
  );
  app.patch<Id & Body>(
    '/v1/wecom/sops/:id',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Change a SOP (name, status active/paused, target, steps)'),
        params: idParams,
        body: anyObject,
        response: { 200: sopSchema, ...errorResponses },
      },
    },
    async (req) => updateSop(ctx, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>(
    '/v1/wecom/sops/:id',
    {
      preHandler,
      schema: { ...secured('wecom-ops', 'Archive a SOP (its pending tasks are cancelled)'), params: idParams, response: { 200: sopSchema, ...errorResponses } },
    },
    async (req) => archiveSop(ctx, req.workspaceId, req.params.id),
  );
}
