import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageSchema } from '../../platform/paging.js';
import { asApiError, type OpsContext } from './context.js';
import { type HandoverKind, listHandovers, requestHandover, unassignedCustomers } from './handover.service.js';
import { handoverBody, handoverResultSchema, handoverSchema, handoversQuery, unassignedQuery, unassignedSchema } from './ops.schemas.js';

/** `/v1/wecom/handovers` and `/v1/wecom/unassigned`. */
export async function handoverRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.post<{ Body: { kind: HandoverKind; fromUserid: string; toUserid: string; externalUserids?: string[]; transferMessage?: string } }>(
    '/v1/wecom/handovers',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', "Hand a member's customers over to another (in service or resigned); all of them unless externalUserids is given"),
        body: handoverBody,
        response: { 200: handoverResultSchema, ...errorResponses },
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
        querystring: handoversQuery,
        response: { 200: pageSchema(handoverSchema), ...errorResponses },
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
        querystring: unassignedQuery,
        response: { 200: pageSchema(unassignedSchema), ...errorResponses },
      },
    },
    async (req) => unassignedCustomers(ctx, req.workspaceId, req.query).catch(asApiError),
  );
}
