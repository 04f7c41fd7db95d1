/**
 * The statistics engine against values computed independently with scipy 1.17 and numpy by
 * test/fixtures/experiments/expected.py (its JSON output is committed; python is not needed here).
 * Each block says how its expected numbers were computed. Tolerances: 1e-9 relative where the
 * script uses the same closed distribution functions (t, normal, chi-square), 1e-6 relative where
 * it takes another road (numerical gradients of the delta method, numerical integration, root finding).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyse, DEFAULT_SETTINGS } from './analysis.js';
import { bayesOfLift, sampleRatioCheck } from './stats.bayes.js';
import { covMomentsOf, cupedAbsoluteTTest, cupedRelativeTTest, cupedTheta } from './stats.cuped.js';
import { absoluteTTest, type ArmSums, momentsOf, relativeTTest, sequentialRho, sequentialTest, tTestOf } from './stats.js';

const expected = JSON.parse(readFileSync(new URL('../../../test/fixtures/experiments/expected.json', import.meta.url), 'utf8'));

/** |actual − expected| within `rel` of |expected| (or `rel` itself near 0). */
function close(actual: number, want: number, rel: number): void {
  expect(Math.abs(actual - want)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want)) + Number.EPSILON);
}

describe('the frequentist tests', () => {
  it('means: the absolute effect is Welch’s t-test as scipy.stats.ttest_ind(equal_var=False) computes it, and the lift is the delta method', () => {
    const e = expected.means;
    const a = momentsOf(e.a, 'mean');
    const b = momentsOf(e.b, 'mean');
    const abs = absoluteTTest(a, b, 0.05)!;
    // ttest_ind(b, a, equal_var=False): statistic's p-value, df and confidence_interval(0.95).
    close(abs.estimate, e.absolute.estimate, 1e-12);
    close(abs.pValue, e.absolute.pValue, 1e-9);
    close(abs.dof, e.absolute.dof, 1e-9);
    close(abs.ci[0], e.absolute.ci[0], 1e-9);
    close(abs.ci[1], e.absolute.ci[1], 1e-9);
    // Delta method by numerical gradient over (ā, b̄) in numpy, t quantile/survival from scipy.
    const rel = relativeTTest(a, b, 0.05)!;
    close(rel.estimate, e.relative.estimate, 1e-12);
    close(rel.stdError, e.relative.stdError, 1e-6);
    close(rel.pValue, e.relative.pValue, 1e-6);
    close(rel.ci[0], e.relative.ci[0], 1e-6);
    close(rel.ci[1], e.relative.ci[1], 1e-6);
  });

  it('proportions: variance p(1 − p); absolute p-value as scipy.stats.ttest_ind_from_stats(equal_var=False); 90 % lift interval', () => {
    const e = expected.proportions;
    const a = momentsOf(e.a, 'proportion');
    const b = momentsOf(e.b, 'proportion');
    close(absoluteTTest(a, b, e.alpha)!.pValue, e.absolute.pValue, 1e-9);
    const rel = relativeTTest(a, b, e.alpha)!;
    close(rel.estimate, e.relative.estimate, 1e-12);
    close(rel.stdError, e.relative.stdError, 1e-6);
    close(rel.dof, e.relative.dof, 1e-9);
    close(rel.ci[0], e.relative.ci[0], 1e-6);
    close(rel.ci[1], e.relative.ci[1], 1e-6);
    close(rel.pValue, e.relative.pValue, 1e-6);
  });

  it('a baseline of 0 has no lift; one profile an arm has no test; no spread gives p = 1 at the estimate', () => {
    const zero = momentsOf({ n: 100, sum: 0, sumSquares: 0 }, 'proportion');
    const some = momentsOf({ n: 100, sum: 3, sumSquares: 3 }, 'proportion');
    expect(relativeTTest(zero, some, 0.05)).toBeNull();
    expect(absoluteTTest(momentsOf({ n: 1, sum: 1, sumSquares: 1 }, 'mean'), some, 0.05)).toBeNull();
    expect(tTestOf(0.1, 0, 10, 0.05)).toEqual({ estimate: 0.1, stdError: 0, ci: [0.1, 0.1], pValue: 1, dof: 10 });
  });
});

