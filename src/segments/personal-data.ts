/** What segments holds about a person (issue #19, data-subject export): memberships now and before, and model scores (RFM, lifecycle, community). */
import type { Database } from '../platform/db/database.js';
import { listedKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

/** Segments' personal-data source. */
export function segmentsPersonalData(deps: { database: Database }): PersonalDataSource {
  const db = deps.database.db;
  return {
    module: 'segments',
    async read(ws, ids) {
      return [
        listedKind('segment_memberships', async () =>
          (
            await db
              .selectFrom('segment_members')
              .innerJoin('segments', (j) =>
                j.onRef('segments.workspace_id', '=', 'segment_members.workspace_id').onRef('segments.id', '=', 'segment_members.segment_id'),
              )
              .select(['segment_members.profile_id', 'segment_members.segment_id', 'segments.name as segment_name', 'segment_members.entered_at'])
              .where('segment_members.workspace_id', '=', ws)
              .where('segment_members.profile_id', 'in', ids)
              .execute()
          ).map((r) => plainRow(r)),
        ),
        listedKind('segment_history', async () =>
          (
            await db
              .selectFrom('segment_member_history')
              .selectAll()
              .where('workspace_id', '=', ws)
              .where('profile_id', 'in', ids)
              .orderBy('entered_at')
              .execute()
          ).map((r) => plainRow(r)),
        ),
        listedKind('scores', async () =>
          (await db.selectFrom('profile_scores').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) => plainRow(r)),
        ),
      ];
    },
  };
}
