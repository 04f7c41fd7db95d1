/** SQL of console users and their memberships (rows → domain objects). */
import type { Kysely } from 'kysely';
import type { DB } from '../platform/db/schema.js';
import { keysetAfter, pageOf, decodeCursor, type Page } from '../platform/paging.js';
import type { Role } from '../platform/principal.js';
import { getWorkspace } from '../platform/workspaces.js';

/** A user with their role in one workspace. */
export interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
  wecomUserId: string | null;
  joinedAt: string;
}

/** A workspace a user belongs to, for the console's switcher. */
export interface MembershipView {
  workspaceId: string;
  workspaceName: string;
  role: Role;
  wecomUserId: string | null;
}

/** The stored user of an email (lower-cased), with the password hash. */
export async function userByEmail(db: Kysely<DB>, email: string) {
  return db.selectFrom('access_users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/** The stored user of an id. */
export async function userById(db: Kysely<DB>, id: string) {
  return db.selectFrom('access_users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts a user (the caller checked the email is free). */
export async function insertUser(db: Kysely<DB>, row: { id: string; email: string; name: string; passwordHash: string; now: number }): Promise<void> {
  await db
    .insertInto('access_users')
    .values({ id: row.id, email: row.email.toLowerCase(), name: row.name, password_hash: row.passwordHash, created_at: row.now, updated_at: row.now })
    .execute();
}

/** Replaces a user's password hash. */
export async function setPasswordHash(db: Kysely<DB>, userId: string, hash: string, now: number): Promise<void> {
  await db.updateTable('access_users').set({ password_hash: hash, updated_at: now }).where('id', '=', userId).execute();
}

/** Adds or replaces a user's role in a workspace. */
export async function upsertMembership(
  db: Kysely<DB>,
  m: { workspaceId: string; userId: string; role: Role; wecomUserId: string | null; now: number },
): Promise<void> {
  await db
    .insertInto('access_memberships')
    .values({ workspace_id: m.workspaceId, user_id: m.userId, role: m.role, wecom_user_id: m.wecomUserId, created_at: m.now })
    .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role: m.role, wecom_user_id: m.wecomUserId }))
    .execute();
}

/** A user's role in a workspace, if they belong to it. */
export async function membership(db: Kysely<DB>, workspaceId: string, userId: string) {
  return db.selectFrom('access_memberships').selectAll().where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst();
}

/** Every workspace of a user, in the order they joined (the first is the default). */
export async function membershipsOf(db: Kysely<DB>, userId: string): Promise<MembershipView[]> {
  const rows = await db
    .selectFrom('access_memberships')
    .select(['workspace_id', 'role', 'wecom_user_id'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('workspace_id')
    .execute();
  const workspaces = await Promise.all(rows.map((r) => getWorkspace(db, r.workspace_id)));
  return rows.flatMap((r, i) => {
    const w = workspaces[i];
    return w ? [{ workspaceId: r.workspace_id, workspaceName: w.name, role: r.role, wecomUserId: r.wecom_user_id }] : [];
  });
}

/** The members of a workspace, by email (paged). */
export async function listMembers(db: Kysely<DB>, workspaceId: string, limit: number, cursor?: string): Promise<Page<Member>> {
  let q = db
    .selectFrom('access_memberships as m')
    .innerJoin('access_users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.name', 'm.role', 'm.wecom_user_id', 'm.created_at'])
    .where('m.workspace_id', '=', workspaceId);
  if (cursor) q = q.where(keysetAfter(['u.email', 'u.id'], 'asc', decodeCursor(cursor, ['s', 's'])));
  const rows = await q
    .orderBy('u.email')
    .orderBy('u.id')
    .limit(limit + 1)
    .execute();
  return pageOf(rows, limit, toMember, (r) => [r.email, r.id]);
}

/** One member of a workspace. */
export async function getMember(db: Kysely<DB>, workspaceId: string, userId: string): Promise<Member | undefined> {
  const r = await db
    .selectFrom('access_memberships as m')
    .innerJoin('access_users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.name', 'm.role', 'm.wecom_user_id', 'm.created_at'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
  return r && toMember(r);
}

/** How many owners a workspace has. */
export async function ownerCount(db: Kysely<DB>, workspaceId: string): Promise<number> {
  const r = await db
    .selectFrom('access_memberships')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Removes a user from a workspace. */
export async function deleteMembership(db: Kysely<DB>, workspaceId: string, userId: string): Promise<void> {
  await db.deleteFrom('access_memberships').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
}

function toMember(r: { id: string; email: string; name: string; role: Role; wecom_user_id: string | null; created_at: number }): Member {
  return { id: r.id, email: r.email, name: r.name, role: r.role, wecomUserId: r.wecom_user_id, joinedAt: new Date(Number(r.created_at)).toISOString() };
}
