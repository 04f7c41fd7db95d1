/** What insight holds about a person (issue #19, data-subject export): survey answers, CLV predictions, experiment exposures. */
import type { Database } from '../platform/db/database.js';
import { listedKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

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
  };
}
