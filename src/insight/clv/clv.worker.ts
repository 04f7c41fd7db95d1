/**
 * The CLV schedule: refits each workspace's models once its current model is `refitHours` old
 * (default daily), so the CLV traits segments use follow the order history.
 */
import { readJobState, writeJobState } from '../../platform/db/job-state.js';
import { AppError } from '../../platform/errors.js';
import { startLoop } from '../../platform/loop.js';
import { listWorkspaceIds } from '../../platform/workspaces.js';
import type { InsightDeps } from '../deps.js';
import { currentModel } from './clv.repo.js';
import { fitWorkspaceClv } from './clv.service.js';

/** Options of the CLV schedule. */
export interface ClvScheduleOptions {
  /** Hours between fits of a workspace (default 24). */
  refitHours?: number;
  /** How often the worker looks for due workspaces (default an hour). */
  intervalMs?: number;
}

/** The job-state value recording a workspace's last scheduled attempt (a fit that found too little data too). */
const ATTEMPT = 'insight.clv-attempt';

/**
 * One pass of the schedule: fits every workspace whose last scheduled attempt is at least
 * `refitHours` old and that has orders. A workspace with too little history, or whose fit is
 * already running elsewhere, waits for its next turn. Returns the workspaces fitted.
 */
export async function runClvSchedule(deps: InsightDeps, opts: ClvScheduleOptions = {}): Promise<string[]> {
  const refitMs = (opts.refitHours ?? 24) * 3_600_000;
  const db = deps.database.db;
  const fitted: string[] = [];
  for (const ws of await listWorkspaceIds(db)) {
    const now = deps.now();
    const last = await readJobState<{ at: number }>(db, ws, ATTEMPT);
    const model = await currentModel(db, ws);
    const since = Math.max(last?.at ?? -Infinity, model?.fittedAt ?? -Infinity);
    if (now - since < refitMs) continue;
    const hasOrders = await db.selectFrom('orders').select('order_id').where('workspace_id', '=', ws).limit(1).executeTakeFirst();
    if (!hasOrders) continue;
    await writeJobState(db, ws, ATTEMPT, { at: now }, now);
    try {
      await fitWorkspaceClv(deps, ws, model?.options ?? {});
      fitted.push(ws);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'CLV_NOT_ENOUGH_DATA' || err.code === 'CLV_FIT_RUNNING')) {
        deps.log.info({ workspaceId: ws, code: err.code }, 'scheduled CLV fit skipped');
        continue;
      }
      throw err;
    }
  }
  return fitted;
}

/** A running CLV schedule. */
export interface ClvWorker {
  /** Runs a pass now and resolves when it has ended. */
  runOnce(): Promise<void>;
  /** Waits for the pass in progress, then stops. */
  stop(): Promise<void>;
}

/** Starts the CLV schedule: a pass every `intervalMs` (the first one ten minutes after start), passes never overlapping. */
export function startClvWorker(deps: InsightDeps, opts: ClvScheduleOptions = {}): ClvWorker {
  const intervalMs = opts.intervalMs ?? 3_600_000;
  const loop = startLoop({
    pass: async () => {
      const fitted = await runClvSchedule(deps, opts);
      if (fitted.length) deps.log.info({ workspaces: fitted.length }, 'scheduled CLV fits done');
    },
    idleMs: intervalMs,
    fixedRate: true,
    log: deps.log,
    failed: 'scheduled CLV fit failed; retrying next interval',
  });
  // The first pass ten minutes after start: startup belongs to the API, and a fresh deployment
  // still has its CLV traits within minutes.
  loop.schedule(Math.min(intervalMs, 600_000));
  return { runOnce: loop.runOnce, stop: loop.stop };
}
