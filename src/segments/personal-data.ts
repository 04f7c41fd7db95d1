/** What segments holds about a person (issue #19, data-subject export): memberships now and before, and model scores (RFM, lifecycle, community). */
import type { Database } from '../platform/db/database.js';
import { affected, type ErasureCounts, type ErasureTarget, listedKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

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
    erase: (ws, target) => eraseSegments(deps.database, ws, target),
  };
}

/**
 * Erasure (issue #19): the person's memberships (each segment's count lowered with them), their
 * membership history and model scores are deleted. One transaction; a second run finds nothing.
 */
async function eraseSegments(database: Database, ws: string, target: ErasureTarget): Promise<ErasureCounts> {
  const ids = target.profileIds;
  return database.db.transaction().execute(async (trx) => {
    const held = await trx.selectFrom('segment_members').select('segment_id').where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute();
    const per = new Map<string, number>();
    for (const m of held) per.set(m.segment_id, (per.get(m.segment_id) ?? 0) + 1);
    const memberships = affected(await trx.deleteFrom('segment_members').where('workspace_id', '=', ws).where('profile_id', 'in', ids).executeTakeFirst());
    for (const [segment, n] of per)
      await trx
        .updateTable('segments')
        .set((eb) => ({ member_count: eb('member_count', '-', n) }))
        .where('workspace_id', '=', ws)
        .where('id', '=', segment)
        .execute();
    const history = affected(await trx.deleteFrom('segment_member_history').where('workspace_id', '=', ws).where('profile_id', 'in', ids).executeTakeFirst());
    const scores = affected(await trx.deleteFrom('profile_scores').where('workspace_id', '=', ws).where('profile_id', 'in', ids).executeTakeFirst());
    return { segment_memberships: memberships, segment_history: history, scores };
  });
}
