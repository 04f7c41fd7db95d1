/**
 * An experiment's analysis from its arms' SQL sums: each variant against the baseline, by the
 * frequentist test (fixed-horizon or sequential), the Bayesian reading of the same lift, CUPED
 * when a pre-period covariate was summed, and the sample ratio check over every arm. Pure.
 */
import { bayesOfLift, sampleRatioCheck, type SrmResult } from './stats.bayes.js';
import { covMomentsOf, cupedAbsoluteTTest, cupedRelativeTTest, cupedTheta } from './stats.cuped.js';
import { absoluteTTest, type ArmSums, type Effect, type MetricShape, momentsOf, relativeTTest, sequentialTest } from './stats.js';

export type { AnalysisSettings, ArmResult, EffectView } from './analysis.types.js';
import type { AnalysisSettings, ArmResult, EffectView, Verdict } from './analysis.types.js';
import { armVerdict, overallVerdict } from './verdict.js';

/** One arm as the results SQL sums it, with the weight it was assigned by. */
export interface ArmInput {
  key: string;
  weight: number;
  sums: ArmSums;
}

/** Defaults: 95 % intervals, fixed horizon, CUPED on when a covariate exists, floors of 100 profiles and 25 conversions. */
export const DEFAULT_SETTINGS: AnalysisSettings = { alpha: 0.05, sequential: false, sequentialTuning: 5000, cuped: true, minProfiles: 100, minConversions: 25 };

/** The whole analysis: rows, sample ratio check, CUPED's θ, warnings and the verdict. */
export interface Analysis {
  arms: ArmResult[];
  srm: SrmResult;
  cupedTheta: number | null;
  tooSmall: boolean;
  verdict: Verdict;
}

const view = (e: Effect | null): EffectView | null => (e ? { estimate: e.estimate, stdError: e.stdError, ci: e.ci, pValue: e.pValue } : null);

/** The relative and absolute effects of `b` over `a`, with CUPED when asked and possible, sequential when asked. */
function effectsOf(a: ArmInput, b: ArmInput, shape: MetricShape, s: AnalysisSettings): { lift: Effect | null; diff: Effect | null; theta: number | null } {
  const withPre = s.cuped && a.sums.pre !== undefined && b.sums.pre !== undefined;
  let lift: Effect | null;
  let diff: Effect | null;
  let theta: number | null = null;
  if (withPre) {
    theta = cupedTheta(a.sums, b.sums);
    const ca = covMomentsOf(a.sums);
    const cb = covMomentsOf(b.sums);
    lift = cupedRelativeTTest(ca, cb, theta, s.alpha);
    diff = cupedAbsoluteTTest(ca, cb, theta, s.alpha);
  } else {
    const ma = momentsOf(a.sums, shape);
    const mb = momentsOf(b.sums, shape);
    lift = relativeTTest(ma, mb, s.alpha);
    diff = absoluteTTest(ma, mb, s.alpha);
  }
  if (s.sequential) {
    const n = a.sums.n + b.sums.n;
    lift = lift && sequentialTest(lift, n, s.alpha, s.sequentialTuning);
    diff = diff && sequentialTest(diff, n, s.alpha, s.sequentialTuning);
  }
  return { lift, diff, theta };
}

/** Analyses the arms against the one whose key is `baselineKey` (the first arm when absent). */
export function analyse(
  arms: readonly ArmInput[],
  shape: MetricShape,
  baselineKey: string | undefined,
  settings: AnalysisSettings = DEFAULT_SETTINGS,
): Analysis {
  const base = arms.find((a) => a.key === baselineKey) ?? arms[0]!;
  const tooSmall = arms.some((a) => a.sums.n < settings.minProfiles) || (shape === 'proportion' && base.sums.sum < settings.minConversions);
  let theta: number | null = null;
  const rows: ArmResult[] = arms.map((arm) => {
    const mean = arm.sums.n > 0 ? arm.sums.sum / arm.sums.n : 0;
    const row: ArmResult = {
      key: arm.key,
      baseline: arm === base,
      n: arm.sums.n,
      mean,
      lift: null,
      difference: null,
      chanceToWin: null,
      riskVariant: null,
      riskBaseline: null,
      credibleInterval: null,
      verdict: null,
    };
    if (arm === base) return row;
    const e = effectsOf(base, arm, shape, settings);
    theta ??= e.theta;
    row.lift = view(e.lift);
    row.difference = view(e.diff);
    if (e.lift) {
      const b = bayesOfLift(e.lift.estimate, e.lift.stdError, settings.alpha);
      Object.assign(row, { chanceToWin: b.chanceToWin, riskVariant: b.riskVariant, riskBaseline: b.riskBaseline, credibleInterval: b.credibleInterval });
    }
    row.verdict = armVerdict(row, settings.alpha, tooSmall);
    return row;
  });
  const srm = sampleRatioCheck(
    arms.map((a) => a.sums.n),
    arms.map((a) => a.weight),
  );
  return { arms: rows, srm, cupedTheta: theta, tooSmall, verdict: overallVerdict(rows, srm, tooSmall, base.key, settings) };
}
