/**
 * The background segment worker: keeps memberships live. Each cycle it
 * 1. follows every workspace's change feed (profiles changed since the last cycle),
 * 2. starts the lane of requested or interrupted full recomputes if it is idle (it runs beside
 *    the feed, so the feed stays fresh while a big segment computes),
 * 3. on the schedule (default hourly), runs the models (RFM, lifecycle, community roles) and
 *    requests a recompute of every time-dependent segment, logging progress.
 * It wakes on a timer, when ingestion commits (`cdp.events-committed`) and when a recompute is
 * requested (`segments.recompute-requested`). Every step is a chunk transaction, so a crash or
 * SIGTERM at any point loses nothing: the next start resumes from the saved positions.
 *
 * One tenant's failure holds no other back: a segment whose recompute fails is backed off with its
 * reason (recompute-failures.ts) and the lane goes on with the next; a workspace whose feed fails
 * (beyond the segments it blames, see feed.ts) waits 5 s, doubling to 5 min, while the others go on.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../platform/db/database.js';
import { readJobState, writeJobState } from '../platform/db/job-state.js';
import { isStatementTimeout } from '../platform/db/statement-limits.js';
import { startLoop } from '../platform/loop.js';
import { listWorkspaceIds } from '../platform/workspaces.js';
import type { SegmentsDeps } from './deps.js';
import { processFeed } from './feed.js';
import { type MembershipDeps, membershipOf } from './membership.deps.js';
import { computeModels } from './models/compute.js';
import type { RecomputeProgress } from './recompute-common.js';
import { pendingRecomputes, recomputeSegment, requestRecompute } from './recompute.js';
import { failureReason, RECOMPUTE_BACKOFF, recordRecomputeFailure } from './recompute-failures.js';
import type { SegmentsSqlDB } from './schema.js';

/** Tuning of the worker (tests and the benchmark). */
export interface WorkerOptions {
  /** Idle poll interval. */
  pollMs?: number;
  /** Feed lag (see processFeed). */
  lagMs?: number;
  /** Runs the models for a workspace before the scheduled re-check (default: RFM, lifecycle, community with the deps' settings). */
  runModels?: (workspaceId: string) => Promise<void>;
}

