import { errorClass } from '../platform/errors.js';

/** The access module's expected failures (console users, sessions, invitations). */
export const AccessError = errorClass('access', {
  /** Wrong email or password (the answer never says which). */
  LOGIN_FAILED: 401,
  /** Too many failed sign-ins for this email or address: wait the Retry-After seconds. */
  LOGIN_THROTTLED: 429,
  /** A change sent with a session cookie but without the session's `x-csrf-token` header. */
  CSRF_TOKEN_INVALID: 403,
  /** A password shorter than the minimum (details name it). */
  PASSWORD_TOO_WEAK: 400,
  /** The email already belongs to a user of this workspace. */
  USER_EXISTS: 409,
  USER_NOT_FOUND: 404,
  /** The change would leave the workspace without an owner. */
  LAST_OWNER: 409,
  /** An invitation token that is unknown, used or past its time. */
  INVITATION_INVALID: 400,
});
