/**
 * The background workers of a process, by name, so an operator can run them where they want:
 * `siyu serve` runs the API and every worker (the embedded default), `siyu serve --no-workers` the
 * API only, and `siyu worker [--only a,b]` workers only — N API and M worker processes on one
 * PostgreSQL share the work through row claims (`FOR UPDATE SKIP LOCKED`) and leases.
 */
import { startBroadcastWorker } from '../broadcasts/index.js';
import { startKeyRotationWorker, startRetentionWorker } from '../compliance/index.js';
import { startClvWorker } from '../insight/index.js';
import { startJourneyWorker } from '../journeys/index.js';
import { startCouponWorker, startLoyaltyWorker } from '../loyalty/index.js';
import { startMessagingWorker } from '../messaging/index.js';
import { startInboxWorker, startLiveCodeWorker, startScrmOpsWorker } from '../scrm/index.js';
import { startSegmentWorker } from '../segments/index.js';
import { broadcastsDeps, insightDeps, journeyDepsOf, keyRotationDeps, loyaltyDeps, messagingDeps } from './deps.js';
import { retentionDeps } from './retention-deps.js';
import type { Services } from './services.js';
import { WORKER_NAMES, type WorkerName } from './worker-names.js';

export { WORKER_NAMES, type WorkerName, parseWorkerNames, describeWorkers } from './worker-names.js';

type WorkerField =
  | 'segmentWorker'
  | 'journeyWorker'
  | 'messagingDispatcher'
  | 'broadcastWorker'
  | 'inboxWorker'
  | 'scrmOpsWorker'
  | 'liveCodeWorker'
  | 'clvWorker'
  | 'couponWorker'
  | 'loyaltyWorker'
  | 'keyRotationWorker'
  | 'retentionWorker';

/** How each worker starts (over the background-work database) and where the root keeps it. */
const WORKERS: Record<WorkerName, { field: WorkerField; start: (s: Services) => NonNullable<Services[WorkerField]> }> = {
  segments: {
    field: 'segmentWorker',
    start: (s) => startSegmentWorker({ ...s.segments, database: s.workerDatabase }),
  },
  journeys: { field: 'journeyWorker', start: (s) => startJourneyWorker(journeyDepsOf(s, s.workerDatabase)) },
  dispatcher: {
    field: 'messagingDispatcher',
    start: (s) => startMessagingWorker(messagingDeps(s, { database: s.workerDatabase })),
  },
  broadcasts: { field: 'broadcastWorker', start: (s) => startBroadcastWorker(broadcastsDeps(s, s.workerDatabase)) },
  inbox: { field: 'inboxWorker', start: (s) => startInboxWorker(s.scrm) },
  'scrm-ops': { field: 'scrmOpsWorker', start: (s) => startScrmOpsWorker(s.scrm) },
  'live-codes': { field: 'liveCodeWorker', start: (s) => startLiveCodeWorker(s.scrm) },
  clv: { field: 'clvWorker', start: (s) => startClvWorker(insightDeps(s, s.workerDatabase)) },
  coupons: { field: 'couponWorker', start: (s) => startCouponWorker({ database: s.workerDatabase, now: () => s.clock.now(), log: s.log, hub: s.hub }) },
  loyalty: { field: 'loyaltyWorker', start: (s) => startLoyaltyWorker(loyaltyDeps(s, s.workerDatabase)) },
  'key-rotation': { field: 'keyRotationWorker', start: (s) => startKeyRotationWorker({ ...keyRotationDeps(s, s.workerDatabase), log: s.log }) },
  retention: { field: 'retentionWorker', start: (s) => startRetentionWorker(retentionDeps(s)) },
};

/**
 * Starts the named workers (default: all; the segment worker only where SIYU_SEGMENT_WORKER allows
 * it when none are named). A worker already running is left as it is. Returns the names started.
 */
export function startWorkers(s: Services, only?: readonly WorkerName[]): WorkerName[] {
  const names = only ?? WORKER_NAMES.filter((n) => n !== 'segments' || s.config.segmentWorker);
  const started: WorkerName[] = [];
  for (const name of names) {
    const w = WORKERS[name];
    if (s[w.field]) continue;
    (s as Record<WorkerField, unknown>)[w.field] = w.start(s);
    started.push(name);
  }
  return started;
}

/** Stops every worker this process started, each after its current transaction. */
export async function stopWorkers(s: Services): Promise<void> {
  await Promise.all(
    WORKER_NAMES.map(async (name) => {
      const field = WORKERS[name].field;
      const worker = s[field];
      if (!worker) return;
      await worker.stop();
      delete s[field];
    }),
  );
}
