import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';
import { clvMigration } from './clv/migration.js';

/** The insight module's tables (caches, CLV fits, surveys, experiments), added by its features' migrations. */
export function insightMigrations(engine: Engine): MigrationSet {
  return { owner: 'insight', migrations: { '0025_insight_clv': clvMigration(engine) } };
}
