/**
 * The journeys domain's public surface: definitions and versions, the durable executor and its
 * worker, triggers, statistics and recipes. See docs/journeys.md.
 */
export { journeyRoutes } from './journeys.routes.js';
export { startJourneyWorker, wakeListeners, sweepListeners, type JourneyWorker, type JourneyWorkerOptions } from './worker.js';
export { createExecutor, type Executor, type PassStats } from './executor.js';
export { runTriggers, runWorkspaceTriggers, type TriggerStats } from './triggers.js';
export type { JourneyDeps, JourneyRoutesDeps, JourneysHub, LoyaltyPort, ActiveGroupChatIds, ChannelConfigured } from './deps.js';
export { validateDefinition, type Definition, type Step, type Trigger, type DefinitionError } from './definition.js';
export { JOURNEY_JSON_SCHEMA } from './journey-schema.js';
export { createJourney, updateJourney, getJourney, listJourneys, setJourneyStatus, type JourneyView } from './journeys.service.js';
export { publishJourney } from './publish.service.js';
export type { PublishWarning, PublishWarningCode } from './publish.warnings.js';
export { journeyTimelineSource, JOURNEY_STEP_EVENT } from './timeline.js';
export { migrateStates, type MigrateInput } from './migrate.service.js';
export { enterByApi, type EnterInput } from './entries.service.js';
export { journeyStats, statesOf, type JourneyStats } from './stats.service.js';
export { RECIPES, recipeByName, type Recipe } from './recipes.js';
export { journeyMigrations } from './migrations.js';
export { type JourneysDB } from './schema.js';
export type { JourneysHubEvents } from './hub-events.js';
export { JourneyError } from './errors.js';
