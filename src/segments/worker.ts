/**
 * The background segment worker: keeps memberships live. Each cycle it
 * 1. follows every workspace's change feed (profiles changed since the last cycle),
 * 2. advances requested or interrupted full recomputes (a few chunks at a time, so the feed
 *    stays fresh while a big segment computes),
 * 3. on the schedule (default hourly), runs the models (RFM, lifecycle, community roles) and
 *    requests a recompute of every time-dependent segment, logging progress.
 * It wakes on a timer and when ingestion commits. Every step is a chunk transaction, so a crash
 * or SIGTERM at any point loses nothing: the next start resumes from the saved positions.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../platform/db/schema.js';
import { parseJson } from '../platform/db/database.js';
import { type MembershipDeps, pendingRecomputes, processFeed, recomputeSegment, requestRecompute } from './membership.js';

export interface WorkerOptions {
  deps: MembershipDeps;
  log: Logger;
  /** Minutes between scheduled re-checks; 0 disables the schedule. */
  recheckMinutes: number;
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
    const due = await db.selectFrom('segments').select('id').where('workspace_id', '=', ws).where('status', '=', 'active').where('kind', '=', 'rule').where('time_dependent', '=', 1).execute();
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
  const pollMs = opts.pollMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const abort = new AbortController();
  const lastLogged = new Map<string, number>();

  async function cycle(): Promise<void> {
    const { deps, log } = opts;
    const workspaces = await workspacesWithSegments(deps.db);
    for (const ws of workspaces) {
      if (stopped) return;
      const r = await processFeed(deps, ws, { lagMs: opts.lagMs });
      if (r.profiles) log.debug({ workspaceId: ws, ...r }, 'segment feed processed');
      if (!r.caughtUp) again = true;
    }
    const pending = await pendingRecomputes(deps.db);
    for (const p of pending) {
      if (stopped) return;
      // A bounded slice per cycle: the feed gets its turn between slices.
      const slice = new AbortController();
      const deadline = setTimeout(() => slice.abort(), 2000);
      const onStop = () => slice.abort();
      abort.signal.addEventListener('abort', onStop);
      try {
        const progress = await recomputeSegment(deps, p.workspaceId, p.segmentId, {
          signal: slice.signal,
          onProgress: (pr) => {
            const key = p.segmentId;
            if (Date.now() - (lastLogged.get(key) ?? 0) > 5000) {
              lastLogged.set(key, Date.now());
              log.info({ workspaceId: p.workspaceId, segmentId: pr.segmentId, version: pr.version, done: pr.done, total: pr.total, entered: pr.entered, exited: pr.exited }, `segment recompute ${pr.total ? Math.min(100, Math.round((pr.done / pr.total) * 100)) : 100}%`);
            }
          },
        });
        if (progress && slice.signal.aborted) again = true;
        else if (progress) log.info({ workspaceId: p.workspaceId, segmentId: p.segmentId, version: progress.version, profiles: progress.done, entered: progress.entered, exited: progress.exited }, 'segment recompute finished');
      } finally {
        clearTimeout(deadline);
        abort.signal.removeEventListener('abort', onStop);
      }
    }
    // Models run for every workspace (RFM and stages matter without segments too).
    const all = (await deps.db.selectFrom('workspaces').select('id').execute()).map((w) => w.id);
    await scheduleRechecks(opts, all);
  }

  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    running = cycle()
      .catch((err) => opts.log.error({ err }, 'segment worker cycle failed'))
      .finally(() => {
        running = undefined;
        if (stopped) return;
        const soon = again;
        again = false;
        timer = setTimeout(kick, soon ? 10 : pollMs);
      });
  };
  timer = setTimeout(kick, 10);

  return {
    wake() {
      // Idle, a poll is always pending (within pollMs; the feed only reads rows older than its
      // lag anyway). Busy, run another cycle straight after this one.
      if (running) again = true;
    },
    async runOnce() {
      if (running) await running;
      await cycle();
    },
    async stop() {
      stopped = true;
      abort.abort();
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
