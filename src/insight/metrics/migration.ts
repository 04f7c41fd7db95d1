import type { Kysely, Migration } from 'kysely';
import { columnTypes } from '../../platform/db/column-types.js';
import type { Engine } from '../../platform/db/database.js';

/** 0024_insight_metrics: the metrics cache (one answer per workspace and query hash). */
export function metricsMigration(engine: Engine): Migration {
  const t = columnTypes(engine);
  return {
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('insight_metric_cache')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('query_hash', 'text', (c) => c.notNull())
        .addColumn('query', 'text', (c) => c.notNull())
        .addColumn('epoch', 'text', (c) => c.notNull())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .addColumn('computed_at', t.millis, (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_metric_cache_pk', ['workspace_id', 'query_hash'])
        .execute();
    },
  };
}
