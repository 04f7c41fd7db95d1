/**
 * In-place full recompute (rules that do not read events: traits, profile fields, tags, scores,
 * consent, other segments, buckets): per range of profile ids, one `DELETE ... RETURNING` of the
 * exits and one `INSERT ... SELECT` of the entries, evaluated by the database with the current data
 * under the locks, as a hand-written query would. Resumes after `recompute_cursor`.
 */
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import { hasSingleWriter, keyQuantiles, nextKeyRange, withoutHashAggregation } from '../platform/db/planner.js';
import { limitStatements } from '../platform/db/statement-limits.js';
import { compileRule } from './compile.js';
import { propagate } from './evaluate.js';
import { type Departure, recordDepartures } from './history.js';
import { listenedFlag } from './locks.js';
import { announceChanges, type LiveSegment, type MembershipChange, type MembershipDeps } from './membership.deps.js';
import { countAside, finishRecompute, lockForRecompute, type RecomputeLocks, type RecomputeOptions, type RecomputeProgress } from './recompute-common.js';
import type { SegmentsSqlDB } from './schema.js';

type Trx = Kysely<SegmentsSqlDB>;

/** How long an in-place range's transaction should take, and the first range's size (see rangePlanner), with one writer (SQLite) or many (PostgreSQL). */
const RANGE_TARGET_MS = { oneWriter: 100, manyWriters: 2_000 };
const FIRST_RANGE = { oneWriter: 50_000, manyWriters: 1_000_000 };

/** In-place recompute: see the module comment and recomputeSegment. */
export async function recomputeInPlace(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  timeZone: string,
  resumeAfter: string,
  opts: RecomputeOptions,
): Promise<RecomputeProgress | undefined> {
  const started = deps.now();
  const progress: RecomputeProgress = {
    segmentId: segment.id,
    version: segment.version,
    phase: 'writing',
    done: 0,
    total: 0,
    matched: 0,
    entered: 0,
    exited: 0,
  };
  opts.onProgress?.(progress);
  // The progress total, counted off the JavaScript thread while the first ranges are written.
  const run: InPlaceRun = { started, progress, last: false, counting: undefined! };
  run.counting = countAside(deps, ws, resumeAfter, (n) => {
    if (!run.last) progress.total = Math.max(progress.total, n);
  });
  try {
    return await writeRanges(deps, ws, segment, timeZone, resumeAfter, opts, run);
  } finally {
    await run.counting.cancel(); // (at the end the total is what the ranges covered)
  }
}

/** One in-place recompute's running state. */
interface InPlaceRun {
  /** Its start: the evaluation time recorded at the end. */
  started: number;
  progress: RecomputeProgress;
  /** The range being written is the last one (its end is open). */
  last: boolean;
  /** The progress total, counted aside. */
  counting: ReturnType<typeof countAside>;
}

/** The ranges of an in-place recompute, one transaction each, until the last (open) one. */
async function writeRanges(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  timeZone: string,
  resumeAfter: string,
  opts: RecomputeOptions,
  run: InPlaceRun,
): Promise<RecomputeProgress | undefined> {
  const { progress } = run;
  const ranges = await rangePlanner(deps, ws, resumeAfter, opts);
  let after = resumeAfter;
  for (;;) {
    if (opts.signal?.aborted) return progress;
    const { upTo, size } = await ranges.next(after);
    run.last = upTo === undefined;
    const t = performance.now();
    const step = await writeRange(deps, ws, segment, timeZone, after, upTo);
    if (!step) return undefined;
    const ms = performance.now() - t;
    progress.entered += step.entered;
    progress.exited += step.exited;
    progress.matched += step.matched;
    progress.done += size;
    progress.total = upTo === undefined ? progress.done : Math.max(progress.total, progress.done);
    if (step.changed) announceChanges(deps, ws);
    if (upTo === undefined) break;
    opts.onProgress?.(progress);
    after = upTo;
    ranges.took(ms);
  }
  // Ranges sized from the statistics counted estimates: the count made aside is exact (on
  // PostgreSQL it runs on its own connection and is done long before the ranges).
  if (ranges.estimated()) {
    const counted = await run.counting.settled;
    if (counted !== undefined) progress.done = progress.total = counted;
  }
  return finishRecompute(deps, ws, segment, run.started, progress, opts);
}