/** The running worker. */
export interface SegmentWorker {
  /** Asks for a cycle soon (after ingestion commits, or a segment was created). */
  wake(): void;
  /** Runs one full cycle now (tests and the CLI use this). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

const RECHECK = 'segments.recheck';

/** A workspace's feed that failed (for no segment's fault) waits this long, doubling with each failure in a row. */
const FEED_BACKOFF = { firstMs: 5_000, maxMs: 300_000 };

/** The database is away or busy (not a segment's fault): nothing is recorded, the next pass tries again. */
const transient = (err: unknown) => isDatabaseUnavailable(err) && !isStatementTimeout(err);

async function workspacesWithSegments(db: Kysely<SegmentsSqlDB>): Promise<string[]> {
  const rows = await db.selectFrom('segments').select('workspace_id').distinct().where('status', '=', 'active').where('kind', '=', 'rule').execute();
  return rows.map((r) => r.workspace_id);
}

/** The models' run for a workspace, as the scheduled re-check does it. */
function modelRunner(deps: SegmentsDeps): (ws: string) => Promise<void> {
  const clock = { now: deps.now };
  return async (ws) => {
    await computeModels(deps.database.db, deps.database.dialect, ws, deps.now(), { clock, defaultTimeZone: deps.defaultTimeZone });
  };
}

/** Requests the scheduled re-check for workspaces whose last one is older than the interval. */
async function scheduleRechecks(deps: SegmentsDeps, runModels: (ws: string) => Promise<void>, workspaces: string[]): Promise<void> {
  if (deps.recheckMinutes <= 0) return;
  const db = deps.database.db;
  const now = deps.now();
  for (const ws of workspaces) {
    const last = (await readJobState<{ at: number }>(db, ws, RECHECK))?.at ?? 0;
    if (now - last < deps.recheckMinutes * 60_000) continue;
    const started = Date.now();
    try {
      await runModels(ws);
    } catch (err) {
      deps.log.error({ err, workspaceId: ws }, 'scheduled model run failed');
    }
    const due = await db
      .selectFrom('segments')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('status', '=', 'active')
      .where('kind', '=', 'rule')
      .where('time_dependent', '=', 1)
      .execute();
    for (const s of due) await requestRecompute(db, ws, s.id, now);
    await writeJobState(db, ws, RECHECK, { at: now }, now);
    deps.log.info({ workspaceId: ws, segments: due.length, modelsMs: Date.now() - started }, 'scheduled segment re-check requested');
  }
}

/** Logs a recompute's progress, at most every 5 s per segment. */
function progressLogger(log: Logger, workspaceId: string, lastLogged: Map<string, number>): (pr: RecomputeProgress) => void {
  return (pr) => {
    if (Date.now() - (lastLogged.get(pr.segmentId) ?? 0) <= 5000) return;
    lastLogged.set(pr.segmentId, Date.now());
    const { segmentId, version, phase, matched, total, entered, exited } = pr;
    log.info({ workspaceId, segmentId, version, phase, matched, total, entered, exited }, `segment recompute: ${phase}`);
  };
}

/** Runs requested or interrupted recomputes one after another until none is left (or the worker stops). */
async function recomputeLane(
  deps: SegmentsDeps,
  membership: MembershipDeps,
  opts: WorkerOptions,
  signal: AbortSignal,
  lastLogged: Map<string, number>,
): Promise<void> {
  const { log } = deps;
  for (;;) {
    // (Those backing off after a failure come back at their retry time.)
    const pending = await pendingRecomputes(membership.db, deps.now());
    if (pending.length === 0 || signal.aborted) return;
    for (const p of pending) {
      if (signal.aborted) return;
      try {
        const progress = await recomputeSegment(membership, p.workspaceId, p.segmentId, {
          lagMs: opts.lagMs,
          rangeSize: deps.rangeSize,
          signal,
          onProgress: progressLogger(log, p.workspaceId, lastLogged),
        });
        if (progress && !signal.aborted) {
          const { version, done: profiles, entered, exited } = progress;
          log.info({ workspaceId: p.workspaceId, segmentId: p.segmentId, version, profiles, entered, exited }, 'segment recompute finished');
        }
      } catch (err) {
        if (transient(err)) {
          // Left marked for recompute: the next pass tries again (a crash does the same).
          log.warn({ err, workspaceId: p.workspaceId, segmentId: p.segmentId }, 'segment recompute interrupted: database unavailable');
          return;
        }
        await recomputeFailed(deps, membership, p, err);
      }
    }
  }
}

/** Backs a failed segment off with its reason (the lane goes on with the next segment). */
async function recomputeFailed(deps: SegmentsDeps, membership: MembershipDeps, p: { workspaceId: string; segmentId: string }, err: unknown): Promise<void> {
  const reason = failureReason(err, membership.limits?.timeoutMs);
  const r = await recordRecomputeFailure(membership.db, membership.dialect, p.workspaceId, p.segmentId, reason, deps.now());
  const failed = (r?.failures ?? 0) >= RECOMPUTE_BACKOFF.failedAfter;
  deps.log.error(
    { err, workspaceId: p.workspaceId, segmentId: p.segmentId, failures: r?.failures, retryAt: r && new Date(r.retryAt).toISOString(), reason },
    failed ? 'segment recompute failed again: marked failed, retried hourly' : 'segment recompute failed: backed off',
  );
}

/** Starts the worker; it hears `cdp.events-committed` and `segments.recompute-requested` on the hub until stopped. */
export function startSegmentWorker(deps: SegmentsDeps, opts: WorkerOptions = {}): SegmentWorker {
  const membership = membershipOf(deps);
  const runModels = opts.runModels ?? modelRunner(deps);
  const abort = new AbortController();
  const lastLogged = new Map<string, number>();
  let recomputing: Promise<void> | undefined;
  /** Workspaces whose feed failed: failures in a row and when to try again. */
  const feedBackoff = new Map<string, { failures: number; retryAt: number }>();

  /** One workspace's feed; a failure is logged and backed off (the other workspaces go on). */
  async function feedOf(ws: string): Promise<void> {
    const backoff = feedBackoff.get(ws);
    if (backoff && backoff.retryAt > deps.now()) return;
    try {
      const r = await processFeed(membership, ws, { lagMs: opts.lagMs });
      feedBackoff.delete(ws);
      if (r.profiles) deps.log.debug({ workspaceId: ws, ...r }, 'segment feed processed');
      // Behind: another cycle shortly after this one.
      if (!r.caughtUp) loop.wake();
    } catch (err) {
      if (transient(err)) throw err; // the whole pass fails and is retried (the database is away)
      const failures = (backoff?.failures ?? 0) + 1;
      const retryAt = deps.now() + Math.min(FEED_BACKOFF.maxMs, FEED_BACKOFF.firstMs * 2 ** (failures - 1));
      feedBackoff.set(ws, { failures, retryAt });
      deps.log.error({ err, workspaceId: ws, failures, retryAt: new Date(retryAt).toISOString() }, 'segment feed failed: backed off');
    }
  }

  async function cycle(): Promise<void> {
    const db = deps.database.db;
    for (const ws of await workspacesWithSegments(db)) {
      if (loop.stopped) return;
      await feedOf(ws);
    }
    // Full recomputes run in their own lane: a recompute's evaluation is one long query read off
    // this thread (Database.scan), so the feed keeps its pace meanwhile instead of waiting.
    recomputing ??= recomputeLane(deps, membership, opts, abort.signal, lastLogged)
      .catch((err: unknown) => deps.log.error({ err }, 'segment recompute lane failed; the next pass starts it again'))
      .finally(() => {
        recomputing = undefined;
      });
    // Models run for every workspace (RFM and stages matter without segments too).
    const all = await listWorkspaceIds(db);
    await scheduleRechecks(deps, runModels, all);
  }

  const loop = startLoop({ pass: cycle, idleMs: opts.pollMs ?? 1000, log: deps.log, failed: 'segment worker cycle failed', againMs: 10 });
  loop.schedule(10);

  // Idle, a poll is always pending (within pollMs; the feed only reads rows older than its lag
  // anyway). Busy, run another cycle straight after this one.
  const wake = () => {
    if (loop.busy) loop.wake();
  };
  const unsubscribe = [deps.hub.on('cdp.events-committed', wake), deps.hub.on('segments.recompute-requested', wake)];

  return {
    wake,
    async runOnce() {
      await loop.exclusive(cycle);
      if (recomputing) await recomputing;
    },
    async stop() {
      for (const off of unsubscribe) off();
      const stopping = loop.stop();
      abort.abort();
      await stopping;
      if (recomputing) await recomputing;
    },
  };
}
