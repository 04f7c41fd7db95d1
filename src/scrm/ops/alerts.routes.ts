import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageQueryProperties, pageSchema } from '../../platform/paging.js';
import { ackAlert, addSensitiveWords, deleteSensitiveWord, listAlerts, pageSensitiveWords } from './alerts.service.js';
import type { OpsContext } from './context.js';
import { alertSchema, alertsQuery, type Id, idParams, wordSchema as word, wordsBody } from './ops.schemas.js';

/** `/v1/wecom/alerts` and `/v1/wecom/sensitive-words`. */
export async function alertRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: { kind?: string; status?: string; userid?: string; limit?: number; cursor?: string } }>(
    '/v1/wecom/alerts',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Churn and sensitive-word alerts, newest first'),
        querystring: alertsQuery,
        response: { 200: pageSchema(alertSchema), ...errorResponses },
      },
    },
    async (req) => listAlerts(ctx, req.workspaceId, req.query),
  );
  app.post<Id>(
    '/v1/wecom/alerts/:id/ack',
    { preHandler, schema: { ...secured('wecom-ops', 'Acknowledge an alert'), params: idParams, response: { 200: alertSchema, ...errorResponses } } },
    async (req) => ackAlert(ctx, req.workspaceId, req.params.id),
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/sensitive-words',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Sensitive words checked in conversation archives, alphabetically'),
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(1000, 1000) },
        response: { 200: pageSchema(word), ...errorResponses },
      },
    },
    async (req) => pageSensitiveWords(ctx, req.workspaceId, req.query),
  );
  app.post<{ Body: { words: string[] } }>(
    '/v1/wecom/sensitive-words',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'Add sensitive words (matched case-insensitively; duplicates ignored)'),
        body: wordsBody,
        // The whole list in one page (what an editor shows after adding words).
        response: { 200: pageSchema(word), ...errorResponses },
      },
    },
    async (req) => ({ data: await addSensitiveWords(ctx, req.workspaceId, req.body.words), nextCursor: null }),
  );
  app.delete<Id>(
    '/v1/wecom/sensitive-words/:id',
    { preHandler, schema: { ...secured('wecom-ops', 'Remove a sensitive word'), params: idParams } },
    async (req, reply) => {
      await deleteSensitiveWord(ctx, req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );
}
