/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way: An Alternative to the
 * Pareto/NBD Model", Marketing Science 24(2)): while alive a customer buys as a Poisson process of
 * rate λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b).
 * A customer is summarised by x (repeat purchases), t_x (time of the last one since the first)
 * and T (time from the first purchase to the end of the calibration period), all in one unit.
 */
import betaln from '@stdlib/math-base-special-betaln';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { maximiseLogLikelihood } from './optimise.js';

/** BG/NBD parameters. */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** One customer's repeat-purchase summary (see the module comment). */
export interface Rfm {
  x: number;
  tx: number;
  T: number;
}

/** log(e^u + e^v) without overflow. */
export function logAddExp(u: number, v: number): number {
  const m = Math.max(u, v);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(u - m) + Math.exp(v - m));
}

/**
 * The BG/NBD log-likelihood (paper, eq. 6, in log form):
 * ln L_i = ln B(a, b+x) − ln B(a, b) + ln Γ(r+x) − ln Γ(r) + r ln α
 *          + ln[ (α+T)^−(r+x) + δ_{x>0} a/(b+x−1) (α+t_x)^−(r+x) ].
 * The terms that depend on x alone are computed once per distinct x (a customer base has few).
 */
export function bgNbdLogLikelihood(p: BgNbdParams, data: readonly Rfm[]): number {
  const { r, alpha, a, b } = p;
  const byX = new Map<number, number>();
  const lnAlpha = Math.log(alpha);
  let total = 0;
  for (const c of data) {
    let head = byX.get(c.x);
    if (head === undefined) {
      head = betaln(a, b + c.x) - betaln(a, b) + gammaln(r + c.x) - gammaln(r) + r * lnAlpha;
      byX.set(c.x, head);
    }
    const stay = -(r + c.x) * Math.log(alpha + c.T);
    const gone = c.x > 0 ? Math.log(a) - Math.log(b + c.x - 1) - (r + c.x) * Math.log(alpha + c.tx) : -Infinity;
    total += head + logAddExp(stay, gone);
  }
  return total;
}

/**
 * The gradient of {@link bgNbdLogLikelihood} in (r, α, a, b). With w the share of the
 * "dropped out after t_x" term in the last logarithm (0 when x = 0) and ψ the digamma function:
 * ∂r = ψ(r+x) − ψ(r) + ln α − (1−w) ln(α+T) − w ln(α+t_x);
 * ∂α = r/α − (r+x) [(1−w)/(α+T) + w/(α+t_x)];
 * ∂a = ψ(a+b) − ψ(a+b+x) + w/a;  ∂b = ψ(b+x) − ψ(a+b+x) − ψ(b) + ψ(a+b) − w/(b+x−1).
 */
export function bgNbdGradient(p: BgNbdParams, data: readonly Rfm[]): [number, number, number, number] {
  const { r, alpha, a, b } = p;
  const byX = new Map<number, [number, number, number]>();
  const psiR = digamma(r);
  const psiAB = digamma(a + b);
  const psiB = digamma(b);
  const lnAlpha = Math.log(alpha);
  const g: [number, number, number, number] = [0, 0, 0, 0];
  for (const c of data) {
    let perX = byX.get(c.x);
    if (perX === undefined) {
      const psiABX = digamma(a + b + c.x);
      perX = [digamma(r + c.x) - psiR + lnAlpha, psiAB - psiABX, digamma(b + c.x) - psiABX - psiB + psiAB];
      byX.set(c.x, perX);
    }
    const stay = -(r + c.x) * Math.log(alpha + c.T);
    const gone = c.x > 0 ? Math.log(a) - Math.log(b + c.x - 1) - (r + c.x) * Math.log(alpha + c.tx) : -Infinity;
    const w = c.x > 0 ? Math.exp(gone - logAddExp(stay, gone)) : 0;
    g[0] += perX[0] - (1 - w) * Math.log(alpha + c.T) - w * Math.log(alpha + c.tx);
    g[1] += r / alpha - (r + c.x) * ((1 - w) / (alpha + c.T) + w / (alpha + c.tx));
    g[2] += perX[1] + w / a;
    g[3] += perX[2] - (c.x > 0 ? w / (b + c.x - 1) : 0);
  }
  return g;
}

const bgOf = (v: number[]): BgNbdParams => ({ r: v[0]!, alpha: v[1]!, a: v[2]!, b: v[3]! });

/** Fits BG/NBD by maximum likelihood; returns the parameters and the log-likelihood at them. */
export function fitBgNbd(data: readonly Rfm[], start: BgNbdParams = { r: 1, alpha: 1, a: 1, b: 1 }): { params: BgNbdParams; logLikelihood: number } {
  if (data.length === 0) throw new Error('BG/NBD needs at least one customer');
  const fit = maximiseLogLikelihood(
    (v) => bgNbdLogLikelihood(bgOf(v), data),
    (v) => bgNbdGradient(bgOf(v), data),
    [start.r, start.alpha, start.a, start.b],
    { scale: data.length },
  );
  const [r, alpha, a, b] = fit.params as [number, number, number, number];
  return { params: { r, alpha, a, b }, logLikelihood: fit.logLikelihood };
}

/**
 * P(alive | x, t_x, T) = 1 / (1 + δ_{x>0} a/(b+x−1) ((α+T)/(α+t_x))^(r+x))
 * (Fader, Hardie & Lee 2008 note "Computing P(alive) using the BG/NBD model", eq. 2); computed in
 * log space. A customer with no repeat purchase is alive by the model's construction (no chance
 * to drop out yet).
 */
export function pAlive(p: BgNbdParams, c: Rfm): number {
  if (c.x === 0) return 1;
  const lnOdds = Math.log(p.a) - Math.log(p.b + c.x - 1) + (p.r + c.x) * (Math.log(p.alpha + c.T) - Math.log(p.alpha + c.tx));
  return 1 / (1 + Math.exp(lnOdds));
}

/**
 * E[X(t)], the expected number of repeat purchases in (0, t] of a new customer (paper, eq. 7):
 * (a+b−1)/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))].
 */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  const { r, alpha, a, b } = p;
  const power = Math.exp(r * (Math.log(alpha) - Math.log(alpha + t)));
  return ((a + b - 1) / (a - 1)) * (1 - power * hyp2f1(r, b, a + b - 1, t / (alpha + t)));
}

/**
 * E[Y(t) | x, t_x, T], the expected purchases in the next t of a customer with this history
 * (paper, eq. 10):
 * [(a+b+x−1)/(a−1)] [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
 *   / [1 + δ_{x>0} a/(b+x−1) ((α+T)/(α+t_x))^(r+x)].
 */
export function conditionalExpectedPurchases(p: BgNbdParams, c: Rfm, t: number): number {
  const { r, alpha, a, b } = p;
  if (t <= 0) return 0;
  const power = Math.exp((r + c.x) * (Math.log(alpha + c.T) - Math.log(alpha + c.T + t)));
  const f = hyp2f1(r + c.x, b + c.x, a + b + c.x - 1, t / (alpha + c.T + t));
  const numerator = ((a + b + c.x - 1) / (a - 1)) * (1 - power * f);
  return numerator * pAlive(p, c);
}
