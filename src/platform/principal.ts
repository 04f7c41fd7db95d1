import type { FastifyRequest } from 'fastify';

/** A console user's role in a workspace (docs/console-access.md has the table of what each may do). */
export type Role = 'owner' | 'operator' | 'analyst' | 'guide';

/** The roles, most powerful first. */
export const ROLES: readonly Role[] = ['owner', 'operator', 'analyst', 'guide'];

/** Who made a request: a machine with a secret key (acts as the owner), or a signed-in console user. */
export interface Principal {
  kind: 'key' | 'user';
  role: Role;
  /** The console user (kind `user`). */
  userId?: string;
  /** The secret API key's id (kind `key`), when the resolver names it. */
  keyId?: string;
  /** The console session (kind `user`). */
  sessionId?: string;
  /** The WeCom staff id a guide works as: a guide sees only the customers and groups this staff member owns. */
  wecomUserId?: string | null;
}

/**
 * Port: console sign-in by session cookie and the role policy. Platform's `requireKey` asks it for
 * requests without an Authorization header; the root fills it with the access module's.
 */
export interface ConsoleAuth {
  /**
   * The workspace and user of a request from its session cookie; undefined when it carries none.
   * Throws UNAUTHORIZED (expired or signed-out session) or FORBIDDEN (no CSRF token on a change,
   * not a member of the requested workspace).
   */
  authenticate(req: FastifyRequest): Promise<{ workspaceId: string; principal: Principal } | undefined>;
  /** Throws FORBIDDEN when the principal's role may not call the request's route (with these params and query). */
  authorize(req: FastifyRequest, principal: Principal): Promise<void>;
}
