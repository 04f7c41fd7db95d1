/**
 * CUPED (Deng et al. 2013), as gbstats' regression adjustment does it: each profile's metric y is
 * adjusted by its own pre-exposure value x, y − θx, with one θ = Cov(x, y) / Var(x) over both arms
 * pooled. Randomisation makes x̄ equal in expectation across arms, so the effect is unbiased and
 * its variance shrinks by the share of y's variance that x explains (1 − corr²).
 */
import { type ArmSums, type Effect, type Moments, tTestOf, welchDof } from './stats.js';

/** One arm's moments with its covariate: means, variances (n − 1) and the covariance of y and x. */
export interface CovMoments {
  n: number;
  meanY: number;
  meanX: number;
  varY: number;
  varX: number;
  cov: number;
}

/** Moments of an arm with a pre-period covariate, from its SQL sums. */
export function covMomentsOf(s: ArmSums): CovMoments {
  const pre = s.pre ?? { sum: 0, sumSquares: 0, sumProduct: 0 };
  const n = s.n;
  const d = n > 1 ? n - 1 : 1;
  return {
    n,
    meanY: n > 0 ? s.sum / n : 0,
    meanX: n > 0 ? pre.sum / n : 0,
    varY: Math.max(0, (s.sumSquares - (s.sum * s.sum) / Math.max(n, 1)) / d),
    varX: Math.max(0, (pre.sumSquares - (pre.sum * pre.sum) / Math.max(n, 1)) / d),
    cov: (pre.sumProduct - (s.sum * pre.sum) / Math.max(n, 1)) / d,
  };
}

/** θ = Cov(x, y) / Var(x) over two arms pooled into one sample (0 when x does not vary). */
export function cupedTheta(a: ArmSums, b: ArmSums): number {
  const pa = a.pre ?? { sum: 0, sumSquares: 0, sumProduct: 0 };
  const pb = b.pre ?? { sum: 0, sumSquares: 0, sumProduct: 0 };
  const pooled = covMomentsOf({
    n: a.n + b.n,
    sum: a.sum + b.sum,
    sumSquares: a.sumSquares + b.sumSquares,
    pre: { sum: pa.sum + pb.sum, sumSquares: pa.sumSquares + pb.sumSquares, sumProduct: pa.sumProduct + pb.sumProduct },
  });
  return pooled.varX > 0 ? pooled.cov / pooled.varX : 0;
}

/** Variance of one adjusted value y − θx in an arm. */
export function adjustedVariance(m: CovMoments, theta: number): number {
  return Math.max(0, m.varY + theta * theta * m.varX - 2 * theta * m.cov);
}

/** The adjusted arm as plain moments (mean ȳ − θx̄, variance of y − θx), e.g. for the Bayesian half. */
export function adjustedMoments(m: CovMoments, theta: number): Moments {
  return { n: m.n, mean: m.meanY - theta * m.meanX, variance: adjustedVariance(m, theta) };
}

/** Absolute CUPED effect (ȳb − θx̄b) − (ȳa − θx̄a), tested with Welch on the adjusted variances. */
export function cupedAbsoluteTTest(a: CovMoments, b: CovMoments, theta: number, alpha: number): Effect | null {
  if (a.n < 2 || b.n < 2) return null;
  const ma = adjustedMoments(a, theta);
  const mb = adjustedMoments(b, theta);
  const se = Math.sqrt(ma.variance / a.n + mb.variance / b.n);
  return tTestOf(mb.mean - ma.mean, se, welchDof(ma, mb), alpha);
}

/**
 * Relative CUPED effect over the baseline's unadjusted mean: f = (ȳb − ȳa − θ(x̄b − x̄a)) / ȳa.
 * Delta method with θ held fixed and the arms independent: the gradient is
 * (1/ȳa, −θ/ȳa) over (ȳb, x̄b) and (−(ȳb − θ(x̄b − x̄a))/ȳa², θ/ȳa) over (ȳa, x̄a), each against that
 * arm's covariance matrix of (y, x) divided by its n. Null when the baseline mean is 0.
 */
export function cupedRelativeTTest(a: CovMoments, b: CovMoments, theta: number, alpha: number): Effect | null {
  if (a.meanY === 0 || a.n < 2 || b.n < 2) return null;
  const num = b.meanY - a.meanY - theta * (b.meanX - a.meanX);
  const estimate = num / a.meanY;
  const varB = adjustedVariance(b, theta) / (b.n * a.meanY ** 2);
  const gy = -(num + a.meanY) / a.meanY ** 2;
  const gx = theta / a.meanY;
  const varA = (gy * gy * a.varY + gx * gx * a.varX + 2 * gy * gx * a.cov) / a.n;
  const dof = welchDof(adjustedMoments(a, theta), adjustedMoments(b, theta));
  return tTestOf(estimate, Math.sqrt(Math.max(0, varA + varB)), dof, alpha);
}
