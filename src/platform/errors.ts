/** The catalogue of expected failures: a stable code, an HTTP status. */
export const ErrorCodes = {
  VALIDATION_FAILED: 400,
  REQUEST_TOO_LARGE: 400,
  EVENT_TOO_LARGE: 400,
  BATCH_TOO_LARGE: 400,
  MALFORMED_JSON: 400,
  IDENTIFIER_INVALID: 400,
  IMPORT_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PROFILE_NOT_FOUND: 404,
  TAG_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_READY: 503,
  TAG_GROUP_NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  RULE_INVALID: 400,
} as const;

/** A stable error code from the catalogue. */
export type ErrorCode = keyof typeof ErrorCodes;

/** An expected failure: mapped once, in the HTTP error handler, to its status and `{ error: { code, message } }`. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ErrorCodes[code];
  }
}
