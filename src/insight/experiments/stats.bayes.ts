/**
 * The Bayesian half and the sample ratio check. Bayesian, as gbstats does it since 2023: the lift
 * is approximately normal with the delta method's mean and standard error (a flat prior, so the
 * posterior is that normal); chance to win is P(lift > 0), and risk is the expected loss of a
 * choice, E[max(0, −lift)] for shipping the variant and E[max(0, lift)] for keeping the baseline.
 * The sample ratio mismatch check is Pearson's chi-square goodness of fit against the weights.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalPdf from '@stdlib/stats-base-dists-normal-pdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/** The Bayesian reading of a lift: chance to win, risks (in lift units) and the credible interval. */
export interface BayesResult {
  chanceToWin: number;
  /** Expected loss if the variant is shipped and it is in fact worse (a share of the baseline). */
  riskVariant: number;
  /** Expected loss if the baseline is kept and the variant is in fact better. */
  riskBaseline: number;
  credibleInterval: [number, number];
}

/** Chance to win, risks and the central credible interval of a normal posterior N(mean, sd²) of the lift. */
export function bayesOfLift(mean: number, sd: number, alpha: number): BayesResult {
  if (!(sd > 0)) {
    return { chanceToWin: mean > 0 ? 1 : mean < 0 ? 0 : 0.5, riskVariant: Math.max(0, -mean), riskBaseline: Math.max(0, mean), credibleInterval: [mean, mean] };
  }
  const z = mean / sd;
  // E[max(0, −X)] = σφ(μ/σ) − μΦ(−μ/σ) and E[max(0, X)] = σφ(μ/σ) + μΦ(μ/σ) for X ~ N(μ, σ²).
  const density = sd * normalPdf(z, 0, 1);
  return {
    chanceToWin: normalCdf(z, 0, 1),
    riskVariant: Math.max(0, density - mean * normalCdf(-z, 0, 1)),
    riskBaseline: Math.max(0, density + mean * normalCdf(z, 0, 1)),
    credibleInterval: [normalQuantile(alpha / 2, mean, sd), normalQuantile(1 - alpha / 2, mean, sd)],
  };
}

/** The sample ratio check: the chi-square statistic, its p-value and whether it flags a mismatch (p < threshold). */
export interface SrmResult {
  chiSquare: number;
  pValue: number;
  mismatch: boolean;
}

/** The p-value below which a sample ratio mismatch is flagged (GrowthBook's default). */
export const SRM_THRESHOLD = 0.001;

/**
 * Pearson's chi-square goodness of fit of the observed counts per arm against the counts the
 * weights expect (k − 1 degrees of freedom); arms whose weight is 0 are left out.
 */
export function sampleRatioCheck(observed: readonly number[], weights: readonly number[], threshold = SRM_THRESHOLD): SrmResult {
  const arms = observed.map((o, i) => ({ o, w: weights[i] ?? 0 })).filter((a) => a.w > 0);
  const total = arms.reduce((s, a) => s + a.o, 0);
  const wsum = arms.reduce((s, a) => s + a.w, 0);
  if (arms.length < 2 || total === 0) return { chiSquare: 0, pValue: 1, mismatch: false };
  let chiSquare = 0;
  for (const a of arms) {
    const e = (total * a.w) / wsum;
    chiSquare += ((a.o - e) * (a.o - e)) / e;
  }
  const pValue = Math.max(0, 1 - chisquareCdf(chiSquare, arms.length - 1));
  return { chiSquare, pValue, mismatch: pValue < threshold };
}
