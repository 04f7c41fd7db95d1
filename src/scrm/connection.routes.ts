import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { testConnection } from './connection.check.js';
import { connectionSchema, connectionTestSchema, putBody } from './connection.schemas.js';
import { type ConnectionInput, getConnectionView, removeConnection, saveConnection } from './connection.service.js';
import type { Scrm } from './deps.js';

const meta = (summary: string) => ({ tags: ['wecom'], summary, security: [{ secretKey: [] }] });

/**
 * `PUT`, `GET` and `DELETE /v1/wecom/connection`: the workspace's WeCom corp, secret key. PUT and
 * DELETE drop the cached client and keys. `POST /v1/wecom/connection/test` checks the stored one
 * against WeCom.
 */
export async function connectionRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  const d = scrm;

  app.put<{ Body: ConnectionInput }>(
    '/v1/wecom/connection',
    {
      preHandler,
      schema: {
        ...meta('Connect the workspace to a WeCom corp (secrets are stored encrypted and never returned)'),
        body: putBody,
        response: { 200: connectionSchema, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => {
      const saved = await saveConnection(d, req.workspaceId, req.body);
      scrm.connections.invalidate(req.workspaceId);
      return saved;
    },
  );

  app.get(
    '/v1/wecom/connection',
    {
      preHandler,
      schema: { ...meta("The workspace's WeCom connection (secrets masked)"), response: { 200: connectionSchema, 401: errorSchema, 404: errorSchema } },
    },
    async (req) => getConnectionView(d, req.workspaceId),
  );

  app.post(
    '/v1/wecom/connection/test',
    {
      preHandler,
      schema: {
        ...meta(
          'Test the stored connection: a token with the corp id and secret, then a 客户联系 call; WeCom refusals are in the answer with their meaning, nothing is changed',
        ),
        response: { 200: connectionTestSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req) => testConnection(d, req.workspaceId),
  );

  app.delete(
    '/v1/wecom/connection',
    {
      preHandler,
      schema: {
        ...meta('Disconnect WeCom: callbacks are refused and API calls stop'),
        response: { 204: { type: 'null' }, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req, reply) => {
      await removeConnection(d, req.workspaceId);
      scrm.connections.invalidate(req.workspaceId);
      return reply.status(204).send();
    },
  );
}
