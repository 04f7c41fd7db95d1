import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';
import { surveysMigration } from './surveys/migration.js';

/** The insight module's tables (caches, CLV fits, surveys, experiments), added by its features' migrations. */
export function insightMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'insight',
    migrations: {
      '0026_insight_surveys': surveysMigration(t),
    },
  };
}
