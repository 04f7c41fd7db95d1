import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import type { OpsContext } from './context.js';
import { pageQueryProperties } from '../../platform/paging.js';
import { createSnippet, deleteSnippet, pageSnippets, updateSnippet } from './snippets.service.js';
import { anyObject, type Id, idParams, list } from './workbench.routes.js';

type Body = { Body: Record<string, unknown> };

/** `/v1/wecom/snippets`: the message snippets recommended to staff (list, create, change, delete). */
export async function snippetRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/snippets',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Message snippets, by title'),
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(100, 500) },
        response: { 200: list, ...errorResponses },
      },
    },
    async (req) => pageSnippets(ctx, req.workspaceId, req.query),
  );
  app.post<Body>(
    '/v1/wecom/snippets',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Create a snippet: { title, content: { text?, attachments? }, tags }'),
        body: { ...anyObject, required: ['title', 'content'] },
        response: { 201: anyObject, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createSnippet(ctx, req.workspaceId, req.body)),
  );
  app.patch<Id & Body>(
    '/v1/wecom/snippets/:id',
    { preHandler, schema: { ...secured('wecom-ops', 'Change a snippet'), params: idParams, body: anyObject, response: { 200: anyObject, ...errorResponses } } },
    async (req) => updateSnippet(ctx, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>('/v1/wecom/snippets/:id', { preHandler, schema: { ...secured('wecom-ops', 'Delete a snippet'), params: idParams } }, async (req, reply) => {
    await deleteSnippet(ctx, req.workspaceId, req.params.id);
    return reply.code(204).send();
  });
}
