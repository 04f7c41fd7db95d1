/**
 * Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value",
 * brucehardie.com/notes/025/; first in Fader, Hardie & Lee 2005, "RFM and CLV", JMR 42(4)):
 * a customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, so the
 * mean z̄ of x transactions has density
 * f(z̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q x^(px) z̄^(px−1) / (γ + x z̄)^(px+q).
 * Fitted on customers with x ≥ 1 repeat transactions and their mean repeat spend z̄.
 */
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import { maximiseLogLikelihood } from './optimise.js';

/** Gamma-Gamma parameters. */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** A customer's repeat transactions: how many (x ≥ 1) and their mean value z̄ (> 0). */
export interface Spend {
  x: number;
  mean: number;
}

/** The Gamma-Gamma log-likelihood: Σ ln f(z̄_i | p, q, γ, x_i) (the note, eq. 4). */
export function gammaGammaLogLikelihood(params: GammaGammaParams, data: readonly Spend[]): number {
  const { p, q, gamma } = params;
  const lnGammaQ = gammaln(q);
  const lnG = Math.log(gamma);
  let total = 0;
  for (const c of data) {
    const px = p * c.x;
    total += gammaln(px + q) - gammaln(px) - lnGammaQ + q * lnG + (px - 1) * Math.log(c.mean) + px * Math.log(c.x) - (px + q) * Math.log(gamma + c.x * c.mean);
  }
  return total;
}

/**
 * The gradient of {@link gammaGammaLogLikelihood} in (p, q, γ):
 * ∂p = Σ x [ψ(px+q) − ψ(px) + ln z̄ + ln x − ln(γ + x z̄)]; ∂q = Σ ψ(px+q) − ψ(q) + ln γ − ln(γ + x z̄);
 * ∂γ = Σ q/γ − (px+q)/(γ + x z̄).
 */
export function gammaGammaGradient(params: GammaGammaParams, data: readonly Spend[]): [number, number, number] {
  const { p, q, gamma } = params;
  const psiQ = digamma(q);
  const lnG = Math.log(gamma);
  const g: [number, number, number] = [0, 0, 0];
  for (const c of data) {
    const px = p * c.x;
    const psiPXQ = digamma(px + q);
    const lnDen = Math.log(gamma + c.x * c.mean);
    g[0] += c.x * (psiPXQ - digamma(px) + Math.log(c.mean) + Math.log(c.x) - lnDen);
    g[1] += psiPXQ - psiQ + lnG - lnDen;
    g[2] += q / gamma - (px + q) / (gamma + c.x * c.mean);
  }
  return g;
}

const ggOf = (v: number[]): GammaGammaParams => ({ p: v[0]!, q: v[1]!, gamma: v[2]! });

/** Fits the Gamma-Gamma model by maximum likelihood on customers with x ≥ 1 and z̄ > 0. */
export function fitGammaGamma(data: readonly Spend[], start: GammaGammaParams = { p: 1, q: 1, gamma: 1 }): { params: GammaGammaParams; logLikelihood: number } {
  const usable = data.filter((c) => c.x >= 1 && c.mean > 0);
  if (usable.length === 0) throw new Error('the Gamma-Gamma model needs at least one customer with a repeat purchase of positive value');
  const fit = maximiseLogLikelihood(
    (v) => gammaGammaLogLikelihood(ggOf(v), usable),
    (v) => gammaGammaGradient(ggOf(v), usable),
    [start.p, start.q, start.gamma],
    { scale: usable.length },
  );
  const [p, q, gamma] = fit.params as [number, number, number];
  return { params: { p, q, gamma }, logLikelihood: fit.logLikelihood };
}

/**
 * E(M | p, q, γ, x, z̄), the expected value of a customer's future transaction (the note, eq. 5):
 * a weighted mean of the population mean pγ/(q−1) and the customer's own z̄, with weight
 * px/(px+q−1) on z̄. With x = 0 it is the population mean (defined for q > 1).
 */
export function expectedOrderValue(params: GammaGammaParams, c: Spend): number {
  const { p, q, gamma } = params;
  const px = p * c.x;
  const populationMean = (p * gamma) / (q - 1);
  if (c.x === 0) return populationMean;
  return ((q - 1) / (px + q - 1)) * populationMean + (px / (px + q - 1)) * c.mean;
}