/**
 * Where the ranges of an in-place recompute end. Ranges are sized by time: each range's
 * transaction holds the segment's lock (the feed waits for it) and on SQLite the one writer, with
 * better-sqlite3 this thread too, so it should stay short; but every range also costs fixed work
 * (locks, the segments' rules loaded and compiled, nine statements prepared anew), and on
 * PostgreSQL a range is read through the primary key where one statement over the whole workspace
 * reads the table in sequence: at 1M profiles, five ranges cost a trait segment 25% more than one
 * (bench/README.md). So on SQLite the size starts at 50,000 profiles, towards 100 ms; on
 * PostgreSQL, where a range holds no writer, at 1,000,000 (one statement for most workspaces,
 * holding the feed back for about 1-2 s), towards 2 s; and it doubles or halves at most per range.
 *
 * A range is the next `rangeSize` profile ids, merged ones included, ending at a quantile of the
 * planner's statistics while there are any (PostgreSQL, sized by time: a walk of the primary key
 * for each range's end cost 150-350 ms per range of 200,000 at 1M profiles, a quarter of a trait
 * segment's recompute; ids after the last quantile, profiles created since the ANALYZE, are then
 * covered by walked ranges), else found by a walk of the primary key (SQLite: the id at that
 * offset, 54 ms for all ranges at 1M profiles against 99-131 ms for a count and max over each
 * range's ids). Fewer left: the last range, open at its end, so it also takes profiles created meanwhile.
 */
async function rangePlanner(deps: MembershipDeps, ws: string, resumeAfter: string, opts: RecomputeOptions) {
  const fixed = opts.rangeSize !== undefined;
  const writers = hasSingleWriter(deps.dialect) ? 'oneWriter' : 'manyWriters';
  const target = RANGE_TARGET_MS[writers];
  let rangeSize = Math.max(1, Math.floor(opts.rangeSize ?? opts.firstRangeSize ?? FIRST_RANGE[writers]));
  // Sized by time: ranges end at the statistics' quantiles while there are any (none on SQLite).
  const qs = fixed ? undefined : await keyQuantiles(deps.db, deps.dialect, 'profiles', 'id', resumeAfter);
  let q = 0; // next quantile
  let estimated = false;
  return {
    async next(after: string): Promise<{ upTo: string | undefined; size: number }> {
      if (qs && q < qs.bounds.length) {
        const buckets = Math.max(1, Math.round(rangeSize / qs.rowsPerBucket));
        const end = Math.min(q + buckets, qs.bounds.length) - 1;
        const upTo = qs.bounds[end];
        const size = Math.round((end - q + 1) * qs.rowsPerBucket); // an estimate (see writeRanges)
        estimated = true;
        q = end + 1;
        return { upTo, size };
      }
      return nextKeyRange(deps.db, deps.dialect, { table: 'profiles', key: 'id', scope: ['workspace_id', ws] }, after, rangeSize);
    },
    /** The last range's transaction took `ms`: the next one is sized towards the target. */
    took(ms: number): void {
      if (!fixed) rangeSize = Math.round(Math.min(2 * rangeSize, Math.max(rangeSize / 2, (rangeSize * target) / Math.max(ms, 1), 1_000)));
    },
    estimated: () => estimated,
  };
}

/** What one range did. */
interface RangeStep {
  changed: boolean;
  entered: number;
  exited: number;
  matched: number;
}

/**
 * One in-place range `after < id <= upTo` (upTo undefined: to the end), in one transaction under
 * the segment locks: exits first (so this range's entries are not evaluated twice), then entries,
 * then the member count and the resume cursor, then the segments built on this one.
 */
async function writeRange(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  timeZone: string,
  after: string,
  upTo: string | undefined,
): Promise<RangeStep | undefined> {
  const segmentId = segment.id;
  const now = deps.now();
  return deps.db.transaction().execute(async (trx) => {
    await limitStatements(trx, deps.dialect, deps.limits);
    const locks = await lockForRecompute(trx, deps, ws, segment);
    if (!locks) return undefined;
    const range: Range = { after, upTo };
    const rule = compileRule(segment.rule, { workspaceId: ws, now, timeZone, range }, deps.dialect);
    const changes: MembershipChange[] = [];
    const exits = await writeExits(trx, deps, ws, segment, range, rule, now, changes);
    const entered = await writeEntries(trx, deps, ws, segment, range, rule, now, locks, changes);
    await trx
      .updateTable('segments')
      .set((eb) => ({ member_count: eb('member_count', '+', entered.count - exits.removed), recompute_cursor: upTo ?? null }))
      .where('workspace_id', '=', ws)
      .where('id', '=', segmentId)
      .execute();
    // Segments built on this one follow in the same transaction.
    if (locks.current.length)
      changes.push(
        ...(await propagate(trx, deps.dialect, ws, locks.current, [...new Set(changes.map((c) => c.profileId))], { workspaceId: ws, now, timeZone })),
      );
    return {
      changed: entered.count + exits.removed + changes.length > 0,
      entered: entered.count,
      exited: exits.exited,
      matched: entered.present + entered.count,
    };
  });
}

/** An id range `after < id <= upTo` (upTo undefined: to the end). */
interface Range {
  after: string;
  upTo: string | undefined;
}

