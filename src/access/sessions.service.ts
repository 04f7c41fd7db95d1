/** Console sign-in, sessions and throttling. */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { AccessDeps } from './deps.js';
import { AccessError } from './errors.js';
import { DUMMY_HASH, verifyPassword } from './passwords.js';
import {
  clearFailures,
  insertSession,
  recentFailures,
  recordFailure,
  revokeSession,
  revokeUserSessions,
  sessionByTokenHash,
  touchSession,
} from './sessions.repo.js';
import { userByEmail } from './users.repo.js';

/** The cookie holding the session token (httpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'siyu_session';
/** A session ends this long after sign-in, however active. */
export const SESSION_MAX_MS = 14 * 86_400_000;
/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 24 * 3_600_000;
/** Failed sign-ins are counted over this window. */
export const THROTTLE_WINDOW_MS = 15 * 60_000;
/** Failures per email within the window before sign-in is refused. */
export const MAX_FAILURES_PER_EMAIL = 5;
/** Failures per address within the window before sign-in is refused (an office shares one address). */
export const MAX_FAILURES_PER_IP = 30;

// The last-seen time is written at most once a minute: one UPDATE per request would double the
// cost of a console page that makes several calls.
const TOUCH_EVERY_MS = 60_000;

/** SHA-256 hex of a random token (session or invitation): only this is stored, and the tokens are 192+ random bits, so a fast hash is enough. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** What a successful sign-in answers: the token for the cookie and the CSRF token for the console. */
export interface SignedIn {
  token: string;
  sessionId: string;
  userId: string;
  csrfToken: string;
  expiresAt: number;
}

/**
 * Signs a user in by email and password: LOGIN_THROTTLED (with `retryAfterS`) after too many
 * failures for the email or the address; LOGIN_FAILED for a wrong email or password, in the same
 * time either way (an unknown email is verified against a dummy hash).
 */
export async function signIn(deps: AccessDeps, input: { email: string; password: string; ip: string; userAgent: string }): Promise<SignedIn> {
  const db = deps.database.db;
  const email = input.email.trim().toLowerCase();
  const now = deps.now();
  const recent = await recentFailures(db, email, input.ip, now - THROTTLE_WINDOW_MS);
  const blocked = [recent.email.n >= MAX_FAILURES_PER_EMAIL ? recent.email.oldest : null, recent.ip.n >= MAX_FAILURES_PER_IP ? recent.ip.oldest : null].filter(
    (x): x is number => x !== null,
  );
  if (blocked.length) {
    const retryAfterS = Math.max(1, Math.ceil((Math.max(...blocked) + THROTTLE_WINDOW_MS - now) / 1000));
    throw new AccessError('LOGIN_THROTTLED', `too many failed sign-ins; try again in ${retryAfterS} s`, { retryAfterS });
  }
  const user = await userByEmail(db, email);
  const ok = await verifyPassword(input.password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !ok) {
    await recordFailure(db, email, input.ip, now, THROTTLE_WINDOW_MS);
    deps.log.info({ ip: input.ip }, 'console sign-in failed');
    throw new AccessError('LOGIN_FAILED', 'wrong email or password');
  }
  await clearFailures(db, email);
  return openSession(deps, user.id, input.ip, input.userAgent);
}

/** Opens a session for a user (after a sign-in or an accepted invitation). */
export async function openSession(deps: AccessDeps, userId: string, ip: string, userAgent: string): Promise<SignedIn> {
  const now = deps.now();
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const sessionId = newId('ses', now);
  const expiresAt = now + SESSION_MAX_MS;
  await insertSession(deps.database.db, {
    id: sessionId,
    userId,
    tokenHash: hashToken(token),
    csrfToken,
    ip,
    userAgent: userAgent.slice(0, 300),
    now,
    expiresAt,
  });
  return { token, sessionId, userId, csrfToken, expiresAt };
}

/** The live session of a cookie token: UNAUTHORIZED when it is unknown, signed out, past its end or idle too long. */
export async function liveSession(deps: AccessDeps, token: string) {
  const now = deps.now();
  const s = await sessionByTokenHash(deps.database.db, hashToken(token));
  if (!s || s.revoked_at !== null || Number(s.expires_at) <= now || Number(s.last_seen_at) + SESSION_IDLE_MS <= now) {
    throw new AppError('UNAUTHORIZED', 'your console session has ended; sign in again');
  }
  if (now - Number(s.last_seen_at) >= TOUCH_EVERY_MS) await touchSession(deps.database.db, s.id, now);
  return s;
}

/** Signs out one session. */
export async function signOut(deps: AccessDeps, sessionId: string): Promise<void> {
  await revokeSession(deps.database.db, sessionId, deps.now());
}

/** Signs a user out of every browser; answers how many sessions ended. */
export async function signOutEverywhere(deps: AccessDeps, userId: string): Promise<number> {
  return revokeUserSessions(deps.database.db, userId, deps.now());
}
