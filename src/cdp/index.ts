/** The CDP domain's public surface: tracking, identity (One ID), profiles, tags, imports. */

// Wiring: dependencies, routes, the ingest writer, migrations, errors, hub events, tables.
export { type CdpDeps, type TrackingOptions, profileDepsOf, importDeps } from './deps.js';
export { cdpRoutes } from './routes.js';
export { createIngestWriter, type IngestWriter, type SubmitResult, type WriterOptions } from './writer.js';
export { cdpMigrations } from './migrations.js';
export { CdpError } from './errors.js';
export type { CdpHubEvents } from './hub-events.js';
export { type CdpDB, cdpDb, type ProfilesTable, type IdentitiesTable, type EventsTable, type ProfileMergesTable } from './schema.js';
export type { OrdersTable, OrderChangesTable, TagGroupsTable, TagsTable, ProfileTagsTable } from './schema.js';

// Tracking and ingest.
export { applyEvents } from './ingest.service.js';
export type { IngestDeps, IngestOutcome, WorkspaceIngestSettings } from './ingest.types.js';
export { normaliseMessage, normaliseBatch, type TrackedEvent, type NormaliseContext, LIMITS } from './tracking.js';
export { ORDER_EVENTS, type OrderStatus, type OrderChange, type PlacedOrder } from './orders.types.js';
export { orderAmounts, type OrderAmounts } from './orders.lookup.js';
export { orderStandings, netSpendByProfile, type OrderStanding } from './orders.lookup.js';

// Identifiers (One ID).
export { createRuleBook, DEFAULT_IDENTIFIER_RULES, normalisePhone, type IdentifierRule, type Identifier, type RuleBook } from './identifiers.js';
export { IdentityGraph, type ProfileState, type ConsentEntry } from './identity-graph.js';

// Profiles: references, live ids after merges, state, traits, consent.
export { resolveProfileRef, reviveErasedIdentifier, patchTraits, type ProfileDeps, type ProfileModels, type ProfileModelsPort } from './profiles.service.js';
export {
  lockProfileFollowingMerges,
  mergedIdsOf,
  mergedIdsOfMany,
  resolveProfileId,
  liveProfileIds,
  rowToState,
  writeTraits,
  writeTraitsMany,
  lockTraitsMany,
  type TraitsRow,
} from './profiles.repo.js';
export { loadProfileState, loadLiveProfileState, profileTraits, pageLiveProfilesByTrait, filterProfileIds, liveProfilesQuery } from './profiles.lookups.js';
export { loadProfileConsent, recordProfileConsent } from './consent.repo.js';
export { profileCards, type ProfileCard } from './profiles.cards.js';
export { identityConflictsBetween, type IdentityConflict } from './identity.conflicts.js';
export { findProfileByIdentifier, profilesByIdentifier, liveProfileByIdentifier, latestIdentifier, type IdentifierRow } from './identities.repo.js';
export {
  trackEventsAfter,
  trackEventsReceivedAfter,
  type ReceivedEvent,
  profileEventsSince,
  profileHasEvent,
  countEventsWithMessageIdPrefix,
  searchTrackEvents,
  type TrackEventSearch,
  type StoredEvent,
  type EventCondition,
  type SqlOperand,
} from './events.repo.js';
export type { TimelineRow, TimelineSource } from './timeline.repo.js';

// Tags.
export { addTagsToProfile, removeTagFromProfile, resolveTagRef, profileTagNames, type TagInput, type TagSource } from './tags.service.js';

// Imports (the API route and `siyu import`).
export { readRows } from './import.readers.js';
export { IMPORTED_ORDER_PREFIX } from './import.rows.js';
export { cleanImportSpool, importSpoolDir } from './import.spool.js';
export {
  runImport,
  formatFromFileName,
  IMPORT_KINDS,
  IMPORT_FORMATS,
  IMPORT_MODES,
  type ImportDeps,
  type ImportReport,
  type ImportOptions,
  type ImportMode,
  type ImportKind,
  type ImportFormat,
  type ImportProgress,
  type RowError,
  type RowWarningAt,
} from './import.service.js';

// Timeline events Siyu records itself about known profiles (lifecycle changes, deliveries, ...).
export { recordSystemEvents, systemEventsInsert, type SystemEvent } from './system-events.js';
/** The client's address behind trusted proxies (SIYU_TRUSTED_PROXIES), as tracking reads it; the root's rate limits count by it. */
export { clientIp, trustedProxies } from './tracking.client.js';

// Data-subject rights (compliance): what the CDP holds about a person.
export { cdpPersonalData, personProfileIds } from './personal-data.js';
// Key rotation (compliance): the CDP's ciphertext, re-encrypted under a workspace's new data key.
export { cdpCiphertextStores } from './reencrypt.js';
export { cdpRetention, EVENT_PURGE_GRACE_MS, type CdpRetentionNames } from './retention.js';
export { isTombstoned, liftTombstone, tombstonedValues } from './erasure.js';
export { correctIdentifiers, type IdentifierChange, type IdentifierCorrection } from './identifiers.correct.js';
