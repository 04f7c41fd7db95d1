import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import type { LiveDeps } from './context.js';
import { createBody, idParams, type Id, listQuery, liveCodePage, liveCodeSchema, patchBody, wecomErrors } from './live-codes.schemas.js';
import {
  createLiveCode,
  deleteLiveCode,
  liveCodeDetail,
  liveCodeView,
  loadLiveCode,
  pageLiveCodes,
  updateLiveCode,
  type LiveCodeInput,
} from './live-codes.service.js';

/** `/v1/wecom/live-codes`: create, list, read, edit and delete live codes (secret key). */
export async function liveCodeCrudRoutes(app: FastifyInstance, deps: LiveDeps, preHandler: preHandlerHookHandler): Promise<void> {
  app.post<{ Body: LiveCodeInput }>(
    '/v1/wecom/live-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Create a channel live QR code (its WeCom contact way is created with it)'),
        body: createBody,
        response: { 201: liveCodeSchema, ...wecomErrors },
      },
    },
    async (req, reply) => reply.code(201).send(liveCodeView(await createLiveCode(deps, req.workspaceId, req.body))),
  );

  app.get<{ Querystring: { channel?: string; status?: string; limit: number; cursor?: string } }>(
    '/v1/wecom/live-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'List live codes, newest first'),
        querystring: listQuery,
        response: { 200: liveCodePage, ...errorResponses },
      },
    },
    async (req) => pageLiveCodes(deps, req.workspaceId, req.query),
  );

  app.get<Id>(
    '/v1/wecom/live-codes/:id',
    {
      preHandler,
      schema: { ...secured('wecom', "A live code with today's adds per staff member"), params: idParams, response: { 200: liveCodeSchema, ...wecomErrors } },
    },
    async (req) => liveCodeDetail(deps, await loadLiveCode(deps, req.workspaceId, req.params.id)),
  );

  app.patch<Id & { Body: LiveCodeInput }>(
    '/v1/wecom/live-codes/:id',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Edit a live code (the contact way follows; a new future expiry reactivates an expired code with a new QR code)'),
        params: idParams,
        body: patchBody,
        response: { 200: liveCodeSchema, ...wecomErrors },
      },
    },
    async (req) => liveCodeView(await updateLiveCode(deps, req.workspaceId, req.params.id, req.body)),
  );

  app.delete<Id>(
    '/v1/wecom/live-codes/:id',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Delete a live code and its contact way (statistics stay)'),
        params: idParams,
        response: { 204: { type: 'null' }, ...wecomErrors },
      },
    },
    async (req, reply) => {
      await deleteLiveCode(deps, req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );
}
