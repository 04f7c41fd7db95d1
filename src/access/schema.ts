import type { Millis } from '../platform/db/schema.js';
import type { Role } from '../platform/principal.js';

/**
 * The access module's tables (migration 0030_console_access): console users, their roles per
 * workspace, sessions, failed sign-ins and invitations. Users are global (one person, several
 * brands); everything they may see is keyed by workspace through `access_memberships`.
 */

/** A console user: a person who signs in with an email and a password. */
export interface AccessUsersTable {
  id: string;
  /** Lower-cased; unique. */
  email: string;
  name: string;
  /** `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (passwords.ts). */
  password_hash: string;
  created_at: Millis;
  updated_at: Millis;
}

/** A user's role in one workspace. */
export interface AccessMembershipsTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  /** The WeCom staff id a guide works as (their customers and groups); null for other roles. */
  wecom_user_id: string | null;
  created_at: Millis;
}

/** A signed-in browser: the cookie holds the token, the table only its hash. */
export interface AccessSessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  /** Sent back by the console in `x-csrf-token` on every change. */
  csrf_token: string;
  ip: string;
  user_agent: string;
  created_at: Millis;
  last_seen_at: Millis;
  /** Absolute end; idle sessions end earlier (sessions.ts). */
  expires_at: Millis;
  revoked_at: Millis | null;
}

/** One failed sign-in, for throttling by email and by address (rows older than the window are deleted). */
export interface AccessLoginFailuresTable {
  email: string;
  ip: string;
  at: Millis;
}

/** An invitation to a workspace with a role; the link holds the token, the table its hash. */
export interface AccessInvitationsTable {
  workspace_id: string;
  id: string;
  email: string;
  role: Role;
  wecom_user_id: string | null;
  token_hash: string;
  invited_by: string;
  created_at: Millis;
  expires_at: Millis;
  accepted_at: Millis | null;
}

/** The access module's tables. */
export interface AccessDB {
  access_users: AccessUsersTable;
  access_memberships: AccessMembershipsTable;
  access_sessions: AccessSessionsTable;
  access_login_failures: AccessLoginFailuresTable;
  access_invitations: AccessInvitationsTable;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends AccessDB {}
}
