/**
 * The background segment worker: keeps memberships live. Each cycle it
 * 1. follows every workspace's change feed (profiles changed since the last cycle),
 * 2. starts the lane of requested or interrupted full recomputes if it is idle (it runs beside
 *    the feed, so the feed stays fresh while a big segment computes),
 * 3. on the schedule (default hourly), runs the models (RFM, lifecycle, community roles) and
 *    requests a recompute of every time-dependent segment, logging progress.
 * It wakes on a timer and when ingestion commits. Every step is a chunk transaction, so a crash
 * or SIGTERM at any point loses nothing: the next start resumes from the saved positions.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../platform/db/schema.js';
import { parseJson } from '../platform/db/database.js';
import { startLoop } from '../platform/loop.js';
import { type MembershipDeps, pendingRecomputes, processFeed, recomputeSegment, requestRecompute } from './membership.js';

export interface WorkerOptions {
  deps: MembershipDeps;
  log: Logger;
  /** Minutes between scheduled re-checks; 0 disables the schedule. */
  recheckMinutes: number;
  /** In-place recompute range size (SIYU_SEGMENT_RANGE_SIZE); undefined: sized by time. */
  rangeSize?: number;
  /** Runs the models for a workspace before the scheduled re-check (RFM, lifecycle, community). */
  runModels?: (workspaceId: string) => Promise<void>;
  /** Idle poll interval. */
  pollMs?: number;
  /** Feed lag (see processFeed). */
  lagMs?: number;
}

export interface SegmentWorker {
  /** Asks for a cycle soon (after ingestion commits, or a segment was created). */
  wake(): void;
  /** Runs one full cycle now (tests and the CLI use this). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

const RECHECK = 'segments.recheck';

async function workspacesWithSegments(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom('segments').select('workspace_id').distinct().where('status', '=', 'active').where('kind', '=', 'rule').execute();
  return rows.map((r) => r.workspace_id);
}

/** Requests the scheduled re-check for workspaces whose last one is older than the interval. */
async function scheduleRechecks(opts: WorkerOptions, workspaces: string[]): Promise<void> {
  if (opts.recheckMinutes <= 0) return;
  const { db } = opts.deps;
  const now = opts.deps.now();
  for (const ws of workspaces) {
    const row = await db.selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', RECHECK).executeTakeFirst();
    const last = row ? parseJson<{ at: number }>(row.value).at : 0;
    if (now - last < opts.recheckMinutes * 60_000) continue;
    const started = Date.now();
    if (opts.runModels) {
      try {
        await opts.runModels(ws);
      } catch (err) {
        opts.log.error({ err, workspaceId: ws }, 'scheduled model run failed');
      }
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
    const value = JSON.stringify({ at: now });
    await db
      .insertInto('job_state')
      .values({ workspace_id: ws, name: RECHECK, value, updated_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'name']).doUpdateSet({ value, updated_at: now }))
      .execute();
    opts.log.info({ workspaceId: ws, segments: due.length, modelsMs: Date.now() - started }, 'scheduled segment re-check requested');
  }
}

export function startSegmentWorker(opts: WorkerOptions): SegmentWorker {
  const abort = new AbortController();
  const lastLogged = new Map<string, number>();
  let recomputing: Promise<void> | undefined;

  /** Runs requested or interrupted recomputes one after another until none is left. */
  async function recomputeLane(): Promise<void> {
    const { deps, log } = opts;
    for (;;) {
      const pending = await pendingRecomputes(deps.db);
      if (pending.length === 0 || abort.signal.aborted) return;
      for (const p of pending) {
        if (abort.signal.aborted) return;
        try {
          const progress = await recomputeSegment(deps, p.workspaceId, p.segmentId, {
            lagMs: opts.lagMs,
            rangeSize: opts.rangeSize,
            signal: abort.signal,
            onProgress: (pr) => {
              const key = p.segmentId;
              if (Date.now() - (lastLogged.get(key) ?? 0) > 5000) {
                lastLogged.set(key, Date.now());
                log.info(
                  {
                    workspaceId: p.workspaceId,
                    segmentId: pr.segmentId,
                    version: pr.version,
                    phase: pr.phase,
                    matched: pr.matched,
                    total: pr.total,
                    entered: pr.entered,
                    exited: pr.exited,
                  },
                  `segment recompute: ${pr.phase}`,
                );
              }
            },
          });
          if (progress && !abort.signal.aborted)
            log.info(
              {
                workspaceId: p.workspaceId,
                segmentId: p.segmentId,
                version: progress.version,
                profiles: progress.done,
                entered: progress.entered,
                exited: progress.exited,
              },
              'segment recompute finished',
            );
        } catch (err) {
          // Left marked for recompute: the next pass tries again (a crash does the same).
          log.error({ err, workspaceId: p.workspaceId, segmentId: p.segmentId }, 'segment recompute failed');
          return;
        }
      }
    }
  }

  async function cycle(): Promise<void> {
    const { deps, log } = opts;
    const workspaces = await workspacesWithSegments(deps.db);
    for (const ws of workspaces) {
      if (loop.stopped) return;
      const r = await processFeed(deps, ws, { lagMs: opts.lagMs });
      if (r.profiles) log.debug({ workspaceId: ws, ...r }, 'segment feed processed');
      // Behind: another cycle shortly after this one.
      if (!r.caughtUp) loop.wake();
    }
    // Full recomputes run in their own lane: a recompute's evaluation is one long query read off
    // this thread (Database.scan), so the feed keeps its pace meanwhile instead of waiting.
    recomputing ??= recomputeLane().finally(() => {
      recomputing = undefined;
    });
    // Models run for every workspace (RFM and stages matter without segments too).
    const all = (await deps.db.selectFrom('workspaces').select('id').execute()).map((w) => w.id);
    await scheduleRechecks(opts, all);
  }

  const loop = startLoop({
    pass: cycle,
    idleMs: opts.pollMs ?? 1000,
    log: opts.log,
    failed: 'segment worker cycle failed',
    againMs: 10,
  });
  loop.schedule(10);

  return {
    wake() {
      // Idle, a poll is always pending (within pollMs; the feed only reads rows older than its
      // lag anyway). Busy, run another cycle straight after this one.
      if (loop.busy) loop.wake();
    },
    async runOnce() {
      await loop.exclusive(cycle);
      if (recomputing) await recomputing;
    },
    async stop() {
      const stopping = loop.stop();
      abort.abort();
      await stopping;
      if (recomputing) await recomputing;
    },
  };
}
