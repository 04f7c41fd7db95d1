import { errorClass } from '../platform/errors.js';

/** The CDP's expected failures: tracking payloads, identifiers, imports, profiles, tags and orders. */
export const CdpError = errorClass('cdp', {
  EVENT_TOO_LARGE: 400,
  BATCH_TOO_LARGE: 400,
  ORIGIN_NOT_ALLOWED: 403,
  IDENTIFIER_INVALID: 400,
  IMPORT_INVALID: 400,
  PROFILE_NOT_FOUND: 404,
  TAG_NOT_FOUND: 404,
  TAG_GROUP_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
});
