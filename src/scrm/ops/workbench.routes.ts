import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageQueryProperties, pageSchema } from '../../platform/paging.js';
import type { OpsContext } from './context.js';
import { recommendSnippets } from './snippets.service.js';
import {
  completeGuideTask,
  createWorkbenchRule,
  deleteWorkbenchRule,
  listWorkbenchRules,
  RULE_KINDS,
  staffCustomers,
  staffToday,
} from './workbench.service.js';

export const anyObject = { type: 'object', additionalProperties: true } as const;
export const list = pageSchema(anyObject);
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const staffParams = { type: 'object', required: ['userid'], properties: { userid: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
export type Id = { Params: { id: string } };
type Staff = { Params: { userid: string } };

/** The guide workbench of a staff member: customers, today's tasks, recommendations, completing a follow-up. */
export async function workbenchRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<Staff & { Querystring: { limit?: number; cursor?: string } }>(
    '/v1/wecom/staff/:userid/customers',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', "A staff member's customers: tags, RFM cell, lifecycle stage, last contact (paged)"),
        params: staffParams,
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(50, 500) },
        response: { 200: list, ...errorResponses },
      },
    },
    async (req) => staffCustomers(ctx, req.workspaceId, req.params.userid, req.query),
  );
  app.get<Staff>(
    '/v1/wecom/staff/:userid/today',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', "Today's tasks of a staff member: SOP tasks and follow-ups generated from the workbench rules"),
        params: staffParams,
        response: {
          200: {
            type: 'object',
            properties: { date: { type: 'string' }, sopTasks: { type: 'array', items: anyObject }, followUps: { type: 'array', items: anyObject } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => staffToday(ctx, req.workspaceId, req.params.userid),
  );
  app.get<Staff & { Querystring: { externalUserid: string; limit?: number } }>(
    '/v1/wecom/staff/:userid/recommendations',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Message snippets for one customer, ranked by shared tags'),
        params: staffParams,
        querystring: {
          type: 'object',
          required: ['externalUserid'],
          additionalProperties: false,
          properties: { externalUserid: { type: 'string', minLength: 1, maxLength: 128 }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
        },
        response: {
          200: {
            ...list,
            required: [...list.required, 'customerTags'],
            properties: { customerTags: { type: 'array', items: { type: 'string' } }, ...list.properties },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => recommendSnippets(ctx, req.workspaceId, req.params.userid, req.query.externalUserid, req.query.limit),
  );
  app.post<Id>(
    '/v1/wecom/guide-tasks/:id/complete',
    { preHandler, schema: { ...secured('wecom-ops', 'Mark a generated follow-up done'), params: idParams, response: { 200: anyObject, ...errorResponses } } },
    async (req) => completeGuideTask(ctx, req.workspaceId, req.params.id),
  );
}

/** `/v1/wecom/workbench-rules`: list, create, delete. */
export async function workbenchRuleRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/workbench-rules',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Workbench rules, oldest first'),
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(100, 500) },
        response: { 200: list, ...errorResponses },
      },
    },
    async (req) => listWorkbenchRules(ctx, req.workspaceId, req.query),
  );
  app.post<{ Body: { segmentId: string; kind: string; titleTemplate: string } }>(
    '/v1/wecom/workbench-rules',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Create a workbench rule: members of a segment become daily tasks for their staff'),
        body: {
          type: 'object',
          required: ['segmentId', 'kind', 'titleTemplate'],
          additionalProperties: false,
          properties: {
            segmentId: { type: 'string', minLength: 1 },
            kind: { type: 'string', enum: [...RULE_KINDS] },
            titleTemplate: { type: 'string', minLength: 1, maxLength: 200, description: '{name} and {remark} are filled in' },
          },
        },
        response: { 201: anyObject, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createWorkbenchRule(ctx, req.workspaceId, req.body)),
  );
  app.delete<Id>(
    '/v1/wecom/workbench-rules/:id',
    { preHandler, schema: { ...secured('wecom-ops', 'Delete a workbench rule'), params: idParams } },
    async (req, reply) => {
      await deleteWorkbenchRule(ctx, req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );
}
