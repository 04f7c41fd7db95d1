import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageSchema } from '../../platform/paging.js';
import type { OpsContext } from './context.js';
import { type Id, idParams, sopSchema, sopsQuery } from './ops.schemas.js';
import { archiveSop, createSop, getSop, listSops, updateSop } from './sops.service.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
type Body = { Body: Record<string, unknown> };

/** `/v1/wecom/sops`: list, create, read, change and archive SOPs. */
export async function sopRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: { includeArchived?: boolean; limit?: number; cursor?: string } }>(
    '/v1/wecom/sops',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'List SOPs (content plans for groups and customers)'),
        querystring: sopsQuery,
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
