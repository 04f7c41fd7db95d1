/**
 * The retention schedule: a pass every hour runs the job for each workspace whose last run started
 * a day ago or more. With several worker processes each pass may find the same workspace due; the
 * job's lease lets one run it, and the check is repeated once the lease is held, so a workspace is
 * not purged twice in a row.
 */
import { startLoop } from '../platform/loop.js';
import { listWorkspaceIds } from '../platform/workspaces.js';
import { lastRetentionRunAt, type RetentionDeps, runRetention } from './retention.job.js';

/** Options of the schedule. */
export interface RetentionScheduleOptions {
  /** Hours between runs of a workspace (default 24). */
  everyHours?: number;
  /** How often the worker looks for due workspaces (default an hour). */
  intervalMs?: number;
}

/** One pass: runs every due workspace; returns the workspaces run. */
export async function runRetentionSchedule(deps: RetentionDeps, opts: RetentionScheduleOptions = {}): Promise<string[]> {
  const everyMs = (opts.everyHours ?? 24) * 3_600_000;
  const due = async (ws: string) => deps.now() - ((await lastRetentionRunAt(deps.database, ws)) ?? -Infinity) >= everyMs;
  const ran: string[] = [];
  for (const ws of await listWorkspaceIds(deps.database.db)) {
    if (!(await due(ws))) continue;
    const run = await runRetention(deps, ws, { trigger: 'schedule', skipIf: async () => !(await due(ws)) });
    if (!run) continue;
    ran.push(ws);
    deps.log.info({ workspaceId: ws, status: run.status, rows: Object.fromEntries(run.kinds.map((k) => [k.kind, k.rows])) }, 'retention run done');
  }
  return ran;
}

/** A running retention schedule. */
export interface RetentionWorker {
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the schedule: the first pass 15 minutes after start (startup belongs to the API), then hourly. */
export function startRetentionWorker(deps: RetentionDeps, opts: RetentionScheduleOptions = {}): RetentionWorker {
  const intervalMs = opts.intervalMs ?? 3_600_000;
  const loop = startLoop({
    pass: async () => void (await runRetentionSchedule(deps, opts)),
    idleMs: intervalMs,
    fixedRate: true,
    log: deps.log,
    failed: 'retention pass failed; retrying next interval',
  });
  loop.schedule(Math.min(intervalMs, 900_000));
  return { runOnce: loop.runOnce, stop: loop.stop };
}
