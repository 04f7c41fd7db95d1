import { errorClass } from '../platform/errors.js';

/** The insight module's expected failures. */
export const InsightError = errorClass('insight', {
  /** A metric, funnel or cohort query that does not validate (details name the field). */
  INSIGHT_QUERY_INVALID: 400,
  SURVEY_NOT_FOUND: 404,
  /** A survey answer that does not fit the survey (details name the question). */
  SURVEY_ANSWER_INVALID: 400,
  /** A survey link whose signature does not match or whose time has passed. */
  SURVEY_LINK_INVALID: 401,
  EXPERIMENT_NOT_FOUND: 404,
  /** An experiment definition or exposure that does not validate (details name the field). */
  EXPERIMENT_INVALID: 400,
  /** An experiment key already used in the workspace by a different definition. */
  EXPERIMENT_KEY_TAKEN: 409,
  /** The workspace has no fitted CLV model yet (fit one with POST /v1/insight/clv/fit). */
  CLV_NOT_FITTED: 404,
  /** Too little order history to fit the CLV models (details say what there is and what is needed). */
  CLV_NOT_ENOUGH_DATA: 409,
  /** Another fit of this workspace's CLV models is running. */
  CLV_FIT_RUNNING: 409,
});
