/**
 * Reads and one write of the segments module's tables that journeys still does itself. Each
 * function is one access, named for what the segments module is publishing (issue #13): the
 * composition root's merge swaps each body for the owner's function.
 */
import { sql } from 'kysely';
import type { Dialect } from '../../platform/db/database.js';
import { compileRule } from '../../segments/compile.js';
import type { Rule } from '../../segments/rule.types.js';
import type { Conn } from '../db.js';

// owner: segments (markSegmentListened). Sets the listened mark a segment-entered trigger needs; never unset.
export async function markSegmentListened(db: Conn, ws: string, segmentId: string): Promise<void> {
  await db
    .updateTable('segments')
    .set({ entries_listened: 1 })
    .where('workspace_id', '=', ws)
    .where('id', '=', segmentId)
    .where('entries_listened', '=', 0)
    .execute();
}

// owner: segments (isSegmentListened). Whether a segment carries the listened mark.
export async function isSegmentListened(db: Conn, ws: string, segmentId: string): Promise<boolean> {
  const r = await db.selectFrom('segments').select('entries_listened').where('workspace_id', '=', ws).where('id', '=', segmentId).executeTakeFirst();
  return r?.entries_listened === 1;
}

// owner: segments (segmentStatus). The ids among `ids` of the workspace's active (not archived) segments.
export async function activeSegmentIds(db: Conn, ws: string, ids: string[]): Promise<Set<string>> {
  const rows = await db.selectFrom('segments').select('id').where('workspace_id', '=', ws).where('id', 'in', ids).where('status', '=', 'active').execute();
  return new Set(rows.map((r) => r.id));
}

/** A profile's entry into a segment (current members and members who left since). */
export interface SegmentEntry {
  profileId: string;
  enteredAt: number;
}

// owner: segments (entries for triggers). Entries after `from`: current members by entry time and departed members who entered after `from`.
export async function readSegmentEntries(db: Conn, ws: string, segmentId: string, from: number): Promise<SegmentEntry[]> {
  // Rows of a listened segment (marked when the journey was published) are in the entry-time index.
  const current = await db
    .selectFrom('segment_members')
    .select(['profile_id', 'entered_at'])
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', segmentId)
    .where('entered_at', '>', from)
    // A literal, not a parameter: SQLite uses a partial index only for terms it can match as written.
    .where('listened', '=', sql.lit(1))
    .execute();
  const left = await db
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

// owner: segments (departures for triggers). Departures after `from` (merges excluded).
export async function readSegmentExits(db: Conn, ws: string, segmentId: string, from: number): Promise<{ profileId: string; exitedAt: number }[]> {
  const rows = await db
    .selectFrom('segment_member_history')
    .select(['profile_id', 'exited_at'])
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', segmentId)
    .where('exited_at', '>', from)
    .where('reason', '!=', 'merged')
    .execute();
  return rows.map((r) => ({ profileId: r.profile_id, exitedAt: r.exited_at }));
}

// owner: segments (members page). One page of a segment's current members, by profile id after `after`.
export async function readSegmentMemberPage(db: Conn, ws: string, segmentId: string, after: string, limit: number): Promise<string[]> {
  const rows = await db
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

// owner: segments (rule over cdp's profiles, the declared exception). The ids among `ids` whose profile matches `rule`.
export async function profilesMatchingRule(
  db: Conn,
  dialect: Dialect,
  ws: string,
  ids: string[],
  rule: Rule,
  ctx: { now: number; timeZone: string },
): Promise<Set<string>> {
  const cond = compileRule(rule, { workspaceId: ws, now: ctx.now, timeZone: ctx.timeZone }, dialect);
  const rows = await sql<{ id: string }>`select p.id from profiles as p where p.workspace_id = ${ws} and p.id in (${sql.join(ids)}) and ${cond}`.execute(db);
  return new Set(rows.rows.map((x) => x.id));
}
