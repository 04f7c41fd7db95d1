/** The CDP domain's public surface: tracking, identity (One ID), profiles, tags, imports. */
export { cdpRoutes } from './routes.js';
export { createIngestWriter, type IngestWriter, type SubmitResult } from './writer.js';
export { applyEvents, type WorkspaceIngestSettings, type IngestDeps } from './ingest.service.js';
export { createRuleBook, DEFAULT_IDENTIFIER_RULES, type IdentifierRule, type Identifier, type RuleBook } from './identifiers.js';
export { IdentityGraph } from './identity-graph.js';
export { normaliseMessage, normaliseBatch, type TrackedEvent, LIMITS } from './tracking.js';
export { addTagsToProfile, type TagInput, type TagSource } from './tags.service.js';
export {
  runImport,
  importDeps,
  formatFromFileName,
  IMPORT_KINDS,
  IMPORT_FORMATS,
  IMPORT_MODES,
  type ImportReport,
  type ImportOptions,
  type ImportMode,
  type ImportKind,
  type ImportFormat,
  type ImportProgress,
} from './import.service.js';
export type { TimelineRow, TimelineSource } from './profiles.repo.js';
export { cdpMigrations } from './migrations.js';
export { CdpError } from './errors.js';
export type { CdpHubEvents } from './hub-events.js';
