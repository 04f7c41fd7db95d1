import { errorClass } from '../platform/errors.js';

/** The SCRM domain's expected failures: the WeCom connection and callbacks, sync, live codes, groups, operations. */
export const ScrmError = errorClass('scrm', {
  WECOM_SYNC_RUNNING: 409,
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
});
