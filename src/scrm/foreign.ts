/**
 * SCRM's remaining reads of other modules' tables, each gathered in one small function so that the
 * owning module's published function can take its place (`owner:` says which module owns the
 * table). The cdp reads now go through cdp's published functions (`src/cdp/index.ts`); what is
 * left here is segments', until segments publishes its own. SCRM writes none of these tables.
 */
import type { Kysely } from 'kysely';
import { type ScrmKysely, scrmDb } from './schema.js';

// owner: segments (segments)
/** True when the workspace has the segment and it is active. */
export async function isActiveSegment<D>(db: Kysely<D>, ws: string, segmentId: string): Promise<boolean> {
  const seg = await scrmDb(db).selectFrom('segments').select('status').where('workspace_id', '=', ws).where('id', '=', segmentId).executeTakeFirst();
  return !!seg && seg.status === 'active';
}

// owner: segments (segment_members)
/** The members `sm` of a segment (profile_id, entered_at), as a query to join SCRM's tables to. */
export function segmentMembers(db: ScrmKysely, ws: string, segmentId: string) {
  return db.selectFrom('segment_members as sm').where('sm.workspace_id', '=', ws).where('sm.segment_id', '=', segmentId);
}

// owner: segments (profile_scores)
/** The RFM cell and lifecycle stage of each profile that has scores. */
export async function profileScores<D>(
  db: Kysely<D>,
  ws: string,
  profileIds: readonly string[],
): Promise<Map<string, { rfm_cell: string | null; lifecycle_stage: string | null }>> {
  if (!profileIds.length) return new Map();
  const rows = await scrmDb(db)
    .selectFrom('profile_scores')
    .select(['profile_id', 'rfm_cell', 'lifecycle_stage'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', profileIds)
    .execute();
  return new Map(rows.map((s) => [s.profile_id, s]));
}
