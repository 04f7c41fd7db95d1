import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageQueryProperties, pageSchema } from '../../platform/paging.js';
import { asApiError, type OpsContext } from './context.js';
import { type HandoverKind, listHandovers, requestHandover, unassignedCustomers } from './handover.service.js';

const anyObject = { type: 'object', additionalProperties: true } as const;

/** `/v1/wecom/handovers` and `/v1/wecom/unassigned`. */
export async function handoverRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.post<{ Body: { kind: HandoverKind; fromUserid: string; toUserid: string; externalUserids?: string[]; transferMessage?: string } }>(
    '/v1/wecom/handovers',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', "Hand a member's customers over to another (in service or resigned); all of them unless externalUserids is given"),
        body: {
          type: 'object',
          required: ['kind', 'fromUserid', 'toUserid'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: ['in_service', 'resigned'] },
            fromUserid: { type: 'string', minLength: 1, maxLength: 64 },
            toUserid: { type: 'string', minLength: 1, maxLength: 64 },
            externalUserids: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, minItems: 1, maxItems: 10000 },
            transferMessage: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { batchId: { type: 'string' }, handovers: { type: 'array', items: anyObject }, refused: { type: 'array', items: anyObject } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => requestHandover(ctx, req.workspaceId, req.body).catch(asApiError),
  );
  app.get<{ Querystring: { status?: string; fromUserid?: string; toUserid?: string; batchId?: string; limit?: number; cursor?: string } }>(
    '/v1/wecom/handovers',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Handovers per customer, newest first'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['waiting', 'succeeded', 'failed'] },
            fromUserid: { type: 'string' },
            toUserid: { type: 'string' },
            batchId: { type: 'string' },
            ...pageQueryProperties(500, 1000),
          },
        },
        response: { 200: pageSchema(anyObject), ...errorResponses },
      },
    },
    async (req) => listHandovers(ctx, req.workspaceId, req.query),
  );
  app.get<{ Querystring: { cursor?: string; limit?: number } }>(
    '/v1/wecom/unassigned',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', "Customers of members who left, waiting to be reassigned (WeCom's get_unassigned_list)"),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { cursor: { type: 'string', maxLength: 512 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 } },
        },
        response: { 200: pageSchema(anyObject), ...errorResponses },
      },
    },
    async (req) => unassignedCustomers(ctx, req.workspaceId, req.query).catch(asApiError),
  );
}
