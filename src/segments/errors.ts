import { errorClass } from '../platform/errors.js';

/** The segments domain's expected failures. */
export const SegmentError = errorClass('segments', {
  SEGMENT_NOT_FOUND: 404,
  RULE_INVALID: 400,
});
