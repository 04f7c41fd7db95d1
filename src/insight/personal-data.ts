/** What insight holds about a person (issue #19, data-subject export): survey answers, CLV predictions, experiment exposures. */
import type { Database } from '../platform/db/database.js';
import { affected, type ErasureCounts, type ErasureTarget, listedKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

/** Insight's personal-data source. */
export function insightPersonalData(deps: { database: Database }): PersonalDataSource {
  const db = deps.database.db;
  return {
    module: 'insight',
    async read(ws, ids) {
      return [
        listedKind('survey_answers', async () =>
          (
            await db
              .selectFrom('insight_survey_answers')
              .selectAll()
              .where('workspace_id', '=', ws)
              .where('profile_id', 'in', ids)
              .orderBy('answered_at')
              .execute()
          ).map((r) => plainRow(r, { json: ['answers', 'tags'] })),
        ),
        listedKind('clv_predictions', async () =>
          (await db.selectFrom('insight_clv_predictions').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
            plainRow(r),
          ),
        ),
        listedKind('experiment_exposures', async () =>
          (await db.selectFrom('insight_experiment_exposures').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
            plainRow(r),
          ),
        ),
      ];
    },
    erase: (ws, target) => eraseInsight(deps.database, ws, target),
  };
}

/**
 * Erasure (issue #19): survey answers are kept for the surveys' scores (NPS, CSAT, CES) but their
 * answers, free text and keyword tags removed and the person detached to their stand-in; CLV
 * predictions are deleted; experiment exposures are detached (the experiments' counts stay right).
 */
async function eraseInsight(database: Database, ws: string, target: ErasureTarget): Promise<ErasureCounts> {
  const ids = target.profileIds;
  return database.db.transaction().execute(async (trx) => {
    const answers = affected(
      await trx
        .updateTable('insight_survey_answers')
        .set({ profile_id: target.detachedId, answers: '{}', verbatim: null, tags: '[]' })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .executeTakeFirst(),
    );
    const clv = affected(await trx.deleteFrom('insight_clv_predictions').where('workspace_id', '=', ws).where('profile_id', 'in', ids).executeTakeFirst());
    const exposures = affected(
      await trx
        .updateTable('insight_experiment_exposures')
        .set({ profile_id: target.detachedId })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .executeTakeFirst(),
    );
    return { survey_answers: answers, clv_predictions: clv, experiment_exposures: exposures };
  });
}
