/**
 * The retention job (issue #19): for one workspace, every kind's cutoff from its period, then each
 * module's purger batch after batch — one short transaction each, so no lock is held longer than a
 * batch and a run stopped anywhere (a crash, a deploy) resumes on the next run where it was, since
 * purged rows are not found again. One run per workspace at a time across processes: a lease in
 * `job_state` (taken with an insert-or-take-over-if-stale, renewed between batches). Every run
 * leaves its report in `retention_runs`.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import { type Database, parseJson } from '../platform/db/database.js';
import { leaseStartedAt, takeLease } from '../platform/db/job-state.js';
import { newId } from '../platform/ids.js';
import { nextTurn } from '../platform/loop.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { RETENTION_KINDS, type RetentionKind, type RetentionPurger } from '../platform/retention.js';
import { ComplianceError } from './errors.js';
import { readPeriods } from './retention.settings.js';
import type { ComplianceDB, RetentionRunsTable } from './schema.js';

/** What the job needs: the database, the clock, and every module's purgers (the composition root's). */
export interface RetentionDeps {
  database: Database;
  now: () => number;
  log: Pick<Logger, 'info' | 'error' | 'warn'>;
  purgers: readonly RetentionPurger[];
}

/** One kind's part of a run's report. */
export interface KindReport {
  kind: RetentionKind;
  days: number | null;
  cutoff: string | null;
  rows: number;
  error: string | null;
}

/** A run of the job and its report. */
export interface RetentionRun {
  id: string;
  trigger: 'schedule' | 'cli' | 'api';
  status: 'running' | 'completed' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  kinds: KindReport[];
}

/** Options of a run. */
export interface RunOptions {
  /** Who started it: the worker's schedule, `siyu retention run`, or the API (the console's "Run now"). */
  trigger: 'schedule' | 'cli' | 'api';
  /** Rows per batch (one transaction); default 2,000. */
  batchSize?: number;
  /** Told after each batch (the CLI prints it). */
  onProgress?: (kind: RetentionKind, rows: number) => void;
  /** Asked once the lease is held: true gives the run up (the schedule's "is it still due?", after another process ran it). */
  skipIf?: () => Promise<boolean>;
  /** Told the run's id once its report row exists (the API answers then and lets the run go on). */
  onStarted?: (runId: string) => void;
}

/** The lease that keeps one run per workspace. */
const LEASE = 'compliance.retention';
/** A run that has not renewed its lease for this long died; another may take over. */
const LEASE_TTL_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

const db = (database: Database) => database.db as unknown as Kysely<ComplianceDB>;
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function view(r: Selectable<RetentionRunsTable>): RetentionRun {
  return {
    id: r.id,
    trigger: r.trigger as RetentionRun['trigger'],
    status: r.status as RetentionRun['status'],
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    kinds: parseJson<KindReport[]>(r.kinds),
  };
}

/** Purges one kind with its purgers, batch by batch; the rows purged. */
async function purgeKind(deps: RetentionDeps, ws: string, kind: RetentionKind, cutoff: number, o: RunOptions, renew: () => Promise<void>): Promise<number> {
  let rows = 0;
  for (const p of deps.purgers.filter((x) => x.kind === kind)) {
    for (;;) {
      await renew();
      const b = await p.purgeBatch(ws, cutoff, o.batchSize ?? 2_000);
      rows += b.rows;
      if (b.rows) o.onProgress?.(kind, rows);
      if (b.done) break;
      await nextTurn(); // SQLite answers synchronously: let HTTP requests in between batches
    }
  }
  return rows;
}

/**
 * Runs the job for one workspace now and returns its report; undefined when another run holds the
 * workspace's lease (`runningSince` tells since when). A kind that fails is reported with its
 * error and the run goes on with the others.
 */
