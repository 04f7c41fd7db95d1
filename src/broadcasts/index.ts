/**
 * The broadcast domain's public surface: one-off sends to a segment (scheduled or now), fanned
 * out by a background worker into the messaging outbox, with statistics against a holdout.
 */
export { broadcastRoutes, broadcastDeps } from './broadcasts.routes.js';
export { createBroadcastWorker, startBroadcastWorker, type BroadcastWorker, type BroadcastWorkerOptions, type BroadcastPassStats } from './worker.js';
export { runChunk, type FanoutDeps, type ChunkResult } from './fanout.js';
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

import type { Services } from '../server/app.js';
import { startBroadcastWorker, type BroadcastWorker, type BroadcastWorkerOptions } from './worker.js';

/** The worker options of a serving process: its database, clock and log; chunks wake the outbox dispatcher. */
export function broadcastWorkerOptions(s: Services): BroadcastWorkerOptions {
  return { database: s.database, now: () => s.clock.now(), log: s.log, onEnqueued: () => s.messagingDispatcher?.wake() };
}

/** Starts the broadcast worker of a serving process. */
export function startBroadcasts(s: Services): BroadcastWorker {
  return startBroadcastWorker(broadcastWorkerOptions(s));
}
export type { BroadcastsHubEvents } from './hub-events.js';
export { BroadcastError } from './errors.js';
