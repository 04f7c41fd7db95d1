/**
 * The insight module's public surface: operating metrics, funnels, retention cohorts, predicted
 * lifetime value, surveys (NPS/CSAT/CES) and A/B test statistics. See docs/insight.md.
 */
export type { InsightDeps } from './deps.js';
export { insightRoutes } from './routes.js';
export { insightMigrations } from './migrations.js';
export { InsightError } from './errors.js';
export type { InsightHubEvents } from './hub-events.js';
export type { InsightDB } from './schema.js';

// Surveys: the link signer and messaging's `survey_url` (the root wires them), event names and port types.
export { createSurveyLinkSigner, type SurveyLinkSigner, type SurveyLink } from './surveys/links.js';
export { messageSurveyUrl, type MessageSurveyLink } from './surveys/links.service.js';
export { SURVEY_EVENTS, FOLLOW_UP_KIND } from './surveys/events.js';
export type { SurveyPorts, FollowUpTaskInput } from './surveys/deps.js';
// Experiments: definitions, exposures and results (the bench and the root use these).
export { createExperiment, experimentResults, EXPERIMENT_VIEWED_EVENT } from './experiments/experiments.service.js';
export { assignVariant } from './experiments/assign.js';
