import { errorClass } from '../platform/errors.js';

/** The demo module's expected failures. */
export const DemoError = errorClass('demo', {
  /** The demo brand loads only into a workspace without customers (its data would mix with real ones). */
  DEMO_WORKSPACE_NOT_EMPTY: 409,
  /** A demo load is already running for this workspace in this process. */
  DEMO_ALREADY_LOADING: 409,
});
