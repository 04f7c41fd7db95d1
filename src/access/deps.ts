/** What the access module needs from the process (the composition root builds it). */
import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.js';
import type { KeyResolver } from '../platform/workspaces.js';

/**
 * Port (scrm and cdp, filled by the root): what keeps a guide to their own customers and tasks.
 * Without it guides may call only the routes that need no such check.
 */
export interface GuideScope {
  /** Whether the profile (`prf_…` or `type:value`) is a customer the staff member follows now. */
  ownsProfile(workspaceId: string, wecomUserId: string, profileRef: string): Promise<boolean>;
  /** The staff member of a SOP task or a workbench follow-up; undefined when there is no such task. */
  taskStaff(workspaceId: string, kind: 'sop' | 'follow-up', taskId: string): Promise<string | undefined>;
}

/** An email the access module writes (an invitation). */
export interface AccessEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Port (messaging, filled by the root): sends an email with the workspace's SMTP channel settings;
 * `not_configured` when the workspace has none.
 */
export type AccessMailer = (
  workspaceId: string,
  mail: AccessEmail,
) => Promise<{ status: 'sent' } | { status: 'not_configured' } | { status: 'failed'; errorCode: string; errorMessage: string }>;

/** The access module's dependencies. */
export interface AccessDeps {
  database: Database;
  now: () => number;
  log: Logger;
  /** Secret keys, for the owner's user-management routes called by machines. */
  keys: KeyResolver;
  guide?: GuideScope;
  /** Invitation emails; without it invitations answer `not_configured` and the owner passes the link on. */
  mailer?: AccessMailer;
}
