/**
 * What the two full-recompute strategies (in place, by scan) share: their options and progress,
 * the locks each write transaction takes first, the progress total counted aside, and the end.
 */
import { sql } from 'kysely';
import { dependentsOf, loadLiveSegments } from './live-segments.js';
import { type LockedSegment, lockSegments, markListened } from './locks.js';
import { NO_FAILURES } from './recompute-failures.js';
import type { LiveSegment, MembershipDeps } from './membership.deps.js';
import type { Kysely } from 'kysely';
import type { SegmentsSqlDB } from './schema.js';

/** A full recompute's progress, reported as it goes and at its end. */
export interface RecomputeProgress {
  segmentId: string;
  version: number;
  /** By scan: 'evaluating' until the scan's first rows, then 'writing'. In place: 'writing' throughout. */
  phase: 'evaluating' | 'writing';
  /**
   * Profiles covered (merged ones included). In place: the ranges written so far; by scan: 0
   * until the end, when it is `total`.
   */
  done: number;
  /** Profiles of the workspace (after the resume position), counted aside: 0 until known, an estimate while in place. */
  total: number;
  /** Matching profiles found so far (in place: the members of the ranges written). */
  matched: number;
  entered: number;
  exited: number;
}

/** How a full recompute runs (sizes, lag, progress, stop signal). */
export interface RecomputeOptions {
  /** Scan path: membership changes per write transaction (default 5,000). */
  chunk?: number;
  /** In-place path: profiles per range transaction; default: sized by time (see recomputeInPlace). */
  rangeSize?: number;
  /** In-place path sized by time: profiles in the first range (default 50,000 on SQLite, 1,000,000 on PostgreSQL). */
  firstRangeSize?: number;
  /** Scan path: how far behind the clock its snapshot time stays (default 2 s, as the feed). */
  lagMs?: number;
  onProgress?: (p: RecomputeProgress) => void;
  signal?: AbortSignal;
}

/** A recompute's write transaction after its locks: the segments built on this one and what their locks read. */
export interface RecomputeLocks {
  /** Every live segment that references this one, directly or through others. */
  dependents: LiveSegment[];
  locked: Map<string, LockedSegment>;
  /** The dependents whose version their lock confirmed: they follow in the same transaction. */
  current: LiveSegment[];
}

/**
 * Locks the segment and the segments built on it (as the feed does, so a concurrent feed write is
 * never undone or counted twice), gives them the listened mark their locks read, and checks that
 * this recompute is still the segment's current one; undefined if it is not (a new version's
 * recompute takes over, or the segment was archived).
 */
export async function lockForRecompute(
  trx: Kysely<SegmentsSqlDB>,
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
): Promise<RecomputeLocks | undefined> {
  const dependents = dependentsOf(await loadLiveSegments(trx, ws, deps.now()), segment.id);
  const locked = await lockSegments(trx, deps.dialect, ws, [segment.id, ...dependents.map((d) => d.id)]);
  markListened([segment, ...dependents], locked);
  const row = await trx
    .selectFrom('segments')
    .select(['version', 'status', 'recompute_version'])
    .where('workspace_id', '=', ws)
    .where('id', '=', segment.id)
    .executeTakeFirst();
  if (!locked.get(segment.id) || !row || row.status !== 'active' || row.version !== segment.version || row.recompute_version !== segment.version)
    return undefined;
  return { dependents, locked, current: dependents.filter((d) => locked.get(d.id)?.version === d.version) };
}

/**
 * Counts the workspace's profiles after `after` (merged ones included) off the JavaScript thread (Database.scan; at 1M profiles it takes 100-500 ms),
 * for a progress total: `set` gets the count if it finishes before `cancel()`, and `settled` gives
 * it (undefined if cancelled or failed). Nothing waits for it by default (a recompute that waited
 * at its end was slower than the recompute itself for cheap rules).
 */
export function countAside(
  deps: MembershipDeps,
  ws: string,
  after: string,
  set: (n: number) => void,
): { settled: Promise<number | undefined>; cancel(): Promise<void> } {
  const abort = new AbortController();
  const query = sql`select count(*) as n from profiles where workspace_id = ${ws} and id > ${after}`.compile(deps.db);
  const settled = (async () => {
    let n: number | undefined;
    for await (const batch of deps.scan(query, 1, abort.signal, deps.limits)) set((n = Number(batch[0]![0])));
    return n;
  })().catch(() => undefined); // only a progress figure
  return {
    settled,
    cancel: async () => {
      abort.abort();
      await settled;
    },
  };
}

/** Clears the segment's recompute mark and any failures (if still for this version) and reports the end; undefined if the version moved on. */
export async function finishRecompute(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  evaluatedAt: number,
  progress: RecomputeProgress,
  opts: RecomputeOptions,
): Promise<RecomputeProgress | undefined> {
  const finished = await deps.db
    .updateTable('segments')
    .set({ recompute_version: null, recompute_cursor: null, recompute_started_at: null, evaluated_at: evaluatedAt, ...NO_FAILURES })
    .where('workspace_id', '=', ws)
    .where('id', '=', segment.id)
    .where('version', '=', segment.version)
    .where('recompute_version', '=', segment.version)
    .executeTakeFirst();
  if (Number(finished.numUpdatedRows) === 0) return undefined;
  opts.onProgress?.(progress);
  deps.memberStatistics.wrote(progress.entered + progress.exited, ws);
  return progress;
}
