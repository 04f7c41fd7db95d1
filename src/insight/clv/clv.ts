/**
 * Per-customer predictions from a fitted BG/NBD and Gamma-Gamma pair: P(alive), expected
 * purchases in the next N days, expected order value and a discounted lifetime value.
 */
import { type BgNbdParams, conditionalExpectedPurchases, pAlive, type Rfm } from './bgnbd.js';
import { expectedOrderValue, type GammaGammaParams, type Spend } from './gamma-gamma.js';

/** What the CLV of {@link predictCustomer} covers. */
export interface ClvOptions {
  /** Days ahead for the expected purchase count (default 90). */
  purchaseDays: number;
  /** Months of the CLV horizon (default 12). */
  horizonMonths: number;
  /** Discount rate per month (default 0.01, about 12.7% a year). */
  monthlyDiscount: number;
}

/** The defaults of {@link ClvOptions}. */
export const DEFAULT_CLV_OPTIONS: ClvOptions = Object.freeze({ purchaseDays: 90, horizonMonths: 12, monthlyDiscount: 0.01 });

/** A customer's predictions (values in the unit of the spend data, e.g. fen). */
export interface Prediction {
  pAlive: number;
  expectedPurchases: number;
  expectedOrderValue: number;
  clv: number;
}

const WEEKS_PER_MONTH = 30 / 7;

/**
 * Discounted CLV as a monthly sum (the approximation the `lifetimes` library uses, stated in
 * docs/insight-clv.md): CLV = Σ_{i=1..H} E(M) · (E[Y(i·m)] − E[Y((i−1)·m)]) / (1 + d)^i, with
 * m = 30 days, E[Y(t)] the BG/NBD conditional expectation and E(M) the Gamma-Gamma expected
 * order value; month i's purchases are discounted as if made at its end.
 */
export function discountedClv(bg: BgNbdParams, c: Rfm, orderValue: number, o: Pick<ClvOptions, 'horizonMonths' | 'monthlyDiscount'>): number {
  let clv = 0;
  let before = 0;
  for (let i = 1; i <= o.horizonMonths; i++) {
    const upTo = conditionalExpectedPurchases(bg, c, i * WEEKS_PER_MONTH);
    clv += (orderValue * (upTo - before)) / Math.pow(1 + o.monthlyDiscount, i);
    before = upTo;
  }
  return clv;
}

/** Every prediction for one customer (their BG/NBD summary in weeks and their repeat spend). */
export function predictCustomer(bg: BgNbdParams, gg: GammaGammaParams, c: Rfm & Spend, o: ClvOptions = DEFAULT_CLV_OPTIONS): Prediction {
  const orderValue = expectedOrderValue(gg, c);
  return {
    pAlive: pAlive(bg, c),
    expectedPurchases: conditionalExpectedPurchases(bg, c, o.purchaseDays / 7),
    expectedOrderValue: orderValue,
    clv: discountedClv(bg, c, orderValue, o),
  };
}
