/**
 * The broadcast domain's public surface: one-off sends to a segment (scheduled or now), fanned
 * out by a background worker into the messaging outbox, with statistics against a holdout.
 */
export type { BroadcastsDeps } from './deps.js';
export { broadcastRoutes } from './broadcasts.routes.js';
export { createBroadcastWorker, startBroadcastWorker, type BroadcastWorker, type BroadcastWorkerOptions, type BroadcastPassStats } from './worker.js';
export { runChunk, type FanoutDeps, type ChunkOptions, type ChunkResult } from './fanout.js';
export { broadcastStats, type BroadcastStats } from './stats.js';
export { broadcastMigrations } from './migrations.js';
export type { BroadcastsDB, BroadcastStatus } from './schema.js';
export type { BroadcastView } from './broadcasts.repo.js';
export {
  createBroadcast,
  updateBroadcast,
  getBroadcast,
  listBroadcasts,
  scheduleBroadcast,
  sendNow,
  cancelBroadcast,
  testSend,
  type BroadcastDeps,
  type BroadcastInput,
} from './broadcasts.service.js';
export type { BroadcastsHubEvents } from './hub-events.js';
export { BroadcastError } from './errors.js';
