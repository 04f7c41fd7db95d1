/** `/v1/users`: the workspace's console users, their roles and invitations (owner only: policy.ts). */
import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { pageQueryProperties, pageSchema } from '../platform/paging.js';
import type { Role } from '../platform/principal.js';
import { createUserBody, invitationSchema, inviteBody, memberSchema, patchUserBody, userParams } from './access.schemas.js';
import type { AccessDeps } from './deps.js';
import { listMembers } from './users.repo.js';
import { changeRole, createUser, invite, removeMember } from './users.service.js';

type Id = { Params: { id: string } };

/** Registers the user-management routes. */
export async function userRoutes(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/users',
    {
      preHandler,
      schema: {
        ...secured('console', 'Console users of this workspace with their roles, by email'),
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(100, 500) },
        response: { 200: pageSchema(memberSchema), ...errorResponses },
      },
    },
    async (req) => listMembers(deps.database.db, req.workspaceId, req.query.limit, req.query.cursor),
  );
  app.post<{ Body: { email: string; name?: string; password: string; role: Role; wecomUserId?: string | null } }>(
    '/v1/users',
    {
      preHandler,
      schema: {
        ...secured('console', 'Create a user with a first password (or give an existing user a role here)'),
        body: createUserBody,
        response: { 201: memberSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await createUser(deps, { ...req.body, workspaceId: req.workspaceId });
      return reply.status(r.created ? 201 : 200).send(r.member);
    },
  );
  app.post<{ Body: { email: string; role: Role; wecomUserId?: string | null } }>(
    '/v1/users/invitations',
    {
      preHandler,
      schema: {
        ...secured('console', 'Invite someone by email: answers the one-time link to give them (valid 7 days)'),
        body: inviteBody,
        response: { 201: invitationSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await invite(deps, req.workspaceId, req.principal?.userId ?? 'api-key', req.body);
      const base = `${req.protocol}://${req.host}`;
      return reply.status(201).send({ invitation: r.invitation, acceptUrl: `${base}/console/accept-invitation?token=${r.token}` });
    },
  );
  app.patch<Id & { Body: { role?: Role; wecomUserId?: string | null } }>(
    '/v1/users/:id',
    {
      preHandler,
      schema: {
        ...secured('console', "Change a user's role (or a guide's WeCom staff id)"),
        params: userParams,
        body: patchUserBody,
        response: { 200: memberSchema, ...errorResponses },
      },
    },
    async (req) => changeRole(deps, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>(
    '/v1/users/:id',
    {
      preHandler,
      schema: {
        ...secured('console', 'Remove a user from this workspace (their sessions end)'),
        params: userParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      await removeMember(deps, req.workspaceId, req.params.id);
      return reply.status(204).send();
    },
  );
}
