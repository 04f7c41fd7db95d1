import type { InsightClvDB } from './clv/clv.schema.js';
import type { ExperimentExposuresTable, ExperimentsTable } from './experiments/tables.js';
import type { InsightMetricsDB } from './metrics/schema.js';

export type { InsightClvModelsTable, InsightClvPredictionsTable } from './clv/clv.schema.js';

/** The insight module's tables: each feature adds its own here. */
export interface InsightDB extends InsightMetricsDB, InsightClvDB {
  insight_experiments: ExperimentsTable;
  insight_experiment_exposures: ExperimentExposuresTable;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends InsightDB {}
}
