import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The insight module's tables (caches, CLV fits, surveys, experiments), added by its features' migrations. */
export function insightMigrations(_engine: Engine): MigrationSet {
  return { owner: 'insight', migrations: {} };
}
