import type { FastifyInstance } from 'fastify';
import { mergedIdsOf } from '../cdp/index.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { MessagingDeps } from './deps.js';
import { idParams, listMessagesQuery, messagePage, sendBody } from './messaging.schemas.js';
import { getMessage, listMessages, sendViaApi, type SendRequest } from './messages.service.js';

type ListQuery = { profileId?: string; status?: string; sourceKind?: string; sourceId?: string; limit: number; cursor?: string };

/** Messages (secret key): queue one, list, read; queueing tells the dispatcher (`messaging.outbox-has-work`). */
export async function messageRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.post<{ Body: SendRequest }>(
    '/v1/messages',
    { preHandler, schema: { ...secured('messaging', 'Send one message (queued; guardrails apply at send time)'), body: sendBody } },
    async (req, reply) => {
      const body = { ...req.body };
      if (body.profileId) body.profileId = await deps.resolveProfile(req.workspaceId, body.profileId);
      const r = await sendViaApi(deps, req.workspaceId, body);
      if (r.created) deps.hub.emit('messaging.outbox-has-work', { workspaceId: req.workspaceId });
      return reply.status(r.created ? 202 : 200).send(r);
    },
  );
  app.get<{ Querystring: ListQuery }>(
    '/v1/messages',
    {
      preHandler,
      schema: { ...secured('messaging', 'List messages, newest first'), querystring: listMessagesQuery, response: { 200: messagePage, ...errorResponses } },
    },
    async (req) => {
      const { profileId, ...q } = req.query;
      let profileIds: string[] | undefined;
      if (profileId) {
        const live = await deps.resolveProfile(req.workspaceId, profileId);
        profileIds = [live, ...(await mergedIdsOf(deps.database.db, req.workspaceId, live))];
      }
      return listMessages(deps, req.workspaceId, { ...q, profileIds });
    },
  );
  app.get<{ Params: { id: string } }>('/v1/messages/:id', { preHandler, schema: { ...secured('messaging', 'One message'), params: idParams } }, async (req) =>
    getMessage(deps, req.workspaceId, req.params.id),
  );
}
