import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../platform/clock.js';
import type { Dialect } from '../../platform/db/database.js';
import { refreshPlannerStatistics } from '../../platform/db/planner.js';
import type { SegmentsSqlDB } from '../schema.js';
import { SegmentError } from '../errors.js';
import { getWorkspace } from '../../platform/workspaces.js';
import { type CommunityRunReport, computeCommunity } from './community.js';
import { computeLifecycle, type LifecycleRunReport } from './lifecycle.js';
import { computeRfm, type RfmRunReport } from './rfm.js';
import { DEFAULT_CHUNK_SIZE, type RunContext, takeLease } from './run.js';
import { MODEL_NAMES, type ModelName, readModelSettings } from './settings.js';

/** Options of one run of the models. */
export interface ComputeOptions {
  /** Which models to run (default all three, always in the order rfm, lifecycle, community). */
  models?: readonly ModelName[];
  /** Progress after every chunk: profiles done and expected for that model. */
  onProgress?(model: ModelName, done: number, total: number): void;
  /** Profiles per chunk transaction (default 5,000). */
  chunkSize?: number;
  /** Wall clock for the run's lease (default the system clock); `now` is the models' as-of time. */
  clock?: Clock;
  /** Time zone of a workspace that has none set (default Asia/Shanghai). */
  defaultTimeZone?: string;
}

/** What a run of the models did, per model run. */
export interface ComputeReport {
  workspaceId: string;
  computedAt: string;
  rfm?: RfmRunReport;
  lifecycle?: LifecycleRunReport;
  community?: CommunityRunReport;
}

/**
 * Runs the built-in models (RFM, lifecycle, community) for workspace `ws` as of `now` and writes
 * their outputs to profile_scores. One run per workspace at a time: a second one meanwhile gets
 * AppError CONFLICT. Invalid stored settings give AppError VALIDATION_FAILED before anything is written.
 */
export async function computeModels(db: Kysely<SegmentsSqlDB>, dialect: Dialect, ws: string, now: number, opts: ComputeOptions = {}): Promise<ComputeReport> {
  const wanted = opts.models ?? MODEL_NAMES;
  for (const m of wanted) {
    if (!MODEL_NAMES.includes(m)) throw new SegmentError('VALIDATION_FAILED', `unknown model "${m}"; accepted: ${MODEL_NAMES.join(', ')}`);
  }
  const workspace = await getWorkspace(db, ws);
  if (!workspace) throw new SegmentError('NOT_FOUND', `workspace ${ws} does not exist`);
  const settings = readModelSettings(workspace.settings, opts.defaultTimeZone);
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunkSize must be a positive integer, got ${chunkSize}`);

  const lease = await takeLease(db, ws, opts.clock ?? systemClock);
  const ctx = (model: ModelName): RunContext => ({
    chunkSize,
    progress: (done, total) => opts.onProgress?.(model, done, total),
    heartbeat: () => lease.renew(),
  });
  const report: ComputeReport = { workspaceId: ws, computedAt: new Date(now).toISOString() };
  try {
    if (wanted.includes('rfm')) report.rfm = await computeRfm(db, dialect, ws, now, settings, ctx('rfm'));
    if (wanted.includes('lifecycle')) report.lifecycle = await computeLifecycle(db, dialect, ws, now, settings, ctx('lifecycle'));
    if (wanted.includes('community')) report.community = await computeCommunity(db, dialect, ws, now, settings, ctx('community'));
  } finally {
    await lease.release();
  }
  // A run rewrites the workspace's scores at once; segments on them are planned from statistics
  // (issue #20: eight RFM segments took 67-99 s after an import with stale ones).
  await refreshPlannerStatistics(db, dialect, ['profile_scores']);
  return report;
}
