/**
 * Console sign-in for the API: the session cookie, its CSRF token, the workspace the request is
 * for, and the role policy (policy.ts). Platform's `requireKey` calls it for requests without an
 * Authorization header (the root sets it as the key resolver's `console`).
 */
import type {} from '@fastify/cookie';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import type { ConsoleAuth, Principal } from '../platform/principal.js';
import type { AccessDeps } from './deps.js';
import { AccessError } from './errors.js';
import { classifyRequest, guideCheck, roleAllows } from './policy.js';
import { liveSession, SESSION_COOKIE } from './sessions.service.js';
import { membershipsOf } from './users.repo.js';

/** The header a console request names its workspace in (the switcher); without it, the user's first. */
export const WORKSPACE_HEADER = 'x-siyu-workspace';
/** The header carrying the session's CSRF token on every change. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** CSRF_TOKEN_INVALID unless a change (not GET/HEAD/OPTIONS) carries the session's token in its header. */
export function checkCsrf(req: FastifyRequest, csrfToken: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameToken(sent, csrfToken)) {
    throw new AccessError('CSRF_TOKEN_INVALID', `a change made with a console session must carry the session's ${CSRF_HEADER} header`);
  }
}

/** The access module's {@link ConsoleAuth}. */
export function createConsoleAuth(deps: AccessDeps): ConsoleAuth {
  return {
    async authenticate(req) {
      const token = req.cookies?.[SESSION_COOKIE];
      if (!token) return undefined;
      const session = await liveSession(deps, token);
      checkCsrf(req, session.csrf_token);
      const memberships = await membershipsOf(deps.database.db, session.user_id);
      const wanted = req.headers[WORKSPACE_HEADER];
      const m = typeof wanted === 'string' && wanted ? memberships.find((x) => x.workspaceId === wanted) : memberships[0];
      if (!m) {
        throw new AppError(
          'FORBIDDEN',
          typeof wanted === 'string' && wanted ? `you are not a member of workspace ${wanted}` : 'you are not a member of any workspace',
        );
      }
      const principal: Principal = { kind: 'user', role: m.role, userId: session.user_id, sessionId: session.id, wecomUserId: m.wecomUserId };
      return { workspaceId: m.workspaceId, principal };
    },
    authorize: (req, principal) => authorize(deps, req, principal),
  };
}

async function authorize(deps: AccessDeps, req: FastifyRequest, p: Principal): Promise<void> {
  if (p.kind === 'key') return;
  const route = req.routeOptions.url ?? req.url;
  if (p.role !== 'guide') {
    const cls = classifyRequest(req.method, route, req.query);
    if (!roleAllows(p.role, cls)) {
      const need = cls === 'admin' ? 'the owner role' : 'the owner or operator role';
      throw new AppError('FORBIDDEN', `${req.method} ${route} needs ${need}; you are ${p.role === 'analyst' ? 'an' : 'a'} ${p.role} in this workspace`);
    }
    return;
  }
  const check = guideCheck(req.method, route);
  if (!check) throw new AppError('FORBIDDEN', `the guide role may not call ${req.method} ${route}`);
  if (check.kind === 'none') return;
  const me = p.wecomUserId;
  if (!me) throw new AppError('FORBIDDEN', 'this guide is not linked to a WeCom staff member; an owner sets it under Settings → Users');
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  const query = (req.query ?? {}) as Record<string, string | undefined>;
  if (check.kind === 'staff-param' && params.userid !== me) throw new AppError('FORBIDDEN', `a guide sees only their own workbench (${me})`);
  if (check.kind === 'staff-query' && query.staff !== me) throw new AppError('FORBIDDEN', `a guide lists only their own tasks: add staff=${me}`);
  if (check.kind === 'task') {
    const staff = await deps.guide?.taskStaff(req.workspaceId, check.task, params.id ?? '');
    if (staff !== undefined && staff !== me) throw new AppError('FORBIDDEN', 'this task belongs to another staff member');
  }
  if (check.kind === 'profile') {
    const owns = deps.guide ? await deps.guide.ownsProfile(req.workspaceId, me, params.id ?? '') : false;
    if (!owns) throw new AppError('FORBIDDEN', 'a guide sees only the customers they follow in WeCom');
  }
}
