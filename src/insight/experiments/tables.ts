/** The experiments' tables (migration 0027_insight_experiments), part of InsightDB. */
import type { JsonColumn, Millis } from '../../platform/db/column-values.js';

/** An A/B test of a workspace: what it tests, its arms, its goal and how it is analysed. */
export interface ExperimentsTable {
  workspace_id: string;
  id: string;
  /** Unique per workspace: a second create with the key answers the first experiment (idempotent) or conflicts. */
  key: string;
  name: string;
  status: 'running' | 'stopped';
  /** `journey_split` (exposures are the journey's assignments), `template`, `coupon` or `send_time`. */
  subject_kind: string;
  /** JSON: the subject's reference (journey and step, template id, coupon id, or a label). */
  subject: JsonColumn;
  /** JSON: [{ key, weight, description? }], the first the baseline unless `baseline` names another. */
  variants: JsonColumn;
  baseline: string;
  /** Percent of profiles held out (0–50), assigned before the variants. */
  holdout_percent: number;
  /** The assignment hash's salt. */
  salt: string;
  /** JSON: { kind: conversion | revenue | event_count, event?, windowDays }. */
  goal: JsonColumn;
  /** Days before exposure whose value of the goal metric is the CUPED covariate; null: none. */
  covariate_days: number | null;
  /** JSON: { alpha, sequential, sequentialTuning, minProfiles, minConversions }. */
  settings: JsonColumn;
  created_at: Millis;
  updated_at: Millis;
}

/** A profile's first exposure to an experiment and the arm it was assigned (stable by hash). */
export interface ExperimentExposuresTable {
  workspace_id: string;
  experiment_id: string;
  profile_id: string;
  variant: string;
  exposed_at: Millis;
}
