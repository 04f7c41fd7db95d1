import type { JsonColumn, Millis } from '../../platform/db/schema.js';

/** A fitted CLV model (BG/NBD + Gamma-Gamma) of a workspace; the newest `fitted_at` is current. */
export interface InsightClvModelsTable {
  workspace_id: string;
  id: string;
  fitted_at: Millis;
  /** The last local day of the calibration period (days since 1970-01-01 in the workspace's zone). */
  calibration_end_day: number;
  currency: string;
  customers: number;
  repeat_customers: number;
  /** Transactions after same-day merging. */
  orders: number;
  bg_r: number;
  bg_alpha: number;
  bg_a: number;
  bg_b: number;
  bg_log_likelihood: number;
  gg_p: number;
  gg_q: number;
  gg_gamma: number;
  gg_log_likelihood: number;
  /** JSON: the ClvOptions of the predictions. */
  options: JsonColumn;
  duration_ms: number;
}

/** A profile's predictions under the current model of its workspace. */
export interface InsightClvPredictionsTable {
  workspace_id: string;
  profile_id: string;
  model_id: string;
  /** x: repeat transactions (days with purchases after the first). */
  frequency: number;
  /** t_x: weeks from the first to the last purchase. */
  recency_weeks: number;
  /** T: weeks from the first purchase to the end of the calibration period. */
  age_weeks: number;
  /** z̄: mean value of the repeat transactions (0 without any). */
  mean_order_fen: number;
  total_fen: number;
  last_purchase_day: number;
  p_alive: number;
  expected_purchases: number;
  expected_order_fen: number;
  clv_fen: number;
}

/** The CLV tables. */
export interface InsightClvDB {
  insight_clv_models: InsightClvModelsTable;
  insight_clv_predictions: InsightClvPredictionsTable;
}
