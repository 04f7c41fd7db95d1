/**
 * Maximum likelihood by quasi-Newton minimisation (BFGS, numeric.js's `uncmin`) over the log of
 * each parameter, so every parameter stays positive without bounds and the steps are scale-free.
 */
import numeric from 'numeric';

/** The result of {@link maximiseLogLikelihood}. */
export interface MaxLikelihood {
  /** The parameters at the maximum (positive). */
  params: number[];
  /** The log-likelihood there. */
  logLikelihood: number;
  /** Optimiser iterations used over all restarts. */
  iterations: number;
}

/**
 * Maximises `logLik` (with its `gradient`) over positive parameters, starting from `start` and restarting from the
 * previous optimum until the log-likelihood stops improving (BFGS from a poor start can stop on a
 * flat stretch; a restart rebuilds its curvature estimate). Throws when no finite value is found.
 */
export function maximiseLogLikelihood(
  logLik: (params: number[]) => number,
  gradient: (params: number[]) => number[],
  start: number[],
  opts: { tol?: number; maxit?: number; scale?: number } = {},
): MaxLikelihood {
  // The mean, not the sum, per observation (`scale`): BFGS's first step is the plain gradient
  // (its inverse Hessian starts as the identity), and the sum's gradient over 100,000 customers
  // threw the first step to α ≈ 1e86, where the likelihood is flat and the search stopped.
  const scale = opts.scale ?? 1;
  // Outside e^±25 a parameter means nothing for these models: such a trial point is infinitely
  // bad, and so is a non-finite value (overflow at an absurd point); the line search steps back.
  const outside = (logParams: number[]) => logParams.some((v) => !(Math.abs(v) <= 25));
  const negative = (logParams: number[]) => {
    if (outside(logParams)) return 1e300;
    const v = -logLik(logParams.map(Math.exp)) / scale;
    return Number.isFinite(v) ? v : 1e300;
  };
  // The analytic gradient, by the chain rule d/d(ln θ) = θ d/dθ. A finite-difference gradient
  // (uncmin's default) stalled on CDNOW with α = 4.4133 where the maximum is at 4.4136: the
  // likelihood is that flat, and differences of a 9,582-sized sum lose the digits that matter.
  const negativeGradient = (logParams: number[]) => {
    const params = logParams.map(Math.exp);
    return gradient(params).map((g, i) => (-g * params[i]!) / scale);
  };
  let x = start.map(Math.log);
  let best = negative(x);
  let iterations = 0;
  for (let restart = 0; restart < 4; restart++) {
    const r = numeric.uncmin(negative, x, opts.tol ?? 1e-12, negativeGradient, opts.maxit ?? 1000);
    iterations += r.iterations;
    const improved = (best - r.f) * scale;
    if (r.f <= best) {
      x = r.solution;
      best = r.f;
    }
    if (!(improved > 1e-9)) break;
  }
  if (!(best < 1e300)) throw new Error(`the likelihood is not finite near the start ${JSON.stringify(start)}`);
  return { params: x.map(Math.exp), logLikelihood: -best * scale, iterations };
}
