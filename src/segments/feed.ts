/**
 * Incremental membership: a change feed over `profiles.updated_at` (every ingest, trait, tag and
 * merge write touches it) re-evaluates only the profiles that changed, for every live rule
 * segment. Its cursor lives in `job_state` (`segments.feed`), read under lock and advanced in the
 * same transaction as the changes. A chunk that fails is evaluated again segment by segment, and
 * the segments that fail alone are backed off (recompute-failures.ts): the others go on.
 */
import { type Kysely, sql } from 'kysely';
import { type Dialect, isDatabaseUnavailable } from '../platform/db/database.js';
import { insertJobStateIfAbsent, readJobState, readJobStateForUpdate, writeJobState } from '../platform/db/job-state.js';
import { isStatementTimeout, limitStatements } from '../platform/db/statement-limits.js';
import { compileRule } from './compile.js';
import { evaluateProfiles } from './evaluate.js';
import { loadLiveSegments } from './live-segments.js';
import { lockSegments, markListened } from './locks.js';
import { announceChanges, type LiveSegment, type MembershipChange, type MembershipDeps } from './membership.deps.js';
import { failureReason, recordRecomputeFailure } from './recompute-failures.js';
import type { SegmentsSqlDB } from './schema.js';

const FEED = 'segments.feed';

/** Feed position: profiles with (updated_at, id) greater than this have not been evaluated. */
interface FeedCursor {
  at: number;
  id: string;
}

/** Locks the feed row and reads it (the transaction stays read-only while nothing changed). */
async function readFeed(trx: Kysely<SegmentsSqlDB>, dialect: Dialect, ws: string, now: number): Promise<FeedCursor> {
  const cursor = await readJobStateForUpdate<FeedCursor>(trx, dialect, ws, FEED);
  if (cursor) return cursor;
  // First use: start from now; what is older is covered by each segment's initial full recompute.
  const start = { at: now, id: '' };
  await insertJobStateIfAbsent(trx, ws, FEED, start, now);
  return start;
}

/** Starts the feed of a workspace at `now` if it has none (called when its first segment is created). */
export async function ensureFeed(db: Kysely<SegmentsSqlDB>, dialect: Dialect, ws: string, now: number): Promise<void> {
  await db.transaction().execute((trx) => readFeed(trx, dialect, ws, now));
}

/**
 * Moves the feed back so profiles changed since `at` are evaluated again (after a long import
 * transaction whose rows carry its start time, or an operator asking for it).
 */
export async function rewindFeed(db: Kysely<SegmentsSqlDB>, dialect: Dialect, ws: string, at: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const cur = await readFeed(trx, dialect, ws, at);
    if (cur.at >= at) await writeJobState(trx, ws, FEED, { at: at - 1, id: '\uffff' }, Date.now());
  });
}

/** How far one call of processFeed goes. */
export interface FeedOptions {
  /** Profiles per transaction. */
  chunk?: number;
  /**
   * Only profiles updated at least this long ago are read, so a transaction that stamped its rows
   * just before committing is not overtaken by the cursor. Default 2 s.
   */
  lagMs?: number;
  /** Most chunks in one call. */
  maxChunks?: number;
}

/** The next `chunk` profiles changed after `cursor` and at least `lag` ago (and before this process's oldest open write). */
function changedProfiles(deps: MembershipDeps, db: Kysely<SegmentsSqlDB>, ws: string, cursor: FeedCursor, now: number, chunk: number, lag: number) {
  const open = deps.oldestWrite?.();
  const upTo = Math.min(now - lag, open === undefined ? Infinity : open - 1);
  return (
    db
      .selectFrom('profiles')
      .select(['id', 'updated_at'])
      .where('workspace_id', '=', ws)
      // Row-value comparison: both engines turn it into an index range (the equivalent
      // `a > x or (a = x and id > y)` was planned as a scan from the start of the workspace).
      .where((eb) => eb(eb.refTuple('updated_at', 'id'), '>', eb.tuple(cursor.at, cursor.id)))
      .where('updated_at', '<=', upTo)
      .orderBy('updated_at')
      .orderBy('id')
      .limit(chunk)
      .execute()
  );
}

