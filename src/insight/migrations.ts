import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';
import { clvMigration } from './clv/migration.js';
import { experimentsMigration } from './experiments/migration.js';
import { metricsMigration } from './metrics/migration.js';

/** The insight module's tables (caches, CLV fits, surveys, experiments), one migration per feature in its folder. */
export function insightMigrations(engine: Engine): MigrationSet {
  return {
    owner: 'insight',
    migrations: {
      '0024_insight_metrics': metricsMigration(engine),
      '0025_insight_clv': clvMigration(engine),
      '0027_insight_experiments': experimentsMigration(engine),
    },
  };
}
