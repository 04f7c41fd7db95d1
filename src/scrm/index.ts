/**
 * The SCRM module's public surface (WeCom customer operations): its deps and the module built
 * from them, its routes and workers, migrations, errors, hub events and table types, the reads of
 * its tables other modules may use (as ports the root fills), and what the CLI runs (full sync,
 * archive import).
 */
export type { ScrmDeps, Scrm } from './deps.js';
export { createScrm } from './scrm.js';
export { scrmRoutes } from './routes.js';

// Workers
export { startInboxWorker, processInboxBatch, inboxDeps, type InboxWorker, type InboxDeps, type InboxOptions, type InboxPass } from './inbox.js';
export { startScrmOpsWorker, runOpsCycle, type ScrmOpsWorker } from './ops/worker.js';
export { startLiveCodeWorker, type LiveCodeWorker } from './livecodes/worker.js';

// Migrations, errors, hub events, tables
export { scrmMigrations } from './migrations.js';
export { ScrmError } from './errors.js';
export { type ScrmHubEvents, SCRM_INBOX_HAS_WORK } from './hub-events.js';
export type * from './schema.js';

// SCRM events and their listeners
export type { ScrmEvent, ScrmContext, ScrmListener } from './events.js';
export { createScrmListeners, type ScrmListeners, type ListenerFailure } from './listeners.js';

// The WeCom connection and callbacks
export {
  createClientResolver,
  openConnection,
  DEFAULT_WECOM_API,
  type WeComConnections,
  type ConnectionView,
  type ConnectionInput,
  type OpenConnection,
} from './connection.service.js';
export { DEFAULT_CALLBACK_WINDOW_MS } from './callback.service.js';
export { createReplayGuard, type ReplayGuard } from './replay-guard.js';

// What other modules read of SCRM's tables (journeys' wecom_group audiences, messaging's WeCom addresses)
export { activeGroupChatIds, groupOwner, followingStaff, hasWeComConnection, staffFollowsProfile, taskStaff, type ActiveGroupFilter } from './reads.js';
export { groupsWithTags } from './groups/groups.service.js';

// Follow-up tasks other modules ask for (insight's survey feedback loop, through a port the root fills)
export { createFollowUpTask, type FollowUpRequest } from './ops/follow-ups.js';

// What the CLI runs
export { runFullSync, type FullSyncDeps, type SyncCounts, type SyncPhase, type SyncProgress, type SyncResult } from './sync.service.js';
export { importArchive, archiveDeps, type ArchiveDeps, type ArchiveReport, type ArchiveProgress } from './ops/archive.service.js';

// What the demo brand (src/demo) sets a workspace up through, as an operator and WeCom would:
// the connection, live codes, and callbacks accepted as WeCom POSTs them, then applied
export { saveConnection, type ConnectionDeps } from './connection.service.js';
export { createLiveCode } from './livecodes/live-codes.service.js';
export { liveDepsOf } from './livecodes/context.js';
export { acceptCallback } from './callback.service.js';
export { callbackDeps } from './callback.routes.js';
export { pendingInboxRows } from './inbox.js';

// Data-subject rights (compliance): what this module holds about a person.
export { scrmPersonalData } from './personal-data.js';
// Key rotation: the WeCom connection's secrets.
export { scrmCiphertextStores } from './reencrypt.js';
