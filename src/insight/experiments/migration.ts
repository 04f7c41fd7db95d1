import { type Kysely, type Migration, sql } from 'kysely';
import { columnTypes } from '../../platform/db/column-types.js';
import type { Engine } from '../../platform/db/database.js';

/** Migration 0027: experiments and their first exposures. */
export function experimentsMigration(engine: Engine): Migration {
  const t = columnTypes(engine);
  return {
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('insight_experiments')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('subject_kind', 'text', (c) => c.notNull())
        .addColumn('subject', t.json, (c) => c.notNull())
        .addColumn('variants', t.json, (c) => c.notNull())
        .addColumn('baseline', 'text', (c) => c.notNull())
        .addColumn('holdout_percent', sql`double precision`, (c) => c.notNull())
        .addColumn('salt', 'text', (c) => c.notNull())
        .addColumn('goal', t.json, (c) => c.notNull())
        .addColumn('covariate_days', 'integer')
        .addColumn('settings', t.json, (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_experiments_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('insight_experiments_key').unique().on('insight_experiments').columns(['workspace_id', 'key']).execute();
      // The list, newest first (keyset paging on created_at, id).
      await db.schema.createIndex('insight_experiments_created').on('insight_experiments').columns(['workspace_id', 'created_at', 'id']).execute();
      await db.schema
        .createTable('insight_experiment_exposures')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('experiment_id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('variant', 'text', (c) => c.notNull())
        .addColumn('exposed_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_experiment_exposures_pk', ['workspace_id', 'experiment_id', 'profile_id'])
        .execute();
    },
  };
}