/** One chunk of the feed in one transaction: the next `chunk` changed profiles, evaluated, and the cursor moved past them. */
async function feedChunk(
  deps: MembershipDeps,
  ws: string,
  timeZone: string,
  chunk: number,
  lag: number,
): Promise<{ count: number; changes: MembershipChange[] }> {
  const now = deps.now();
  return deps.db.transaction().execute(async (trx) => {
    await limitStatements(trx, deps.dialect, deps.limits);
    const cursor = await readFeed(trx, deps.dialect, ws, now);
    const rows = await changedProfiles(deps, trx, ws, cursor, now, chunk, lag);
    if (rows.length === 0) return { count: 0, changes: [] as MembershipChange[] };
    // (Segments backing off after a failure wait for their full recompute.)
    const segments = await loadLiveSegments(trx, ws, now);
    const locked = await lockSegments(
      trx,
      deps.dialect,
      ws,
      segments.map((s) => s.id),
    );
    const current = segments.filter((s) => locked.get(s.id)?.version === s.version && locked.get(s.id)?.status === 'active');
    markListened(current, locked);
    const changes = await evaluateProfiles(
      trx,
      deps.dialect,
      ws,
      current,
      rows.map((r) => r.id),
      { workspaceId: ws, now, timeZone },
    );
    const last = rows[rows.length - 1]!;
    await writeJobState(trx, ws, FEED, { at: last.updated_at, id: last.id }, now);
    return { count: rows.length, changes };
  });
}

/** Processes the change feed of one workspace; returns how many profiles were evaluated. */
export async function processFeed(deps: MembershipDeps, ws: string, opts: FeedOptions = {}): Promise<{ profiles: number; changes: number; caughtUp: boolean }> {
  const chunk = opts.chunk ?? 1000;
  const lag = opts.lagMs ?? 2000;
  const maxChunks = opts.maxChunks ?? 50;
  const timeZone = await deps.timeZoneOf(ws);
  let profiles = 0;
  let changeCount = 0;
  for (let n = 0; n < maxChunks; n++) {
    let result: Awaited<ReturnType<typeof feedChunk>>;
    try {
      result = await feedChunk(deps, ws, timeZone, chunk, lag);
    } catch (err) {
      // The chunk again without the segments that fail alone; none: the feed's own failure.
      if ((await blameSegments(deps, ws, timeZone, chunk, lag, err)) === 0) throw err;
      continue;
    }
    profiles += result.count;
    changeCount += result.changes.length;
    if (result.changes.length) announceChanges(deps, ws);
    if (result.count < chunk) return { profiles, changes: changeCount, caughtUp: true };
  }
  return { profiles, changes: changeCount, caughtUp: false };
}

/**
 * After a chunk failed with `err`: evaluates each live segment alone for the chunk's profiles and
 * backs off those that fail (recorded with their own error, a full recompute pending). Returns how
 * many failed; 0 when none does, or when the database is away (not a segment's fault).
 */
async function blameSegments(deps: MembershipDeps, ws: string, timeZone: string, chunk: number, lag: number, err: unknown): Promise<number> {
  const transient = (e: unknown) => isDatabaseUnavailable(e) && !isStatementTimeout(e);
  if (transient(err)) return 0;
  const now = deps.now();
  const cursor = (await readJobState<FeedCursor>(deps.db, ws, FEED)) ?? { at: now, id: '' };
  const ids = (await changedProfiles(deps, deps.db, ws, cursor, now, chunk, lag)).map((r) => r.id);
  if (ids.length === 0) return 0;
  const failing: { segment: LiveSegment; err: unknown }[] = [];
  for (const segment of await loadLiveSegments(deps.db, ws, now)) {
    try {
      await deps.db.transaction().execute(async (trx) => {
        await limitStatements(trx, deps.dialect, deps.limits);
        const rule = compileRule(segment.rule, { workspaceId: ws, now, timeZone }, deps.dialect);
        await sql`select case when (${rule}) then 1 else 0 end from profiles as p where p.workspace_id = ${ws} and p.id in (${sql.join(ids)})`.execute(trx);
      });
    } catch (e) {
      if (transient(e)) return 0;
      failing.push({ segment, err: e });
    }
  }
  for (const f of failing) await recordRecomputeFailure(deps.db, deps.dialect, ws, f.segment.id, failureReason(f.err, deps.limits?.timeoutMs), now);
  return failing.length;
}
