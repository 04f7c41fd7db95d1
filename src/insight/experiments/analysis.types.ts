/** The types of an experiment's analysis (analysis.ts) and its verdicts (verdict.ts). */
import type { Effect } from './stats.js';

/** How to analyse: significance, sequential testing, CUPED and the sample floor. */
export interface AnalysisSettings {
  alpha: number;
  sequential: boolean;
  /** The sequential test's N*: the total sample size where its interval is tightest (gbstats' default 5000). */
  sequentialTuning: number;
  /** Adjust by the pre-period covariate when the arms carry its sums. */
  cuped: boolean;
  /** Fewer profiles than this in an arm: results are flagged too small to read. */
  minProfiles: number;
  /** Conversion metrics: fewer conversions than this in the baseline are flagged too small. */
  minConversions: number;
}

/** An effect as results show it (interval bounds and p-value of the test used). */
export type EffectView = Pick<Effect, 'estimate' | 'stdError' | 'ci' | 'pValue'>;

/** One arm's row of the results table. */
export interface ArmResult {
  key: string;
  baseline: boolean;
  n: number;
  /** Mean per profile (a conversion rate for conversion metrics), before any CUPED adjustment. */
  mean: number;
  /** Relative effect against the baseline (null for the baseline, or when its mean is 0). */
  lift: EffectView | null;
  /** Absolute difference of the means against the baseline. */
  difference: EffectView | null;
  chanceToWin: number | null;
  riskVariant: number | null;
  riskBaseline: number | null;
  credibleInterval: [number, number] | null;
  verdict: ArmVerdict | null;
}

/** What one variant's comparison with the baseline says. */
export type ArmVerdictCode = 'better' | 'worse' | 'inconclusive' | 'too_small' | 'no_baseline_value';

/** The experiment's overall reading, worst news first: broken assignment, too little data, a winner, a loser, nothing yet. */
export type VerdictCode = 'sample_ratio_mismatch' | 'too_small' | 'winner' | 'all_worse' | 'inconclusive' | 'no_variants';

/** A variant's verdict: code and sentences. */
export interface ArmVerdict {
  code: ArmVerdictCode;
  en: string;
  zh: string;
}

/** The experiment's verdict: code, sentences, and the winning variant's key for `winner`. */
export interface Verdict {
  code: VerdictCode;
  winner: string | null;
  en: string;
  zh: string;
}