describe('CUPED', () => {
  const e = expected.cuped;
  const a = covMomentsOf(e.a);
  const b = covMomentsOf(e.b);

  it('θ is the pooled covariance over the variance of the covariate (numpy np.cov / np.var(ddof=1))', () => {
    close(cupedTheta(e.a, e.b), e.theta, 1e-9);
  });

  it('the absolute effect is Welch’s t-test on y − θx (scipy ttest_ind on the adjusted values), with a smaller standard error', () => {
    const abs = cupedAbsoluteTTest(a, b, e.theta, 0.05)!;
    close(abs.estimate, e.absolute.estimate, 1e-9);
    close(abs.pValue, e.absolute.pValue, 1e-7);
    close(abs.ci[0], e.absolute.ci[0], 1e-8);
    close(abs.ci[1], e.absolute.ci[1], 1e-8);
    // The covariate explains most of y's variance: the interval is far narrower, the test far stronger.
    expect(abs.stdError).toBeLessThan(0.5 * e.unadjustedAbsoluteStdError);
    expect(abs.pValue).toBeLessThan(e.unadjustedPValue);
  });

  it('the relative effect’s variance is the delta method over both arms’ (ȳ, x̄) (numpy numerical gradient and covariance blocks)', () => {
    const rel = cupedRelativeTTest(a, b, e.theta, 0.05)!;
    close(rel.estimate, e.relative.estimate, 1e-9);
    close(rel.stdError, e.relative.stdError, 1e-6);
    close(rel.ci[0], e.relative.ci[0], 1e-6);
    close(rel.ci[1], e.relative.ci[1], 1e-6);
    close(rel.pValue, e.relative.pValue, 1e-6);
  });
});

describe('sequential testing', () => {
  it('the interval is the normal-mixture confidence sequence and the p-value its inversion (scipy brentq on the written-out half-width)', () => {
    for (const c of expected.sequential) {
      close(sequentialRho(c.alpha, c.tuning), c.rho, 1e-12);
      const s = sequentialTest({ estimate: c.estimate, stdError: c.stdError, ci: [0, 0], pValue: 0, dof: 100 }, c.n, c.alpha, c.tuning);
      close(s.ci[0], c.ci[0], 1e-9);
      close(s.ci[1], c.ci[1], 1e-9);
      close(s.pValue, c.pValue, 1e-6);
    }
  });

  it('stays valid under peeking: in simulated A/A tests looked at 20 times, the fixed test “finds” effects far more often than α, the sequential one at most α', () => {
    // A seeded LCG and Box–Muller: the same 400 A/A experiments every run.
    let seed = 12345;
    const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    let fixedHits = 0;
    let seqHits = 0;
    for (let run = 0; run < 400; run++) {
      const arms: ArmSums[] = [
        { n: 0, sum: 0, sumSquares: 0 },
        { n: 0, sum: 0, sumSquares: 0 },
      ];
      let fixedFound = false;
      let seqFound = false;
      for (let look = 1; look <= 20; look++) {
        for (const arm of arms) {
          for (let i = 0; i < 100; i++) {
            const y = 10 + normal();
            arm.n += 1;
            arm.sum += y;
            arm.sumSquares += y * y;
          }
        }
        const eff = absoluteTTest(momentsOf(arms[0]!, 'mean'), momentsOf(arms[1]!, 'mean'), 0.05)!;
        if (eff.pValue < 0.05) fixedFound = true;
        if (sequentialTest(eff, arms[0]!.n + arms[1]!.n, 0.05, 5000).pValue < 0.05) seqFound = true;
      }
      if (fixedFound) fixedHits += 1;
      if (seqFound) seqHits += 1;
    }
    expect(fixedHits / 400).toBeGreaterThan(0.15);
    expect(seqHits / 400).toBeLessThanOrEqual(0.05);
  });
});

