import { errorClass } from '../platform/errors.js';

/** The compliance module's expected failures: rate limits, data-subject requests and retention runs. */
export const ComplianceError = errorClass('compliance', {
  /** Too many requests for this key or address on a public endpoint: wait the Retry-After seconds. */
  RATE_LIMITED: 429,
  PRIVACY_REQUEST_NOT_FOUND: 404,
  /** The request is not in a state that allows this (completed or rejected, or the wrong kind). */
  PRIVACY_REQUEST_STATE: 409,
  /** The request names no profile this workspace holds, so there is nothing to export, erase or correct. */
  PRIVACY_SUBJECT_UNKNOWN: 409,
  /** What the request asks is not carried out by this route (an export is answered by its archive). */
  PRIVACY_ACTION_UNAVAILABLE: 409,
  /** A rotation of the workspace's data key is still re-encrypting: one at a time. */
  KEY_ROTATION_RUNNING: 409,
  /** A retention run of the workspace is in progress (the schedule's, the CLI's or another "Run now"): wait for it to end. */
  RETENTION_RUNNING: 409,
  /** A correction would take an identifier another profile holds, or exceed its type's limit per profile: nothing was changed. */
  PRIVACY_IDENTIFIER_CONFLICT: 409,
});
