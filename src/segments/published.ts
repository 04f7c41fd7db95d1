/**
 * Reads and writes of the segments tables that other modules need, published so that they never
 * touch the tables themselves: a segment's status, the listened mark of journeys' segment-entered
 * trigger, members (as a list, a page or a query to join), entries and exits since a cursor, and
 * the models' scores, the profile-id filters of a profile list. Each keeps the SQL its caller ran before (same rows, same indexes); each
 * takes the caller's connection (a transaction included) whatever tables it is typed with.
 */
import { type Expression, type ExpressionBuilder, type ExpressionWrapper, type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { LIFECYCLE_STAGES, RFM_CELLS } from './rule.types.js';
import { type CdpTablesRead, type SegmentMembersTable, type SegmentsDB, type SegmentsSqlDB, segmentsDb } from './schema.js';

/** A segment's status, undefined when the workspace has no such segment. */
export async function segmentStatus<D extends SegmentsDB>(db: Kysely<D>, ws: string, segmentId: string): Promise<'active' | 'archived' | undefined> {
  const row = await segmentsDb(db).selectFrom('segments').select(['status']).where('workspace_id', '=', ws).where('id', '=', segmentId).executeTakeFirst();
  return row?.status;
}

/** Which of `segmentIds` are active segments of the workspace. */
export async function activeSegmentIds<D extends SegmentsDB>(db: Kysely<D>, ws: string, segmentIds: string[]): Promise<Set<string>> {
  const rows = await segmentsDb(db)
    .selectFrom('segments')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', 'in', segmentIds)
    .where('status', '=', 'active')
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Marks the segment as listened to by a journey's segment-entered trigger (never unmarked): its
 * entries are from then on written into the entry-time index the trigger reads. Membership writes
 * read the mark under the segment's lock, so one that read it unset committed before this did.
 */
export async function markSegmentListened<D extends SegmentsDB>(db: Kysely<D>, ws: string, segmentId: string): Promise<void> {
  await segmentsDb(db)
    .updateTable('segments')
    .set({ entries_listened: 1 })
    .where('workspace_id', '=', ws)
    .where('id', '=', segmentId)
    .where('entries_listened', '=', 0)
    .execute();
}

/** Whether the segment carries the listened mark (false when there is no such segment). */
export async function isSegmentListened<D extends SegmentsDB>(db: Kysely<D>, ws: string, segmentId: string): Promise<boolean> {
  const r = await segmentsDb(db)
    .selectFrom('segments')
    .select('entries_listened')
    .where('workspace_id', '=', ws)
    .where('id', '=', segmentId)
    .executeTakeFirst();
  return r?.entries_listened === 1;
}

/** A page of the segment's member ids in id order, after `after` (keyset paging: '' for the first page). */
export async function segmentMemberPage<D extends SegmentsDB>(db: Kysely<D>, ws: string, segmentId: string, after: string, limit: number): Promise<string[]> {
  const rows = await segmentsDb(db)
    .selectFrom('segment_members')
    .select('profile_id')
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', segmentId)
    .where('profile_id', '>', after)
    .orderBy('profile_id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.profile_id);
}

/** An entry into a segment: who, and when (epoch ms). */
export interface SegmentEntry {
  profileId: string;
  enteredAt: number;
}

/**
 * The segment's entries after `from`: current members who entered after it (through the
 * entry-time index, which holds the rows of listened segments only: see markSegmentListened),
 * then members who entered and already left after it (not merged away).
 */
export async function segmentEntriesSince<D extends SegmentsDB>(db: Kysely<D>, ws: string, segmentId: string, from: number): Promise<SegmentEntry[]> {
  const sdb = segmentsDb(db);
  const current = await sdb
    .selectFrom('segment_members')
    .select(['profile_id', 'entered_at'])
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', segmentId)
    .where('entered_at', '>', from)
    // A literal, not a parameter: SQLite uses a partial index only for terms it can match as written.
    .where('listened', '=', sql.lit(1))
    .execute();
  const left = await sdb
    .selectFrom('segment_member_history')
    .select(['profile_id', 'entered_at'])
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', segmentId)
    .where('exited_at', '>', from)
    .where('entered_at', '>', from)
    .where('reason', '!=', 'merged')
    .execute();
  return [...current, ...left].map((r) => ({ profileId: r.profile_id, enteredAt: r.entered_at }));
}

/** An exit from a segment: who, and when (epoch ms). */
export interface SegmentExit {
  profileId: string;
  exitedAt: number;
}

/** The segment's exits after `from` (departures by rule, upload or archiving; not merges). */
export async function segmentExitsSince<D extends SegmentsDB>(db: Kysely<D>, ws: string, segmentId: string, from: number): Promise<SegmentExit[]> {
  const rows = await segmentsDb(db)
    .selectFrom('segment_member_history')
    .select(['profile_id', 'exited_at'])
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', segmentId)
    .where('exited_at', '>', from)
    .where('reason', '!=', 'merged')
    .execute();
  return rows.map((r) => ({ profileId: r.profile_id, exitedAt: r.exited_at }));
}

/** The tables of an audience query: members `m` and their profiles `p`. */
export type AudienceDB = SegmentsSqlDB & { m: SegmentMembersTable; p: CdpTablesRead['profiles'] };

/**
 * A broadcast's audience, to select from: the live members `m` (profile `p` not merged away) of
 * `segmentId`; with `excludeSegmentId`, `excluded(eb)` is true for those also in that segment
 * (an EXISTS probe of its primary key), to select as a flag or to filter on.
 */
export function segmentAudience<D extends SegmentsDB>(
  db: Kysely<D>,
  ws: string,
  segmentId: string,
  excludeSegmentId: string | null,
): {
  q: SelectQueryBuilder<AudienceDB, 'm' | 'p', object>;
  excluded?: (eb: ExpressionBuilder<AudienceDB, 'm' | 'p'>) => ExpressionWrapper<AudienceDB, 'm' | 'p', SqlBool>;
} {
  const q = segmentsDb(db)
    .selectFrom('segment_members as m')
    .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'm.workspace_id').onRef('p.id', '=', 'm.profile_id'))
    .where('m.workspace_id', '=', ws)
    .where('m.segment_id', '=', segmentId)
    .where('p.merged_into', 'is', null);
  if (!excludeSegmentId) return { q };
  const excluded = (eb: ExpressionBuilder<AudienceDB, 'm' | 'p'>) =>
    eb.exists(
      eb
        .selectFrom('segment_members as x')
        .select(sql.lit(1).as('one'))
        .whereRef('x.workspace_id', '=', 'm.workspace_id')
        .where('x.segment_id', '=', excludeSegmentId)
        .whereRef('x.profile_id', '=', 'm.profile_id'),
    );
  return { q, excluded };
}

/**
 * The members `sm` of a segment, as the start of the caller's query: join its own tables to
 * `sm.profile_id` (typed with the caller's tables as well as `sm`).
 */
export function segmentMembersFrom<D extends SegmentsDB>(
  db: Kysely<D>,
  ws: string,
  segmentId: string,
): SelectQueryBuilder<D & { sm: SegmentMembersTable }, 'sm', object> {
  const q = segmentsDb(db).selectFrom('segment_members as sm').where('sm.workspace_id', '=', ws).where('sm.segment_id', '=', segmentId);
  // The query names only the segments table; its type takes the caller's tables for their joins.
  return q as unknown as SelectQueryBuilder<D & { sm: SegmentMembersTable }, 'sm', object>;
}

/** The models' outputs of some profiles (those that have any). */
export interface ProfileScores {
  profileId: string;
  rfmCell: string | null;
  lifecycleStage: string | null;
}

/** The RFM cell and lifecycle stage of the given profiles (no query for none). */
export async function profileScores<D extends SegmentsDB>(db: Kysely<D>, ws: string, profileIds: string[]): Promise<ProfileScores[]> {
  if (profileIds.length === 0) return [];
  const rows = await segmentsDb(db)
    .selectFrom('profile_scores')
    .select(['profile_id', 'rfm_cell', 'lifecycle_stage'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', profileIds)
    .execute();
  return rows.map((r) => ({ profileId: r.profile_id, rfmCell: r.rfm_cell, lifecycleStage: r.lifecycle_stage }));
}

/** What the models computed for one profile, in the shape of cdp's `ProfileModels` port (times ISO). */
export interface ProfileModelOutputs {
  rfm: { r: number; f: number; m: number; cell: string; computedAt: string } | null;
  lifecycle: { stage: string; since: string } | null;
  communityRole: { role: string; score: number; computedAt: string } | null;
}

const isoOf = (ms: number) => new Date(Number(ms)).toISOString();

/**
 * The RFM scores and cell, lifecycle stage (with when the profile entered it) and community role
 * (with its score) of one profile; each null until its model has given the profile a value.
 */
export async function profileModels<D extends SegmentsDB>(db: Kysely<D>, ws: string, profileId: string): Promise<ProfileModelOutputs> {
  const r = await segmentsDb(db).selectFrom('profile_scores').selectAll().where('workspace_id', '=', ws).where('profile_id', '=', profileId).executeTakeFirst();
  return {
    rfm:
      r && r.rfm_cell !== null && r.r !== null && r.f !== null && r.m !== null && r.rfm_at !== null
        ? { r: Number(r.r), f: Number(r.f), m: Number(r.m), cell: r.rfm_cell, computedAt: isoOf(r.rfm_at) }
        : null,
    lifecycle: r && r.lifecycle_stage !== null && r.lifecycle_at !== null ? { stage: r.lifecycle_stage, since: isoOf(r.lifecycle_at) } : null,
    communityRole:
      r && r.community_role !== null && r.community_at !== null
        ? { role: r.community_role, score: Number(r.community_score ?? 0), computedAt: isoOf(r.community_at) }
        : null,
  };
}

/** Filters of a profile list that the segments tables answer: a segment's current members, RFM cells, lifecycle stages (each ANDed). */
export interface AudienceFilter {
  segment?: string;
  rfmCell?: string[];
  lifecycleStage?: string[];
}

/**
 * The profile-id subqueries of an {@link AudienceFilter} (`id in (...)` each, to AND into the
 * caller's query), or which part of it is wrong: a segment the workspace does not have, a cell or
 * stage the models do not produce. The subqueries read the primary key of `segment_members` and
 * the cell and stage indexes of `profile_scores`.
 */
export async function audienceSubqueries<D extends SegmentsDB>(
  db: Kysely<D>,
  ws: string,
  f: AudienceFilter,
): Promise<{ ok: true; subqueries: Expression<unknown>[] } | { ok: false; field: string; message: string }> {
  const sdb = segmentsDb(db);
  const subqueries: Expression<unknown>[] = [];
  if (f.segment !== undefined) {
    if (!(await segmentStatus(db, ws, f.segment))) {
      return { ok: false, field: 'segment', message: `segment "${f.segment}" does not exist in this workspace; pass the id of one of its segments` };
    }
    subqueries.push(sdb.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws).where('segment_id', '=', f.segment));
  }
  const lists = [
    { field: 'rfmCell', values: f.rfmCell, allowed: RFM_CELLS as readonly string[], column: 'rfm_cell' as const },
    { field: 'lifecycleStage', values: f.lifecycleStage, allowed: LIFECYCLE_STAGES as readonly string[], column: 'lifecycle_stage' as const },
  ];
  for (const { field, values, allowed, column } of lists) {
    if (!values?.length) continue;
    const bad = values.find((v) => !allowed.includes(v));
    if (bad !== undefined) return { ok: false, field, message: `${field} "${bad}" is not one of ${allowed.join(', ')}` };
    subqueries.push(sdb.selectFrom('profile_scores').select('profile_id').where('workspace_id', '=', ws).where(column, 'in', values));
  }
  return { ok: true, subqueries };
}
