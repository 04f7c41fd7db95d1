/**
 * A full sync started from the API (the console's "sync now") rather than the CLI: it runs in the
 * background of the process that was asked, holding the same lease and checkpoint as `siyu wecom
 * sync`, so its progress is read from the database by any process, a run killed with the process
 * resumes on the next start, and a CLI sync and a console sync never run at once. The outcome of
 * the last run (finished, stopped, or WeCom's refusal) is kept in `job_state` beside the
 * checkpoint.
 */
import type { Kysely } from 'kysely';
import { readJobState, writeJobState } from '../platform/db/job-state.js';
import { notConnected, openConnection } from './connection.service.js';
import type { Scrm } from './deps.js';
import { ScrmError } from './errors.js';
import type { Checkpoint, SyncPhase, SyncResult } from './sync.context.js';
import { type SyncDB, SYNC_STATE, syncLeaseHolder } from './sync.repo.js';
import { runFullSync } from './sync.service.js';

/** The job_state row holding the outcome of the last API-started sync of a workspace. */
const LAST_RUN = 'wecom.sync.last';

/** How the last API-started run ended. */
interface LastRun {
  runId: string | null;
  outcome: 'completed' | 'stopped' | 'failed';
  error: string | null;
  at: string;
}

/** What `GET /v1/wecom/sync` answers. */
export interface SyncStatus {
  /** A sync of this workspace holds the lease now (in any process, from the API or the CLI). */
  running: boolean;
  /** When the running sync took its lease. */
  runningSince: string | null;
  /** The checkpoint of the last (or current) run: phase, counts, times; null before the first. */
  run: {
    runId: string;
    corpId: string;
    phase: SyncPhase;
    startedAt: string;
    finishedAt: string | null;
    counts: Checkpoint['counts'];
  } | null;
  /** How the last run started from the API ended (null while none has). */
  last: LastRun | null;
}

const iso = (ms: number | undefined | null) => (ms === undefined || ms === null ? null : new Date(ms).toISOString());

/** The workspace's sync as the database holds it: lease, checkpoint and last outcome. */
export async function syncStatus(scrm: Pick<Scrm, 'database' | 'now'>, workspaceId: string): Promise<SyncStatus> {
  const db = scrm.database.db as unknown as Kysely<SyncDB>;
  const since = await syncLeaseHolder(db, workspaceId, scrm.now);
  const cp = await readJobState<Checkpoint>(db, workspaceId, SYNC_STATE);
  const last = (await readJobState<LastRun>(db, workspaceId, LAST_RUN)) ?? null;
  return {
    running: since !== undefined,
    runningSince: since ?? null,
    run: cp ? { runId: cp.runId, corpId: cp.corpId, phase: cp.phase, startedAt: iso(cp.startedAt)!, finishedAt: iso(cp.finishedAt), counts: cp.counts } : null,
    last,
  };
}

/** The syncs this process runs in the background, so that closing the server stops them between chunks. */
export interface SyncRuns {
  /** Starts (or resumes) a full sync in the background; 404 without a connection, 409 while one runs. */
  start(workspaceId: string): Promise<SyncStatus>;
  /** The workspace's sync, counting a run this process has started but that has not taken its lease yet. */
  status(workspaceId: string): Promise<SyncStatus>;
  /** Stops this process's runs after their chunk in progress and waits for them (they resume on the next start). */
  close(): Promise<void>;
}

/** Builds the background sync runner of a process. */
export function createSyncRuns(scrm: Scrm): SyncRuns {
  const running = new Map<string, { abort: AbortController; done: Promise<void>; since: number }>();
  const db = scrm.database.db as unknown as Kysely<SyncDB>;
  const record = (ws: string, last: Omit<LastRun, 'at'>) => {
    const at = scrm.now();
    return writeJobState(db, ws, LAST_RUN, { ...last, at: new Date(at).toISOString() }, at);
  };

  async function run(ws: string, corpId: string, signal: AbortSignal): Promise<void> {
    let result: SyncResult | undefined;
    try {
      const client = await scrm.connections.clientFor(ws);
      result = await runFullSync({
        db: scrm.database.db,
        dialect: scrm.database.dialect,
        writer: scrm.writer,
        client,
        workspaceId: ws,
        corpId,
        now: scrm.now,
        log: scrm.log,
        signal,
        defaultRegion: scrm.defaultPhoneRegion,
        cipher: scrm.cipher,
      });
      await record(ws, { runId: result.runId, outcome: result.completed ? 'completed' : 'stopped', error: null });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      scrm.log.warn({ workspaceId: ws, err: message }, 'wecom sync (started from the API) failed; what it stored is kept, and the next run resumes');
      // A second start that lost the race for the lease says nothing about the run that holds it.
      if (!(err instanceof ScrmError && err.code === 'WECOM_SYNC_RUNNING'))
        await record(ws, { runId: null, outcome: 'failed', error: message }).catch(() => {});
    }
  }

  return {
    async start(ws) {
      const conn = await openConnection(scrm, ws);
      if (!conn) throw notConnected(ws);
      const since = await syncLeaseHolder(db, ws, scrm.now);
      if (since !== undefined || running.has(ws))
        throw new ScrmError('WECOM_SYNC_RUNNING', `a WeCom full sync of workspace ${ws} is already running (started at ${since ?? 'just now'})`);
      const abort = new AbortController();
      const done = run(ws, conn.corpId, abort.signal).finally(() => running.delete(ws));
      running.set(ws, { abort, done, since: scrm.now() });
      return this.status(ws);
    },
    async status(ws) {
      const status = await syncStatus(scrm, ws);
      // Until a run started here has taken its lease, the database does not show it running.
      if (status.running || !running.has(ws)) return status;
      return { ...status, running: true, runningSince: new Date(running.get(ws)!.since).toISOString() };
    },
    async close() {
      for (const r of running.values()) r.abort.abort();
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}
