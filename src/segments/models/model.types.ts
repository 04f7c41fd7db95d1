/**
 * The built-in models' names, settings and RFM report: types and constants only, so that the
 * models' route schemas (models.schemas.ts), which the console derives its types from, import no
 * server code.
 */
import type { RfmCell } from '../rule.types.js';

/** The built-in models. */
export const MODEL_NAMES = ['rfm', 'lifecycle', 'community'] as const;
/** One of the built-in models. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** Four thresholds of one RFM dimension, listed from the worst value to the best. */
export type Thresholds = [number, number, number, number];

/** RFM settings with defaults applied. */
export interface RfmSettings {
  /**
   * Operator-set thresholds per dimension, from worst to best: `r` in days since the last purchase
   * (not increasing, e.g. [365, 180, 90, 30]), `f` in orders and `m` in fen (not decreasing).
   * null: quintiles computed over the buyers at every run.
   */
  thresholds: { r: Thresholds | null; f: Thresholds | null; m: Thresholds | null };
  /** A score at or above this (2-5) is "high" for the cell. */
  split: { r: number; f: number; m: number };
  /** Display names per cell and locale (zh-CN and en by default; other locales may be added). */
  cellNames: Record<RfmCell, Record<string, string>>;
}

/** Lifecycle settings with defaults applied (days are calendar days in the workspace time zone). */
export interface LifecycleSettings {
  newDays: number;
  loyalMinOrders: number;
  loyalMinSpentFen: number;
  silentDays: number;
  churnedDays: number;
}

/** Community settings with defaults applied. */
export interface CommunitySettings {
  windowDays: number;
  weights: { message: number; reply: number; invite: number };
  kocMinScore: number;
  /** 0 turns the "top percent" way to KOC off. */
  kocTopPercent: number;
  activeMinMessages: number;
}

/** The segmentation settings as stored in `workspaces.settings.segmentation` and answered by the API. */
export interface SegmentationSettings {
  rfm: RfmSettings;
  lifecycle: LifecycleSettings;
  community: CommunitySettings;
}

/** Everything the models read, with defaults applied. */
export interface ModelSettings extends SegmentationSettings {
  /** IANA zone that calendar days are counted in. */
  timeZone: string;
}

/** `GET /v1/models/settings`: the workspace time zone and its segmentation settings. */
export interface ModelSettingsAnswer {
  timeZone: string;
  segmentation: SegmentationSettings;
}

/** The thresholds a run used, from worst to best: r in days, f in orders, m in fen. */
export interface RfmThresholds {
  r: Thresholds;
  f: Thresholds;
  m: Thresholds;
}

/** Where each dimension's thresholds came from. */
export type ThresholdSource = 'quintiles' | 'settings';

/** One cell of the RFM report. */
export interface RfmCellReport {
  cell: RfmCell;
  name: Record<string, string>;
  count: number;
  /** count / scored buyers (0-1). */
  share: number;
  /** Current total_spent_fen of the cell's profiles. */
  revenueFen: number;
  /** revenueFen / revenue of all scored buyers (0-1). */
  revenueShare: number;
  /** Average R, F and M scores (1-5). */
  avgScores: { r: number; f: number; m: number };
  /** Average elapsed days from the last purchase to the run, average orders and average spend. */
  avgDaysSinceLastPurchase: number;
  avgOrders: number;
  avgSpentFen: number;
}

/** The RFM report: the cells as stored by the last run, and the thresholds it used. */
export interface RfmReport {
  computedAt: string | null;
  buyers: number;
  revenueFen: number;
  thresholds: RfmThresholds | null;
  thresholdSource: { r: ThresholdSource; f: ThresholdSource; m: ThresholdSource } | null;
  split: RfmSettings['split'] | null;
  cells: RfmCellReport[];
}