describe('Bayesian chance to win and risk', () => {
  it('chance to win is norm.sf(0), the risks are expected losses (scipy quad of max(0, ∓x)·φ), the interval norm.ppf', () => {
    for (const c of expected.bayes) {
      const r = bayesOfLift(c.mean, c.sd, c.alpha);
      close(r.chanceToWin, c.chanceToWin, 1e-9);
      close(r.riskVariant, c.riskVariant, 1e-8);
      close(r.riskBaseline, c.riskBaseline, 1e-8);
      close(r.credibleInterval[0], c.credibleInterval[0], 1e-9);
      close(r.credibleInterval[1], c.credibleInterval[1], 1e-9);
    }
  });
});

describe('sample ratio mismatch', () => {
  it('is Pearson’s chi-square against the weights (scipy.stats.chisquare), flagged below p = 0.001', () => {
    for (const c of expected.srm) {
      const r = sampleRatioCheck(c.observed, c.weights);
      close(r.chiSquare, c.chiSquare, 1e-12);
      close(r.pValue, c.pValue, 1e-6);
      expect(r.mismatch).toBe(c.pValue < 0.001);
    }
    expect(expected.srm.map((c: { pValue: number }) => c.pValue < 0.001)).toEqual([false, true, false, true]);
  });
});

describe('the analysis and its verdict', () => {
  const arm = (key: string, n: number, conversions: number, weight = 50) => ({ key, weight, sums: { n, sum: conversions, sumSquares: conversions } });

  it('names a winner in both languages when the lift is significant, with the numbers the rows hold', () => {
    const r = analyse([arm('control', 5000, 500), arm('treatment', 5000, 600)], 'proportion', 'control');
    const t = r.arms[1]!;
    expect([r.verdict.code, r.verdict.winner, t.verdict!.code, r.srm.mismatch, r.tooSmall]).toEqual(['winner', 'treatment', 'better', false, false]);
    expect(t.lift!.estimate).toBeCloseTo(0.2, 12);
    expect(t.chanceToWin!).toBeGreaterThan(0.99);
    expect(r.verdict.en).toContain('+20.0%');
    expect(r.verdict.zh).toContain('显著优于对照组');
  });

  it('puts a sample ratio mismatch before everything, and too little data before any winner', () => {
    const srm = analyse([arm('control', 5000, 500), arm('treatment', 5600, 700)], 'proportion', 'control');
    expect([srm.verdict.code, srm.srm.mismatch]).toEqual(['sample_ratio_mismatch', true]);
    const small = analyse([arm('control', 60, 6), arm('treatment', 60, 20)], 'proportion', 'control');
    expect([small.verdict.code, small.tooSmall, small.arms[1]!.verdict!.code]).toEqual(['too_small', true, 'too_small']);
    expect(small.verdict.zh).toContain('样本量不足');
  });

  it('uses CUPED when the arms carry a covariate, and the sequential interval when asked (wider than the fixed one)', () => {
    const e = expected.cuped;
    const arms = [
      { key: 'a', weight: 1, sums: e.a },
      { key: 'b', weight: 1, sums: e.b },
    ];
    const adjusted = analyse(arms, 'mean', 'a');
    close(adjusted.cupedTheta!, e.theta, 1e-9);
    close(adjusted.arms[1]!.lift!.estimate, e.relative.estimate, 1e-9);
    const plain = analyse(arms, 'mean', 'a', { ...DEFAULT_SETTINGS, cuped: false });
    expect(plain.cupedTheta).toBeNull();
    const seq = analyse(arms, 'mean', 'a', { ...DEFAULT_SETTINGS, sequential: true });
    const [lo, hi] = seq.arms[1]!.lift!.ci;
    expect(hi - lo).toBeGreaterThan(adjusted.arms[1]!.lift!.ci[1] - adjusted.arms[1]!.lift!.ci[0]);
  });
});
