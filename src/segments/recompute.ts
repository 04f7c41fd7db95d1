/**
 * Full recompute of one segment (new segment, new version, schedule for time-dependent rules,
 * CLI), in place or by scan (see recomputeSegment). A crash leaves it marked on the segment row;
 * the in-place way resumes after the last complete range.
 */
import type { Kysely } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { LiveSegment, MembershipDeps } from './membership.deps.js';
import type { RecomputeOptions, RecomputeProgress } from './recompute-common.js';
import { NO_FAILURES } from './recompute-failures.js';
import { recomputeInPlace } from './recompute-in-place.js';
import { recomputeByScan } from './recompute-scan.js';
import { walkRule } from './rule-queries.js';
import type { Rule } from './rule.types.js';
import type { SegmentsSqlDB } from './schema.js';

/**
 * Marks a segment for a full recompute of its current version (picked up by `recomputeSegment`).
 * `clearFailures` (an operator asked for it): a failing segment's back-off ends, it runs at once.
 */
export async function requestRecompute(
  db: Kysely<SegmentsSqlDB>,
  ws: string,
  segmentId: string,
  now: number,
  opts: { clearFailures?: boolean } = {},
): Promise<void> {
  await db
    .updateTable('segments')
    .set((eb) => ({ recompute_version: eb.ref('version'), recompute_cursor: null, recompute_started_at: now, ...(opts.clearFailures ? NO_FAILURES : {}) }))
    .where('workspace_id', '=', ws)
    .where('id', '=', segmentId)
    .execute();
}

/** Queues a full recompute of every active rule segment using RFM, lifecycle or community conditions; returns their ids. */
export async function requestModelSegmentRecomputes(db: Kysely<SegmentsSqlDB>, ws: string, now: number): Promise<string[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['id', 'rule'])
    .where('workspace_id', '=', ws)
    .where('status', '=', 'active')
    .where('kind', '=', 'rule')
    .where('time_dependent', '=', 1)
    .orderBy('id')
    .execute();
  const ids = rows
    .filter((r) => {
      let uses = false;
      walkRule(parseJson<Rule>(r.rule), (n) => {
        uses ||= n.type === 'rfm' || n.type === 'lifecycle' || n.type === 'community_role';
      });
      return uses;
    })
    .map((r) => r.id);
  for (const id of ids) await requestRecompute(db, ws, id, now);
  return ids;
}

/** Rules reading the events table (event counts, last/never performed) are recomputed by one scan. */
function readsEvents(rule: Rule): boolean {
  let reads = false;
  walkRule(rule, (n) => {
    reads ||= n.type === 'event' || n.type === 'last_performed' || n.type === 'never_performed';
  });
  return reads;
}

/**
 * Runs the full recompute of a segment (new segment, new version, schedule for time-dependent
 * rules, CLI). Two ways, chosen by the rule; both write in chunk transactions that lock the
 * segment (and its dependents) first, as the feed does, so a concurrent feed write is never
 * undone or counted twice, and a crash leaves every chunk applied or not at all:
 *
 * - **In place** (rules that do not read events: traits, profile fields, tags, scores, consent,
 *   other segments, buckets): per range of `rangeSize` profile ids, one `INSERT ... SELECT` of the
 *   entries and one `DELETE ... RETURNING` of the exits, evaluated by the database with the current
 *   data under the locks, as a hand-written query would. Resumes after `recompute_cursor`
 *   (recompute-in-place.ts).
 * - **Scan** (rules that read events): one whole-workspace evaluation read off the JavaScript
 *   thread and merged with the current members (recompute-scan.ts): per-range evaluation
 *   would read each range's events through `events_profile_time`, 2-3× the work of reading the
 *   window's events once through `events_name_time` (bench/README.md).
 *
 * Returns undefined if the segment is gone, archived, static, or its version changed meanwhile
 * (the new version's recompute takes over).
 */
export async function recomputeSegment(
  deps: MembershipDeps,
  ws: string,
  segmentId: string,
  opts: RecomputeOptions = {},
): Promise<RecomputeProgress | undefined> {
  const seg = await deps.db.selectFrom('segments').selectAll().where('workspace_id', '=', ws).where('id', '=', segmentId).executeTakeFirst();
  if (!seg || seg.kind !== 'rule' || seg.status !== 'active') return undefined;
  const resume = seg.recompute_version === seg.version ? seg.recompute_cursor : null;
  if (seg.recompute_version !== seg.version) await requestRecompute(deps.db, ws, segmentId, deps.now());
  const segment: LiveSegment = { id: seg.id, name: seg.name, version: seg.version, rule: parseJson<Rule>(seg.rule) };
  const timeZone = await deps.timeZoneOf(ws);
  if (readsEvents(segment.rule)) return recomputeByScan(deps, ws, segment, timeZone, opts);
  return recomputeInPlace(deps, ws, segment, timeZone, resume ?? '', opts);
}

/**
 * Segments with a recompute requested or interrupted (resumed by the worker after a restart), oldest
 * request first; those backing off after a failure (recompute-failures.ts) only once their retry time `now` has come.
 */
export async function pendingRecomputes(db: Kysely<SegmentsSqlDB>, now: number): Promise<{ workspaceId: string; segmentId: string }[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['workspace_id', 'id'])
    .where('status', '=', 'active')
    .where('kind', '=', 'rule')
    .where('recompute_version', 'is not', null)
    .where((eb) => eb.or([eb('recompute_retry_at', 'is', null), eb('recompute_retry_at', '<=', now)]))
    .orderBy('recompute_started_at')
    .execute();
  return rows.map((r) => ({ workspaceId: r.workspace_id, segmentId: r.id }));
}