function inRange(col: RawBuilder<unknown>, { after, upTo }: Range): RawBuilder<SqlBool> {
  return upTo === undefined ? sql<SqlBool>`${col} > ${after}` : sql<SqlBool>`${col} > ${after} and ${col} <= ${upTo}`;
}

/** Members of the range that no longer match, or were merged away: deleted, moved to history, exits (not merges) added to `changes`. */
async function writeExits(
  trx: Trx,
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  range: Range,
  rule: RawBuilder<SqlBool>,
  now: number,
  changes: MembershipChange[],
): Promise<{ removed: number; exited: number }> {
  const segmentId = segment.id;
  const exits = await sql<{ profile_id: string; version: number; entered_at: number }>`delete from segment_members
      where workspace_id = ${ws} and segment_id = ${segmentId} and ${inRange(sql`profile_id`, range)}
      and not exists (select 1 from profiles as p where p.workspace_id = ${ws} and p.id = segment_members.profile_id and p.merged_into is null and (${rule}))
      returning profile_id, version, entered_at`.execute(trx);
  let exited = 0;
  if (exits.rows.length) {
    const gone = exits.rows.map((r) => r.profile_id);
    const merged = new Set<string>();
    for (let i = 0; i < gone.length; i += 5000) {
      const rows = await trx
        .selectFrom('profiles')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('id', 'in', gone.slice(i, i + 5000))
        .where('merged_into', 'is not', null)
        .execute();
      for (const r of rows) merged.add(r.id);
    }
    const departures: Departure[] = exits.rows.map((r) => ({
      profileId: r.profile_id,
      version: r.version,
      enteredAt: Number(r.entered_at),
      reason: merged.has(r.profile_id) ? 'merged' : 'rule',
    }));
    await recordDepartures(trx, deps.dialect, ws, segmentId, segment.version, now, departures);
    for (const d of departures) {
      if (d.reason !== 'rule') continue;
      exited++;
      changes.push({ segmentId, profileId: d.profileId, version: segment.version, kind: 'exited', at: now });
    }
  }
  return { removed: exits.rows.length, exited };
}

/** Profiles of the range that match and are not members yet: inserted, entries added to `changes` when dependents need them. */
async function writeEntries(
  trx: Trx,
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  range: Range,
  rule: RawBuilder<SqlBool>,
  now: number,
  locks: RecomputeLocks,
  changes: MembershipChange[],
): Promise<{ count: number; present: number }> {
  const segmentId = segment.id;
  // Members left in the range (the locks keep anyone else from changing them meanwhile).
  const present = await trx
    .selectFrom('segment_members')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', segmentId)
    .where('profile_id', '>', range.after)
    .$if(range.upTo !== undefined, (q) => q.where('profile_id', '<=', range.upTo!))
    .executeTakeFirst()
    .then((r) => Number(r?.n ?? 0));
  // With members in the range, they are skipped by the primary key (ON CONFLICT), not by a NOT
  // EXISTS join: PostgreSQL planned that join from the stale statistics of a segment filled by
  // the range before (1 row expected, 12,524 there) as a loop over all of them, 4.7 s for 25k
  // entries. Without, a plain insert: ON CONFLICT cost PostgreSQL half the insert again.
  // The entered ids are read back only for the segments built on this one (RETURNING a
  // quarter of a million ids cost about a tenth of a trait segment's recompute at 1M).
  // PostgreSQL, for this statement only: no hash aggregation, so an id set a rule reads from
  // another table (`p.id in (select profile_id from profile_tags ...)`) is made unique by
  // sorting, and the profiles are then probed in key order, page after page, instead of in hash
  // order all over the table (the planner does not count that difference). Measured at 1M
  // profiles: a tag segment's insert took 0.57-0.65 s instead of 1.10-1.25 s.
  const dependents = locks.current.length > 0;
  const restore = await withoutHashAggregation(trx, deps.dialect);
  const inserted = await sql<{ profile_id: string }>`insert into segment_members (workspace_id, segment_id, profile_id, version, entered_at, listened)
      select p.workspace_id, ${segmentId}, p.id, ${segment.version}, ${now}, ${listenedFlag(locks.locked, segmentId)} from profiles as p
      where p.workspace_id = ${ws} and ${inRange(sql`p.id`, range)} and p.merged_into is null and (${rule})
      ${present ? sql`on conflict (workspace_id, segment_id, profile_id) do nothing` : sql``}
      ${dependents ? sql`returning profile_id` : sql``}`.execute(trx);
  await restore();
  const count = dependents ? inserted.rows.length : Number(inserted.numAffectedRows ?? 0);
  for (const r of inserted.rows) changes.push({ segmentId, profileId: r.profile_id, version: segment.version, kind: 'entered', at: now });
  return { count, present };
}
