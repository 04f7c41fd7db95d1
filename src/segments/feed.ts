/**
 * Incremental membership: a change feed over `profiles.updated_at` (every ingest, trait, tag and
 * merge write touches it) re-evaluates only the profiles that changed, for every live rule
 * segment. Its cursor lives in `job_state` (`segments.feed`), read under lock and advanced in the
 * same transaction as the changes.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { insertJobStateIfAbsent, readJobStateForUpdate, writeJobState } from '../platform/db/job-state.js';
import { evaluateProfiles } from './evaluate.js';
import { loadLiveSegments } from './live-segments.js';
import { lockSegments, markListened } from './locks.js';
import { announceChanges, type MembershipChange, type MembershipDeps } from './membership.deps.js';
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
    const cursor = await readFeed(trx, deps.dialect, ws, now);
    const open = deps.oldestWrite?.();
    const upTo = Math.min(now - lag, open === undefined ? Infinity : open - 1);
    const rows = await trx
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
      .execute();
    if (rows.length === 0) return { count: 0, changes: [] as MembershipChange[] };
    const segments = await loadLiveSegments(trx, ws);
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
    const result = await feedChunk(deps, ws, timeZone, chunk, lag);
    profiles += result.count;
    changeCount += result.changes.length;
    if (result.changes.length) announceChanges(deps, ws);
    if (result.count < chunk) return { profiles, changes: changeCount, caughtUp: true };
  }
  return { profiles, changes: changeCount, caughtUp: false };
}
