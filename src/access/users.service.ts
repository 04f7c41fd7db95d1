/** Console users: creation (CLI, first run, invitations), roles per workspace, passwords. */
import { randomBytes } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Role } from '../platform/principal.js';
import { getWorkspace } from '../platform/workspaces.js';
import type { AccessDeps } from './deps.js';
import { AccessError } from './errors.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from './passwords.js';
import { revokeUserSessions } from './sessions.repo.js';
import { hashToken } from './sessions.service.js';
import {
  deleteMembership,
  getMember,
  insertUser,
  type Member,
  membership,
  ownerCount,
  setPasswordHash,
  upsertMembership,
  userByEmail,
  userById,
} from './users.repo.js';

/** An invitation is valid this long. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function checkEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 254) throw new AppError('VALIDATION_FAILED', `"${email}" is not an email address`);
  return e;
}

function checkGuide(role: Role, wecomUserId: string | null | undefined): string | null {
  if (role === 'guide' && !wecomUserId) throw new AppError('VALIDATION_FAILED', 'a guide needs wecomUserId: the WeCom staff id whose customers they serve');
  return wecomUserId ?? null;
}

/**
 * Creates a user with a role in a workspace (CLI `siyu user create`, the first run), or gives an
 * existing user of that email the role there (their password is kept). Answers the member and
 * whether the user is new.
 */
export async function createUser(
  deps: AccessDeps,
  input: { workspaceId: string; email: string; name?: string; password: string; role: Role; wecomUserId?: string | null },
): Promise<{ member: Member; created: boolean }> {
  const db = deps.database.db;
  const email = checkEmail(input.email);
  if (!(await getWorkspace(db, input.workspaceId))) throw new AppError('NOT_FOUND', `no workspace ${input.workspaceId}`);
  const wecom = checkGuide(input.role, input.wecomUserId);
  const now = deps.now();
  const existing = await userByEmail(db, email);
  let userId = existing?.id;
  if (!userId) {
    checkPasswordStrength(input.password);
    userId = newId('usr', now);
    await insertUser(db, { id: userId, email, name: input.name?.trim() || email.split('@')[0]!, passwordHash: await hashPassword(input.password), now });
  }
  await upsertMembership(db, { workspaceId: input.workspaceId, userId, role: input.role, wecomUserId: wecom, now });
  return { member: (await getMember(db, input.workspaceId, userId))!, created: !existing };
}

/** Invites an email to a workspace with a role: answers the invitation and its one-time token (for the link). */
export async function invite(deps: AccessDeps, ws: string, by: string, input: { email: string; role: Role; wecomUserId?: string | null }) {
  const email = checkEmail(input.email);
  const wecom = checkGuide(input.role, input.wecomUserId);
  const existing = await userByEmail(deps.database.db, email);
  if (existing && (await membership(deps.database.db, ws, existing.id))) throw new AccessError('USER_EXISTS', `${email} is already a user of this workspace`);
  const now = deps.now();
  const token = randomBytes(24).toString('base64url');
  const id = newId('inv', now);
  const expiresAt = now + INVITATION_TTL_MS;
  await deps.database.db
    .insertInto('access_invitations')
    .values({
      workspace_id: ws,
      id,
      email,
      role: input.role,
      wecom_user_id: wecom,
      token_hash: hashToken(token),
      invited_by: by,
      created_at: now,
      expires_at: expiresAt,
      accepted_at: null,
    })
    .execute();
  return { invitation: { id, email, role: input.role, wecomUserId: wecom, expiresAt: new Date(expiresAt).toISOString() }, token };
}

/**
 * Accepts an invitation: a new user sets their name and password; an existing user of the email
 * proves it with their password. Answers the user id. INVITATION_INVALID when the token is unknown,
 * used or expired; the invitation is used once even when two accepts race.
 */
export async function acceptInvitation(
  deps: AccessDeps,
  input: { token: string; name?: string; password: string },
): Promise<{ userId: string; workspaceId: string }> {
  const db = deps.database.db;
  const now = deps.now();
  const hash = hashToken(input.token);
  return db.transaction().execute(async (trx) => {
    const inv = await trx.selectFrom('access_invitations').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    if (!inv || inv.accepted_at !== null || Number(inv.expires_at) <= now) {
      throw new AccessError('INVITATION_INVALID', 'this invitation link is unknown, already used or expired; ask an owner for a new one');
    }
    const used = await trx
      .updateTable('access_invitations')
      .set({ accepted_at: now })
      .where('id', '=', inv.id)
      .where('accepted_at', 'is', null)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) throw new AccessError('INVITATION_INVALID', 'this invitation was just used');
    const existing = await userByEmail(trx, inv.email);
    let userId = existing?.id;
    if (existing) {
      if (!(await verifyPassword(input.password, existing.password_hash)))
        throw new AccessError('LOGIN_FAILED', 'wrong password for the existing user of this email');
    } else {
      checkPasswordStrength(input.password);
      userId = newId('usr', now);
      await insertUser(trx, {
        id: userId,
        email: inv.email,
        name: input.name?.trim() || inv.email.split('@')[0]!,
        passwordHash: await hashPassword(input.password),
        now,
      });
    }
    await upsertMembership(trx, { workspaceId: inv.workspace_id, userId: userId!, role: inv.role, wecomUserId: inv.wecom_user_id, now });
    return { userId: userId!, workspaceId: inv.workspace_id };
  });
}

/** Changes a member's role (and guide staff id); LAST_OWNER when it would leave no owner. */
export async function changeRole(deps: AccessDeps, ws: string, userId: string, patch: { role?: Role; wecomUserId?: string | null }): Promise<Member> {
  const db = deps.database.db;
  const current = await getMember(db, ws, userId);
  if (!current) throw new AccessError('USER_NOT_FOUND', `no user ${userId} in this workspace`);
  const role = patch.role ?? current.role;
  const wecom = checkGuide(role, patch.wecomUserId === undefined ? current.wecomUserId : patch.wecomUserId);
  if (current.role === 'owner' && role !== 'owner' && (await ownerCount(db, ws)) <= 1) {
    throw new AccessError('LAST_OWNER', "this is the workspace's only owner: make another user owner first");
  }
  await upsertMembership(db, { workspaceId: ws, userId, role, wecomUserId: wecom, now: deps.now() });
  return (await getMember(db, ws, userId))!;
}

/** Removes a member from a workspace and ends their sessions; LAST_OWNER for the only owner. */
export async function removeMember(deps: AccessDeps, ws: string, userId: string): Promise<void> {
  const db = deps.database.db;
  const current = await getMember(db, ws, userId);
  if (!current) throw new AccessError('USER_NOT_FOUND', `no user ${userId} in this workspace`);
  if (current.role === 'owner' && (await ownerCount(db, ws)) <= 1) throw new AccessError('LAST_OWNER', "this is the workspace's only owner");
  await deleteMembership(db, ws, userId);
  await revokeUserSessions(db, userId, deps.now());
}

/** Changes a user's own password (the current one proves it is them) and ends their other sessions. */
export async function changePassword(deps: AccessDeps, userId: string, sessionId: string, current: string, next: string): Promise<void> {
  const db = deps.database.db;
  const user = await userById(db, userId);
  if (!user || !(await verifyPassword(current, user.password_hash))) throw new AccessError('LOGIN_FAILED', 'the current password is wrong');
  checkPasswordStrength(next);
  const now = deps.now();
  await setPasswordHash(db, userId, await hashPassword(next), now);
  await revokeUserSessions(db, userId, now, sessionId);
}
