import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { MessagingDeps } from './deps.js';
import { idParams, listTemplatesQuery, previewAnswer, previewBody, templateBody, templateDetailSchema, templatePage } from './messaging.schemas.js';
import { previewTemplate, type PreviewRequest } from './messages.service.js';
import { archiveTemplate, createTemplate, getTemplate, listTemplatesPage, type TemplateInput, updateTemplate } from './templates.service.js';

type Id = { Params: { id: string } };

/** Message templates (secret key): list, create, read, edit (a new version when content changes), archive, preview. */
export async function templateRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get<{ Querystring: { channel?: string; status?: string; limit: number; cursor?: string } }>(
    '/v1/templates',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'List message templates by name'),
        querystring: listTemplatesQuery,
        response: { 200: templatePage, ...errorResponses },
      },
    },
    async (req) => listTemplatesPage(deps, req.workspaceId, req.query),
  );
  app.post<{ Body: TemplateInput }>(
    '/v1/templates',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Create a template (version 1)'),
        body: { ...templateBody, required: ['name', 'channel', 'variants'] },
        response: { 201: templateDetailSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await createTemplate(deps, req.workspaceId, req.body)),
  );
  app.get<Id>(
    '/v1/templates/:id',
    {
      preHandler,
      schema: { ...secured('messaging', 'A template with its versions'), params: idParams, response: { 200: templateDetailSchema, ...errorResponses } },
    },
    async (req) => getTemplate(deps, req.workspaceId, req.params.id),
  );
  const saved = { 200: templateDetailSchema, ...errorResponses };
  app.patch<Id & { Body: TemplateInput }>(
    '/v1/templates/:id',
    {
      preHandler,
      schema: { ...secured('messaging', 'Edit a template; content changes create a new version'), params: idParams, body: templateBody, response: saved },
    },
    async (req) => updateTemplate(deps, req.workspaceId, req.params.id, req.body),
  );
  app.put<Id & { Body: TemplateInput }>(
    '/v1/templates/:id',
    { preHandler, schema: { ...secured('messaging', 'Same as PATCH'), params: idParams, body: templateBody, response: saved } },
    async (req) => updateTemplate(deps, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>('/v1/templates/:id', { preHandler, schema: { ...secured('messaging', 'Archive a template'), params: idParams } }, async (req, reply) => {
    await archiveTemplate(deps, req.workspaceId, req.params.id);
    return reply.status(204).send();
  });
  app.post<Id & { Body: PreviewRequest }>(
    '/v1/templates/:id/preview',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Render a template for a real profile (or given traits) without sending'),
        params: idParams,
        body: previewBody,
        response: { 200: previewAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const body = { ...req.body };
      if (body.profileId) body.profileId = await deps.resolveProfile(req.workspaceId, body.profileId);
      return previewTemplate(deps, req.workspaceId, req.params.id, body);
    },
  );
}
