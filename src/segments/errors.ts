import { errorClass } from '../platform/errors.js';

/** The segments domain's expected failures. */
export const SegmentError = errorClass('segments', {
  SEGMENT_NOT_FOUND: 404,
  RULE_INVALID: 400,
  /** A preview's statement ran past SIYU_SEGMENT_PREVIEW_TIMEOUT_MS and was stopped. */
  SEGMENT_QUERY_TIMEOUT: 422,
});
