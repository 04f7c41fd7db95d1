/**
 * The access module's public surface: console users, roles per workspace, sessions (cookie + CSRF),
 * sign-in throttling, invitations, and the role policy every secret-key route is checked against.
 * See docs/console-access.md.
 */
import type { FastifyInstance } from 'fastify';
import { authRoutes } from './auth.routes.js';
import type { AccessDeps } from './deps.js';
import { userRoutes } from './users.routes.js';

export type { AccessDeps, GuideScope } from './deps.js';
export { accessMigrations } from './migrations.js';
export { AccessError } from './errors.js';
export type { AccessDB } from './schema.js';
export { createConsoleAuth, WORKSPACE_HEADER, CSRF_HEADER } from './console-auth.js';
export { createUser } from './users.service.js';
export { classify, classifyRequest, guideCheck, type RouteClass } from './policy.js';
export { SESSION_COOKIE } from './sessions.service.js';
export { installGuideMasking, maskDeep } from './masking.js';

/** Registers the console's sign-in routes and the user-management routes. */
export async function accessRoutes(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  await authRoutes(app, deps);
  await userRoutes(app, deps);
}
