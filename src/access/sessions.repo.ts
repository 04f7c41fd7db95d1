/** SQL of console sessions and failed sign-ins. */
import type { Kysely } from 'kysely';
import type { DB } from '../platform/db/schema.js';

/** Inserts a session. */
export async function insertSession(
  db: Kysely<DB>,
  s: { id: string; userId: string; tokenHash: string; csrfToken: string; ip: string; userAgent: string; now: number; expiresAt: number },
): Promise<void> {
  await db
    .insertInto('access_sessions')
    .values({
      id: s.id,
      user_id: s.userId,
      token_hash: s.tokenHash,
      csrf_token: s.csrfToken,
      ip: s.ip,
      user_agent: s.userAgent,
      created_at: s.now,
      last_seen_at: s.now,
      expires_at: s.expiresAt,
      revoked_at: null,
    })
    .execute();
}

/** The session of a token hash, if any (revoked or not). */
export async function sessionByTokenHash(db: Kysely<DB>, tokenHash: string) {
  return db.selectFrom('access_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Moves a session's last-seen time (its idle clock). */
export async function touchSession(db: Kysely<DB>, id: string, now: number): Promise<void> {
  await db.updateTable('access_sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

/** Ends one session. */
export async function revokeSession(db: Kysely<DB>, id: string, now: number): Promise<void> {
  await db.updateTable('access_sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Ends every session of a user (except `keep`); answers how many ended. */
export async function revokeUserSessions(db: Kysely<DB>, userId: string, now: number, keep?: string): Promise<number> {
  let q = db.updateTable('access_sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (keep) q = q.where('id', '!=', keep);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Records a failed sign-in and forgets failures older than the throttling window. */
export async function recordFailure(db: Kysely<DB>, email: string, ip: string, now: number, windowMs: number): Promise<void> {
  await db
    .deleteFrom('access_login_failures')
    .where('at', '<', now - windowMs)
    .execute();
  await db.insertInto('access_login_failures').values({ email, ip, at: now }).execute();
}

/** Failures within the window for an email and for an address, with the oldest of each (for Retry-After). */
export async function recentFailures(db: Kysely<DB>, email: string, ip: string, since: number) {
  const count = (column: 'email' | 'ip', value: string) =>
    db
      .selectFrom('access_login_failures')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('at').as('oldest')])
      .where(column, '=', value)
      .where('at', '>=', since)
      .executeTakeFirstOrThrow();
  const [byEmail, byIp] = await Promise.all([count('email', email), count('ip', ip)]);
  return {
    email: { n: Number(byEmail.n), oldest: byEmail.oldest === null ? null : Number(byEmail.oldest) },
    ip: { n: Number(byIp.n), oldest: byIp.oldest === null ? null : Number(byIp.oldest) },
  };
}

/** Forgets an email's failures after a successful sign-in. */
export async function clearFailures(db: Kysely<DB>, email: string): Promise<void> {
  await db.deleteFrom('access_login_failures').where('email', '=', email).execute();
}
