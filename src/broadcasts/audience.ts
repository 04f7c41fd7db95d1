/**
 * A broadcast's audience, read through the functions its owners publish (issue #13, "every table
 * has one owner"): segments' `segmentAudience` (the live members of its segment, minus those of
 * its exclusion segment) and cdp's `profileHasEvent` for conversion.
 */
import { type Expression, sql } from 'kysely';
import { profileHasEvent } from '../cdp/index.js';
import type { CallerDb } from '../messaging/index.js';
import { segmentAudience } from '../segments/index.js';
import type { BroadcastRow } from './broadcasts.repo.js';

function audience(db: CallerDb, row: BroadcastRow) {
  return segmentAudience(db, row.workspace_id, row.segment_id, row.exclude_segment_id);
}

/** The audience size now: members of the segment (live profiles) not in the exclusion segment. */
export async function audienceSize(db: CallerDb, row: BroadcastRow): Promise<number> {
  const { q, excluded } = audience(db, row);
  const r = await (excluded ? q.where((eb) => eb.not(excluded(eb))) : q).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The next `size` members after the broadcast's cursor (keyset on profile id), each with whether it is in the exclusion segment. */
export async function audienceChunk(db: CallerDb, row: BroadcastRow, size: number): Promise<{ profileId: string; excluded: boolean }[]> {
  const { q, excluded } = audience(db, row);
  let chunk = q.select('m.profile_id');
  if (excluded) chunk = chunk.select((eb) => excluded(eb).as('excluded'));
  if (row.cursor !== null) chunk = chunk.where('m.profile_id', '>', row.cursor);
  const members = (await chunk.orderBy('m.profile_id').limit(size).execute()) as { profile_id: string; excluded?: unknown }[];
  // PostgreSQL gives booleans, SQLite 0/1.
  return members.map((m) => ({ profileId: m.profile_id, excluded: m.excluded === true || m.excluded === 1 || m.excluded === '1' }));
}

/**
 * 1 when the profile `profileRef` of workspace `wsRef` tracked `goalEvent` in [from, to), else 0:
 * an SQL fragment the conversion query sums (cdp's `exists` over its events).
 */
export function convertedSql(wsRef: Expression<string>, profileRef: Expression<string>, goalEvent: string, from: number, to: number) {
  const tracked = profileHasEvent({ workspaceId: wsRef, profileId: profileRef, event: goalEvent, from, to });
  return sql<number>`case when ${tracked} then 1 else 0 end`;
}
