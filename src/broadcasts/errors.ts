import { errorClass } from '../platform/errors.js';

/** The broadcasts domain's expected failures. */
export const BroadcastError = errorClass('broadcasts', {
  BROADCAST_NOT_FOUND: 404,
  /** The broadcast is not in a state that allows the action (e.g. editing one that is sending). */
  BROADCAST_INVALID_STATE: 409,
});
