/** `/v1/console/*`: sign in and out, the session's view, password change, accepting an invitation. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import { acceptBody, authErrors, loginBody, passwordBody, sessionSchema } from './access.schemas.js';
import { checkCsrf } from './console-auth.js';
import type { AccessDeps } from './deps.js';
import { AccessError } from './errors.js';
import { liveSession, openSession, SESSION_COOKIE, SESSION_MAX_MS, type SignedIn, signIn, signOut, signOutEverywhere } from './sessions.service.js';
import { changePassword, acceptInvitation } from './users.service.js';
import { membershipsOf, userById } from './users.repo.js';

const tag = { tags: ['console'] };

function setCookie(reply: FastifyReply, s: SignedIn): void {
  reply.setCookie(SESSION_COOKIE, s.token, { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto', maxAge: Math.floor(SESSION_MAX_MS / 1000) });
}

async function view(deps: AccessDeps, s: { userId: string; csrfToken: string; expiresAt: number }) {
  const user = await userById(deps.database.db, s.userId);
  if (!user) throw new AppError('UNAUTHORIZED', 'your console session has ended; sign in again');
  const ws = await membershipsOf(deps.database.db, s.userId);
  return {
    user: { id: user.id, email: user.email, name: user.name },
    workspaces: ws.map((m) => ({ id: m.workspaceId, name: m.workspaceName, role: m.role, wecomUserId: m.wecomUserId })),
    csrfToken: s.csrfToken,
    expiresAt: new Date(s.expiresAt).toISOString(),
  };
}

/** The request's live session (UNAUTHORIZED without one), with its CSRF token checked on changes. */
async function sessionOf(deps: AccessDeps, req: FastifyRequest) {
  const token = req.cookies?.[SESSION_COOKIE];
  if (!token) throw new AppError('UNAUTHORIZED', 'not signed in to the console');
  const s = await liveSession(deps, token);
  checkCsrf(req, s.csrf_token);
  return s;
}

/** Registers the console's sign-in routes. */
export async function authRoutes(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  app.post<{ Body: { email: string; password: string } }>(
    '/v1/console/login',
    {
      schema: {
        ...tag,
        summary: 'Sign in to the console: sets the session cookie; answers the user, their workspaces and the CSRF token',
        body: loginBody,
        response: { 200: sessionSchema, ...authErrors },
      },
    },
    async (req, reply) => {
      try {
        const s = await signIn(deps, { email: req.body.email, password: req.body.password, ip: req.ip, userAgent: req.headers['user-agent'] ?? '' });
        setCookie(reply, s);
        return view(deps, s);
      } catch (err) {
        if (err instanceof AccessError && err.code === 'LOGIN_THROTTLED')
          reply.header('retry-after', String((err.details as { retryAfterS: number }).retryAfterS));
        throw err;
      }
    },
  );
  app.get(
    '/v1/console/session',
    { schema: { ...tag, summary: "The signed-in user's session (401 when signed out)", response: { 200: sessionSchema, ...authErrors } } },
    async (req) => {
      const s = await sessionOf(deps, req);
      return view(deps, { userId: s.user_id, csrfToken: s.csrf_token, expiresAt: Number(s.expires_at) });
    },
  );
  app.post(
    '/v1/console/logout',
    { schema: { ...tag, summary: 'Sign out of this browser', response: { 204: { type: 'null' }, ...authErrors } } },
    async (req, reply) => {
      const s = await sessionOf(deps, req);
      await signOut(deps, s.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );
  app.post(
    '/v1/console/logout-everywhere',
    {
      schema: {
        ...tag,
        summary: 'Sign out of every browser',
        response: { 200: { type: 'object', properties: { ended: { type: 'integer' } } }, ...authErrors },
      },
    },
    async (req, reply) => {
      const s = await sessionOf(deps, req);
      const ended = await signOutEverywhere(deps, s.user_id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ended };
    },
  );
  app.post<{ Body: { current: string; next: string } }>(
    '/v1/console/password',
    { schema: { ...tag, summary: 'Change your password (other sessions end)', body: passwordBody, response: { 204: { type: 'null' }, ...authErrors } } },
    async (req, reply) => {
      const s = await sessionOf(deps, req);
      await changePassword(deps, s.user_id, s.id, req.body.current, req.body.next);
      return reply.status(204).send();
    },
  );
  await invitationRoutes(app, deps);
}

/** Accepting an invitation (public: the token is the proof). */
async function invitationRoutes(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  app.post<{ Body: { token: string; name?: string; password: string } }>(
    '/v1/console/invitations/accept',
    {
      schema: {
        ...tag,
        summary: 'Accept an invitation: sets a password (or proves an existing one) and signs in',
        body: acceptBody,
        response: { 200: sessionSchema, ...authErrors },
      },
    },
    async (req, reply) => {
      const { userId } = await acceptInvitation(deps, req.body);
      const s = await openSession(deps, userId, req.ip, req.headers['user-agent'] ?? '');
      setCookie(reply, s);
      return view(deps, s);
    },
  );
}
