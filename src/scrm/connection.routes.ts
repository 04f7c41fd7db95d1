import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { type ConnectionInput, getConnectionView, removeConnection, saveConnection } from './connection.service.js';
import type { Scrm } from './deps.js';

const connectionSchema = {
  type: 'object',
  properties: {
    corpId: { type: 'string' },
    agentId: { type: ['string', 'null'] },
    apiBaseUrl: { type: 'string' },
    secretSet: { type: 'boolean' },
    callbackTokenSet: { type: 'boolean' },
    encodingAesKeySet: { type: 'boolean' },
    callbackPath: { type: 'string', description: "WeCom's 接收事件服务器 URL is this server's public origin followed by this path" },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const putBody = {
  type: 'object',
  required: ['corpId', 'secret', 'callbackToken', 'encodingAesKey'],
  additionalProperties: false,
  properties: {
    corpId: { type: 'string', description: 'The corp id (我的企业 → 企业信息)' },
    secret: { type: 'string', description: 'The 客户联系 Secret, or that of a self-built app allowed to call the 客户联系 APIs' },
    callbackToken: { type: 'string', description: 'Token of 接收事件服务器' },
    encodingAesKey: { type: 'string', description: 'EncodingAESKey of 接收事件服务器: 43 letters and digits' },
    agentId: { type: ['string', 'integer', 'null'], description: 'AgentId of the self-built app, if any' },
    apiBaseUrl: { type: ['string', 'null'], description: 'Default https://qyapi.weixin.qq.com (the local sandbox for trials)' },
  },
} as const;

const meta = (summary: string) => ({ tags: ['wecom'], summary, security: [{ secretKey: [] }] });

/** `PUT`, `GET` and `DELETE /v1/wecom/connection`: the workspace's WeCom corp, secret key. PUT and DELETE drop the cached client and keys. */
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
