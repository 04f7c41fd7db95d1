import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import type { LiveDeps } from './context.js';
import { groupCodeCreateBody, groupCodePage, groupCodePatchBody, groupCodeSchema, idParams, type Id, pageQuery, wecomErrors } from './group-codes.schemas.js';
import {
  createGroupCode,
  deleteGroupCode,
  groupCodeView,
  loadGroupCode,
  pageGroupCodes,
  rotateGroupCode,
  updateGroupCode,
  type GroupCodeInput,
} from './group-codes.service.js';

/** The group live-code API (secret key). */
export async function groupCodeRoutes(app: FastifyInstance, deps: LiveDeps, preHandler: preHandlerHookHandler): Promise<void> {
  app.post<{ Body: GroupCodeInput }>(
    '/v1/wecom/group-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Create a group live code over an ordered list of customer groups (its WeCom join way is created with it)'),
        body: groupCodeCreateBody,
        response: { 201: groupCodeSchema, ...wecomErrors },
      },
    },
    async (req, reply) => reply.code(201).send(await groupCodeView(deps, await createGroupCode(deps, req.workspaceId, req.body))),
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/group-codes',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'List group live codes, newest first'),
        querystring: pageQuery,
        response: { 200: groupCodePage, ...errorResponses },
      },
    },
    async (req) => pageGroupCodes(deps, req.workspaceId, req.query),
  );

  app.get<Id>(
    '/v1/wecom/group-codes/:id',
    {
      preHandler,
      schema: { ...secured('wecom', 'A group live code with its groups'), params: idParams, response: { 200: groupCodeSchema, ...errorResponses } },
    },
    async (req) => groupCodeView(deps, await loadGroupCode(deps, req.workspaceId, req.params.id)),
  );

  app.patch<Id & { Body: GroupCodeInput }>(
    '/v1/wecom/group-codes/:id',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Edit a group live code (a new list starts from its first open group)'),
        params: idParams,
        body: groupCodePatchBody,
        response: { 200: groupCodeSchema, ...wecomErrors },
      },
    },
    async (req) => groupCodeView(deps, await updateGroupCode(deps, req.workspaceId, req.params.id, req.body)),
  );

  app.post<Id>(
    '/v1/wecom/group-codes/:id/rotate',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'Re-check the listed groups now and move on if the current one is full or dismissed'),
        params: idParams,
        response: { 200: groupCodeSchema, ...wecomErrors },
      },
    },
    async (req) => groupCodeView(deps, await rotateGroupCode(deps, await loadGroupCode(deps, req.workspaceId, req.params.id), { throwOnWeCom: true })),
  );

  app.delete<Id>(
    '/v1/wecom/group-codes/:id',
    {
      preHandler,
      schema: { ...secured('wecom', 'Delete a group live code and its join way'), params: idParams, response: { 204: { type: 'null' }, ...wecomErrors } },
    },
    async (req, reply) => {
      await deleteGroupCode(deps, req.workspaceId, req.params.id);
      return reply.code(204).send();
    },
  );
}
