/**
 * The insight module's public surface: operating metrics, funnels, retention cohorts, predicted
 * lifetime value, surveys (NPS/CSAT/CES) and A/B test statistics. See docs/insight.md.
 */
export type { InsightDeps } from './deps.js';
export { insightRoutes } from './routes.js';
export { insightMigrations } from './migrations.js';
export { InsightError } from './errors.js';
export type { InsightHubEvents } from './hub-events.js';
export type { InsightDB, InsightClvModelsTable, InsightClvPredictionsTable } from './schema.js';

// Surveys: the link signer and messaging's `survey_url` (the root wires them), event names and port types.
export { createSurveyLinkSigner, type SurveyLinkSigner, type SurveyLink } from './surveys/links.js';
export { messageSurveyUrl, type MessageSurveyLink } from './surveys/links.service.js';
export { SURVEY_EVENTS, FOLLOW_UP_KIND } from './surveys/events.js';
export type { SurveyPorts, FollowUpTaskInput } from './surveys/deps.js';
// Experiments: definitions, exposures and results (the bench and the root use these).
export { createExperiment, experimentResults, EXPERIMENT_VIEWED_EVENT } from './experiments/experiments.service.js';
export { assignVariant } from './experiments/assign.js';

// Predicted customer lifetime value (BG/NBD + Gamma-Gamma): the schedule, a fit, the trait names.
export { startClvWorker, runClvSchedule, type ClvWorker, type ClvScheduleOptions } from './clv/clv.worker.js';
export { fitWorkspaceClv, type FitReport } from './clv/clv.service.js';
export { clvTraitNames } from './clv/clv.traits.js';

// Data-subject rights (compliance): what this module holds about a person.
export { insightPersonalData } from './personal-data.js';
