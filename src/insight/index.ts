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

// Experiments: definitions, exposures and results (the bench and the root use these).
export { createExperiment, experimentResults, EXPERIMENT_VIEWED_EVENT } from './experiments/experiments.service.js';
export { assignVariant } from './experiments/assign.js';
