import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../../platform/db/database.js';
import { columnTypes } from '../../platform/db/column-types.js';

/**
 * 0025_insight_clv: fitted CLV models per workspace (every fit kept, the newest current) and the
 * current predictions per profile (replaced by each fit).
 */
export function clvMigration(engine: Engine): Migration {
  const t = columnTypes(engine);
  return {
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('insight_clv_models')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('fitted_at', t.millis, (c) => c.notNull())
        .addColumn('calibration_end_day', 'integer', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('customers', 'integer', (c) => c.notNull())
        .addColumn('repeat_customers', 'integer', (c) => c.notNull())
        .addColumn('orders', 'integer', (c) => c.notNull())
        .addColumn('bg_r', 'double precision', (c) => c.notNull())
        .addColumn('bg_alpha', 'double precision', (c) => c.notNull())
        .addColumn('bg_a', 'double precision', (c) => c.notNull())
        .addColumn('bg_b', 'double precision', (c) => c.notNull())
        .addColumn('bg_log_likelihood', 'double precision', (c) => c.notNull())
        .addColumn('gg_p', 'double precision', (c) => c.notNull())
        .addColumn('gg_q', 'double precision', (c) => c.notNull())
        .addColumn('gg_gamma', 'double precision', (c) => c.notNull())
        .addColumn('gg_log_likelihood', 'double precision', (c) => c.notNull())
        .addColumn('options', t.json, (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_clv_models_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('insight_clv_models_fitted').on('insight_clv_models').columns(['workspace_id', 'fitted_at']).execute();
      await db.schema
        .createTable('insight_clv_predictions')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('frequency', 'integer', (c) => c.notNull())
        .addColumn('recency_weeks', 'double precision', (c) => c.notNull())
        .addColumn('age_weeks', 'double precision', (c) => c.notNull())
        .addColumn('mean_order_fen', 'double precision', (c) => c.notNull())
        .addColumn('total_fen', 'bigint', (c) => c.notNull())
        .addColumn('last_purchase_day', 'integer', (c) => c.notNull())
        .addColumn('p_alive', 'double precision', (c) => c.notNull())
        .addColumn('expected_purchases', 'double precision', (c) => c.notNull())
        .addColumn('expected_order_fen', 'double precision', (c) => c.notNull())
        .addColumn('clv_fen', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_clv_predictions_pk', ['workspace_id', 'profile_id'])
        .execute();
      // The at-risk list: highest CLV first among those below a P(alive) threshold.
      await db.schema.createIndex('insight_clv_predictions_value').on('insight_clv_predictions').columns(['workspace_id', 'clv_fen', 'profile_id']).execute();
    },
  };
}
