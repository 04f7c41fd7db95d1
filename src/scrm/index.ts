/** The SCRM domain's public surface (WeCom connection, callbacks, inbox, SCRM events). */
export type { ScrmEvent, ScrmContext, ScrmListener } from './events.js';
export { createScrmListeners, type ScrmListeners, type ListenerFailure } from './listeners.js';
export {
  createClientResolver,
  createScrmServices,
  DEFAULT_WECOM_API,
  type ScrmServices,
  type WeComConnections,
  type ConnectionView,
  type ConnectionInput,
} from './connection.service.js';
export { connectionRoutes } from './connection.routes.js';
export { callbackRoutes } from './callback.routes.js';
export { createReplayGuard, DEFAULT_CALLBACK_WINDOW_MS, type ReplayGuard } from './callback.service.js';
export { startInboxWorker, processInboxBatch, inboxDeps, type InboxWorker, type InboxDeps, type InboxOptions, type InboxPass } from './inbox.js';
export { scrmMigrations } from './migrations.js';
export { ScrmError } from './errors.js';
export type { ScrmHubEvents } from './hub-events.js';
