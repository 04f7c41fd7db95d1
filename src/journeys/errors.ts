import { errorClass } from '../platform/errors.js';

/** The journeys domain's expected failures. */
export const JourneyError = errorClass('journeys', {
  /** A journey definition that does not validate (details.errors: each with its JSON path). */
  JOURNEY_INVALID: 400,
  JOURNEY_NOT_FOUND: 404,
  /** The journey is not in a state that allows the action (entering an unpublished or paused journey, editing an archived one). */
  JOURNEY_INVALID_STATE: 409,
  JOURNEY_RECIPE_NOT_FOUND: 404,
});
