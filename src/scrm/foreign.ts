/**
 * SCRM's views of the segments module's published reads (segments owns these tables; scrm never
 * queries them itself): whether a segment is active, a segment's members to join SCRM's tables to,
 * and the models' scores of profiles.
 */
import type { Kysely } from 'kysely';
import { profileScores as segmentScores, segmentMembersFrom, segmentStatus } from '../segments/index.js';
import { type ScrmKysely, scrmDb } from './schema.js';

/** True when the workspace has the segment and it is active. */
export async function isActiveSegment<D>(db: Kysely<D>, ws: string, segmentId: string): Promise<boolean> {
  return (await segmentStatus(scrmDb(db), ws, segmentId)) === 'active';
}

/** The members `sm` of a segment (profile_id, entered_at), as a query to join SCRM's tables to. */
export function segmentMembers(db: ScrmKysely, ws: string, segmentId: string) {
  return segmentMembersFrom(db, ws, segmentId);
}

/** The RFM cell and lifecycle stage of each profile that has scores. */
export async function profileScores<D>(
  db: Kysely<D>,
  ws: string,
  profileIds: readonly string[],
): Promise<Map<string, { rfm_cell: string | null; lifecycle_stage: string | null }>> {
  const rows = await segmentScores(scrmDb(db), ws, [...profileIds]);
  return new Map(rows.map((s) => [s.profileId, { rfm_cell: s.rfmCell, lifecycle_stage: s.lifecycleStage }]));
}
