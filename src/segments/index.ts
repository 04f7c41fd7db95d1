/**
 * The segments module's public surface (its only door): the rule language, membership kept live,
 * the models (RFM, lifecycle, community roles), its routes, worker, migrations, errors, hub
 * events and tables, and the reads and writes of its tables that other modules may use.
 */
// The module's wiring.
export type { SegmentsDeps, SegmentsHub } from './deps.js';
export { segmentRoutes } from './segments.routes.js';
export { modelRoutes } from './models/models.routes.js';
export { startSegmentWorker, type SegmentWorker, type WorkerOptions } from './worker.js';
export { segmentMigrations } from './migrations.js';
export { SegmentError } from './errors.js';
export type { SegmentsHubEvents } from './hub-events.js';
export type { SegmentsDB, SegmentsTable, SegmentVersionsTable, SegmentMembersTable, SegmentMemberHistoryTable, ProfileScoresTable } from './schema.js';

// The rule language.
export type { Rule, RuleContext, PropertyFilter } from './rule.types.js';
export { validateRule } from './rule-validation.js';
export { RULE_JSON_SCHEMA } from './rule-schema.js';
export { referencedSegments } from './rule-queries.js';
export { describeRule } from './rule-describe.js';
export { compileRule, bucketOf } from './compile.js';
export { matchesPropertyFilters } from './reference.js';

// Membership.
export { type MembershipDeps, membershipDeps, membershipOf } from './membership.deps.js';
export { processFeed, rewindFeed } from './feed.js';
export { recomputeSegment, requestRecompute, requestModelSegmentRecomputes } from './recompute.js';
export type { RecomputeOptions, RecomputeProgress } from './recompute-common.js';
export { segmentTimelineSource, SEGMENT_ENTERED, SEGMENT_EXITED } from './history.js';

// Segments as the API and the CLI use them.
export type { SegmentDeps, SegmentView } from './segment-rows.js';
export { createSegment, findSegment, listSegments } from './segments.service.js';
export { exportMembersCsv } from './members.service.js';
export { previewRule } from './preview.js';

// The models.
export { computeModels, rfmReport, MODEL_NAMES, type ModelName, type ComputeOptions, type ComputeReport } from './models/index.js';

// Reads and writes of the segments tables for other modules.
export {
  segmentStatus,
  activeSegmentIds,
  markSegmentListened,
  isSegmentListened,
  segmentMemberPage,
  segmentEntriesSince,
  segmentExitsSince,
  segmentAudience,
  segmentMembersFrom,
  profileScores,
  profileModels,
  audienceSubqueries,
  type AudienceFilter,
  type ProfileModelOutputs,
  type SegmentEntry,
  type SegmentExit,
  type AudienceDB,
  type ProfileScores,
} from './published.js';

// Data-subject rights (compliance): what this module holds about a person.
export { segmentsPersonalData } from './personal-data.js';