export async function runRetention(deps: RetentionDeps, ws: string, o: RunOptions): Promise<RetentionRun | undefined> {
  const lease = await takeLease(deps.database.db, ws, LEASE, LEASE_TTL_MS, deps.now);
  if (!lease) return undefined;
  try {
    if (await o.skipIf?.()) return undefined;
    const started = deps.now();
    const periods = await readPeriods(deps.database, ws);
    const row: Insertable<RetentionRunsTable> & Selectable<RetentionRunsTable> = {
      workspace_id: ws,
      id: newId('ret', started),
      trigger: o.trigger,
      status: 'running',
      started_at: started,
      finished_at: null,
      duration_ms: null,
      kinds: '[]',
    };
    // Holding the lease, no other run is alive: a row still `running` is one a stopped process left.
    await db(deps.database)
      .updateTable('retention_runs')
      .set({ status: 'failed', finished_at: started })
      .where('workspace_id', '=', ws)
      .where('status', '=', 'running')
      .execute();
    await db(deps.database).insertInto('retention_runs').values(row).execute();
    o.onStarted?.(row.id);
    const kinds: KindReport[] = [];
    const save = (patch: { status?: string; finished_at?: number; duration_ms?: number }) =>
      db(deps.database)
        .updateTable('retention_runs')
        .set({ kinds: JSON.stringify(kinds), ...patch })
        .where('workspace_id', '=', ws)
        .where('id', '=', row.id)
        .execute();
    for (const kind of RETENTION_KINDS) {
      const days = periods[kind];
      const cutoff = days === null ? null : started - days * DAY_MS;
      const report: KindReport = { kind, days, cutoff: iso(cutoff), rows: 0, error: null };
      kinds.push(report);
      if (cutoff === null) continue;
      try {
        report.rows = await purgeKind(deps, ws, kind, cutoff, o, () => lease.renew());
      } catch (err) {
        report.error = err instanceof Error ? err.message : String(err);
        deps.log.error({ err, workspaceId: ws, kind }, 'retention: a kind could not be purged');
      }
      await save({});
    }
    const finished = deps.now();
    const status = kinds.some((k) => k.error) ? 'failed' : 'completed';
    await save({ status, finished_at: finished, duration_ms: finished - started });
    return view({ ...row, status, finished_at: finished, duration_ms: finished - started, kinds: JSON.stringify(kinds) });
  } finally {
    await lease.release();
  }
}

/** Since when the run holding the workspace's lease runs (for "already running" messages). */
export const retentionRunningSince = (database: Database, ws: string) => leaseStartedAt(database.db, ws, LEASE);

/** When the workspace's last run started, if it ever ran. */
export async function lastRetentionRunAt(database: Database, ws: string): Promise<number | undefined> {
  const r = await db(database)
    .selectFrom('retention_runs')
    .select('started_at')
    .where('workspace_id', '=', ws)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r ? Number(r.started_at) : undefined;
}

/** One run of the workspace, or undefined. */
export async function getRetentionRun(database: Database, ws: string, id: string): Promise<RetentionRun | undefined> {
  const r = await db(database).selectFrom('retention_runs').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r ? view(r) : undefined;
}

/**
 * Starts a run in the background and resolves once its report row exists, with the run as it
 * then stands; RETENTION_RUNNING when another run of the workspace holds the lease. The run goes
 * on after the answer (a process stopped mid-run leaves it `running` until the next run marks it
 * `failed` and resumes the purge).
 */
export async function startRetentionRun(deps: RetentionDeps, ws: string): Promise<RetentionRun> {
  const id = await new Promise<string | undefined>((resolve, reject) => {
    runRetention(deps, ws, { trigger: 'api', onStarted: resolve }).then(
      (run) => run ?? resolve(undefined),
      (err: unknown) => {
        deps.log.error({ err, workspaceId: ws }, 'retention: a run started through the API failed');
        reject(err as Error);
      },
    );
  });
  if (id === undefined) {
    const since = await retentionRunningSince(deps.database, ws);
    throw new ComplianceError('RETENTION_RUNNING', `a retention run of this workspace is in progress${since ? ` since ${since}` : ''}; wait for it to end`, {
      since: since ?? null,
    });
  }
  return (await getRetentionRun(deps.database, ws, id))!;
}

/** A page of the workspace's runs, newest first. */
export async function listRetentionRuns(database: Database, ws: string, q: { limit: number; cursor?: string }): Promise<Page<RetentionRun>> {
  let s = db(database).selectFrom('retention_runs').selectAll().where('workspace_id', '=', ws);
  if (q.cursor) s = s.where(keysetAfter(['started_at', 'id'], 'desc', decodeCursor(q.cursor, ['n', 's'])));
  const rows = await s
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, view, (r) => [Number(r.started_at), r.id]);
}
