/** `/v1/users`: the workspace's console users, their roles and invitations (owner only: policy.ts). */
import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { pageQueryProperties, pageSchema } from '../platform/paging.js';
import type { Role } from '../platform/principal.js';
import { createUserBody, invitationSchema, inviteBody, memberSchema, patchUserBody, userParams } from './access.schemas.js';
import type { AccessDeps } from './deps.js';
import { type EmailLocale, emailInvitation } from './invitation-email.js';
import { listMembers } from './users.repo.js';
import { changeRole, createUser, invite, removeMember } from './users.service.js';

type Id = { Params: { id: string } };

/** Registers the user-management routes. */
export async function userRoutes(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  await invitationRoutes(app, deps);
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

/** `POST /v1/users/invitations`: the invitation, its link, and the email carrying it (when the workspace has an email channel). */
async function invitationRoutes(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  app.post<{ Body: { email: string; role: Role; wecomUserId?: string | null; locale?: EmailLocale } }>(
    '/v1/users/invitations',
    {
      preHandler: requireKey(deps.keys, 'secret'),
      schema: {
        ...secured(
          'console',
          "Invite someone by email: emails the one-time link (valid 7 days) through the workspace's email channel when it has one, and answers the link either way",
        ),
        body: inviteBody,
        response: { 201: invitationSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { locale, ...body } = req.body;
      const r = await invite(deps, req.workspaceId, req.principal?.userId ?? 'api-key', body);
      const base = `${req.protocol}://${req.host}`;
      const acceptUrl = `${base}/console/accept-invitation?token=${r.token}`;
      const email = await emailInvitation(deps, {
        workspaceId: req.workspaceId,
        email: r.invitation.email,
        role: r.invitation.role,
        acceptUrl,
        invitedBy: req.principal?.userId,
        locale: locale ?? 'zh-CN',
      });
      return reply.status(201).send({ invitation: r.invitation, acceptUrl, email });
    },
  );
}
