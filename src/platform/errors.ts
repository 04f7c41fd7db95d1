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
  TEMPLATE_INVALID: 400,
  TEMPLATE_RENDER_FAILED: 422,
  TEMPLATE_NOT_FOUND: 404,
  CHANNEL_CONFIG_INVALID: 400,
  CHANNEL_NOT_CONFIGURED: 409,
  MESSAGE_NOT_FOUND: 404,
  LINK_INVALID: 400,
  WECOM_SYNC_RUNNING: 409,
  // SCRM operations (src/scrm/ops/)
  SOP_NOT_FOUND: 404,
  SOP_TASK_NOT_FOUND: 404,
  WORKBENCH_RULE_NOT_FOUND: 404,
  SNIPPET_NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404,
  SENSITIVE_WORD_NOT_FOUND: 404,
  SCRM_STAFF_NOT_FOUND: 404,
  SCRM_CUSTOMER_NOT_FOUND: 404,
  ARCHIVE_IMPORT_INVALID: 400,
  WECOM_CALL_FAILED: 502,
  LIVE_CODE_NOT_FOUND: 404,
  GROUP_CODE_NOT_FOUND: 404,
  SCRM_GROUP_NOT_FOUND: 404,
  /** WeCom answered a live-code or join-way call with an errcode about our request (details.errcode). */
  LIVE_CODE_WECOM_REJECTED: 400,
  /** WeCom could not be reached, answered badly, or the workspace has no WeCom connection. */
  LIVE_CODE_WECOM_UNAVAILABLE: 502,
  // WeCom connection and callbacks (src/scrm/connection.*, src/scrm/callback.*)
  /** The workspace has no WeCom connection (or does not exist). */
  WECOM_NOT_CONNECTED: 404,
  /** A callback whose msg_signature does not match the Token (forged, or the wrong Token). */
  WECOM_CALLBACK_BAD_SIGNATURE: 401,
  /** A callback whose timestamp is outside the accepted window (a late replay, or a skewed clock). */
  WECOM_CALLBACK_STALE: 401,
  /** A callback with the same msg_signature, timestamp and nonce as one already accepted. */
  WECOM_CALLBACK_REPLAYED: 409,
  /** A callback addressed to another corp (the receive id inside the ciphertext). */
  WECOM_CALLBACK_WRONG_CORP: 403,
  /** A callback that is not WeCom's format: missing parameters, bad padding or length, bad XML/JSON. */
  WECOM_CALLBACK_MALFORMED: 400,
  // Broadcasts (src/broadcasts/)
  BROADCAST_NOT_FOUND: 404,
  /** The broadcast is not in a state that allows the action (e.g. editing one that is sending). */
  BROADCAST_INVALID_STATE: 409,
  // Journeys (src/journeys/)
  /** A journey definition that does not validate (details.errors: each with its JSON path). */
  JOURNEY_INVALID: 400,
  JOURNEY_NOT_FOUND: 404,
  /** The journey is not in a state that allows the action (entering an unpublished or paused journey, editing an archived one). */
  JOURNEY_INVALID_STATE: 409,
  JOURNEY_RECIPE_NOT_FOUND: 404,
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
