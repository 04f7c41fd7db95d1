import type { Millis } from '../../platform/db/schema.js';

/** The metrics cache's table (migration 0024_insight_metrics), owned by insight. */

/**
 * One cached answer per (workspace, query hash). `epoch` names the process that computed it and
 * `generation` that process's count of commits to the workspace at the time: only the same process
 * at the same generation may serve it (metrics/cache.ts).
 */
export interface InsightMetricCacheTable {
  workspace_id: string;
  query_hash: string;
  /** The query as JSON text (what was asked: metric, scope, parameters), for operators reading the table. */
  query: string;
  epoch: string;
  generation: number;
  computed_at: Millis;
  /** The answer as JSON text. */
  result: string;
}

/** The metrics part of insight's tables. */
export interface InsightMetricsDB {
  insight_metric_cache: InsightMetricCacheTable;
}
