import { errorClass } from '../platform/errors.js';

/** The compliance module's expected failures. */
export const ComplianceError = errorClass('compliance', {
  /** Too many requests for this key or address on a public endpoint: wait the Retry-After seconds. */
  RATE_LIMITED: 429,
});
