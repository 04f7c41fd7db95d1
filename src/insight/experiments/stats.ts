/**
 * The frequentist half of the experiments' statistics engine, as GrowthBook's open-source engine
 * (gbstats) does it: per-arm moments from SQL sums, a two-sample Welch t-test on the relative
 * effect (lift) with its variance by the delta method, the same on the absolute difference, and
 * the sequential (mixture SPRT) interval that stays valid however often one looks. Pure functions;
 * every formula is checked against scipy/numpy values in stats.test.ts (docs/insight-experiments.md).
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Sums of one arm as SQL returns them: profiles, Σy, Σy² and, with a pre-period covariate x, Σx, Σx², Σxy. */
export interface ArmSums {
  n: number;
  sum: number;
  sumSquares: number;
  pre?: { sum: number; sumSquares: number; sumProduct: number } | undefined;
}

/** What kind of number a metric is: a 0/1 per profile (conversion) or any value per profile. */
export type MetricShape = 'proportion' | 'mean';

/** Mean and variance of one arm's per-profile values (variance of one value, not of the mean). */
export interface Moments {
  n: number;
  mean: number;
  variance: number;
}

/** An effect estimate with its standard error, interval, two-sided p-value and Welch degrees of freedom. */
export interface Effect {
  estimate: number;
  stdError: number;
  ci: [number, number];
  pValue: number;
  dof: number;
}

/**
 * Moments of an arm from its sums: a proportion's variance is p(1 − p) (gbstats' proportion
 * statistic), a mean's the sample variance with n − 1 (what scipy's ttest_ind uses).
 */
export function momentsOf(s: ArmSums, shape: MetricShape): Moments {
  const mean = s.n > 0 ? s.sum / s.n : 0;
  if (shape === 'proportion') return { n: s.n, mean, variance: mean * (1 - mean) };
  const variance = s.n > 1 ? Math.max(0, (s.sumSquares - (s.sum * s.sum) / s.n) / (s.n - 1)) : 0;
  return { n: s.n, mean, variance };
}

/** Welch–Satterthwaite degrees of freedom of two arms' variances of one value. */
export function welchDof(a: Moments, b: Moments): number {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const den = (va * va) / (a.n - 1) + (vb * vb) / (b.n - 1);
  // Both variances zero: no spread to estimate, the normal limit (the t quantile then equals z).
  return den > 0 ? ((va + vb) * (va + vb)) / den : Number.POSITIVE_INFINITY;
}

/** Two-sided p-value and interval of an estimate with standard error `se` on a t distribution with `dof`. */
export function tTestOf(estimate: number, se: number, dof: number, alpha: number): Effect {
  if (!(se > 0) || !Number.isFinite(se)) return { estimate, stdError: 0, ci: [estimate, estimate], pValue: 1, dof };
  const z = estimate / se;
  const pValue = 2 * (1 - tCdf(Math.abs(z), dof));
  const half = tQuantile(1 - alpha / 2, dof) * se;
  return { estimate, stdError: se, ci: [estimate - half, estimate + half], pValue: Math.min(1, Math.max(0, pValue)), dof };
}

/**
 * Relative effect (b − a) / a of treatment b over baseline a: its variance by the delta method,
 * Var(b̄)/ā² + b̄² Var(ā)/ā⁴, tested with Welch's degrees of freedom. Null when the baseline mean is 0.
 */
export function relativeTTest(a: Moments, b: Moments, alpha: number): Effect | null {
  if (a.mean === 0 || a.n < 2 || b.n < 2) return null;
  const estimate = (b.mean - a.mean) / a.mean;
  const variance = b.variance / (b.n * a.mean ** 2) + (a.variance * b.mean ** 2) / (a.n * a.mean ** 4);
  return tTestOf(estimate, Math.sqrt(variance), welchDof(a, b), alpha);
}

/** Absolute difference b̄ − ā with Welch's t-test (scipy's ttest_ind with equal_var=False). Null below two profiles an arm. */
export function absoluteTTest(a: Moments, b: Moments, alpha: number): Effect | null {
  if (a.n < 2 || b.n < 2) return null;
  const se = Math.sqrt(a.variance / a.n + b.variance / b.n);
  return tTestOf(b.mean - a.mean, se, welchDof(a, b), alpha);
}

/**
 * The mixing parameter ρ of the normal-mixture confidence sequence for a tuning parameter N*
 * (the total sample size where the interval is tightest): ρ² = (−2 ln α + ln(1 − 2 ln α)) / N*
 * (Waudby-Smith et al. 2023, eq. 161; gbstats' `sequential_rho`).
 */
export function sequentialRho(alpha: number, tuning: number): number {
  const la = Math.log(alpha);
  return Math.sqrt((-2 * la + Math.log(-2 * la + 1)) / tuning);
}

/**
 * The sequential interval and always-valid p-value of an effect over `nTotal` profiles (both arms):
 * with s² = Var(estimate)·N, the half-width is √s² · √(2(Nρ² + 1)/(N²ρ²) · ln(√(Nρ² + 1)/α)), and
 * the p-value is the α at which that interval (ρ held fixed) just reaches 0:
 * √(Nρ² + 1) · exp(−estimate² N²ρ² / (2 s² (Nρ² + 1))), at most 1. Valid under continuous peeking.
 */
export function sequentialTest(effect: Effect, nTotal: number, alpha: number, tuning: number): Effect {
  const se = effect.stdError;
  if (!(se > 0) || nTotal <= 0) return { ...effect, ci: [effect.estimate, effect.estimate], pValue: 1 };
  const rho2 = sequentialRho(alpha, tuning) ** 2;
  const n = nTotal;
  const s2 = se * se * n;
  const k = (2 * (n * rho2 + 1)) / (n * n * rho2);
  const half = Math.sqrt(s2) * Math.sqrt(k * Math.log(Math.sqrt(n * rho2 + 1) / alpha));
  const pValue = Math.min(1, Math.sqrt(n * rho2 + 1) * Math.exp(-(effect.estimate ** 2) / (s2 * k)));
  return { ...effect, ci: [effect.estimate - half, effect.estimate + half], pValue };
}
