/**
 * Correctness on the CDNOW sample (2,357 customers, 39-week calibration period 1997-01-01 to
 * 1997-09-30): our data preparation against the published summary files, our fits against the
 * published estimates to their printed precision, and our formulas against published examples.
 */
import { describe, expect, it } from 'vitest';
import { bgNbdLogLikelihood, conditionalExpectedPurchases, expectedPurchases, fitBgNbd, pAlive } from './bgnbd.js';
import { dayOf, readCdnowSample, readSummaryCsv } from './cdnow.fixture.js';
import { predictCustomer } from './clv.js';
import { expectedOrderValue, fitGammaGamma } from './gamma-gamma.js';
import { summarise } from './rfm.js';

const customers = summarise(readCdnowSample(), dayOf('19970930'));
const byId = new Map(customers.map((c) => [c.customer, c]));
/** |actual − expected| within half a unit of the last printed digit. */
const toPrinted = (actual: number, printed: number, decimals: number) => expect(Math.abs(actual - printed)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12);

describe('CDNOW data preparation (same-day purchases merged, weeks from the first purchase)', () => {
  it('derives the frequency, recency and T of cdnow_customers_summary.csv for every customer', () => {
    const rows = readSummaryCsv('cdnow_customers_summary.csv');
    expect(customers).toHaveLength(rows.length);
    expect(rows).toHaveLength(2357);
    for (const row of rows) {
      const c = byId.get(String(row.ID))!;
      expect(c.x, `customer ${row.ID}`).toBe(row.frequency);
      toPrinted(c.tx, row.recency!, 2);
      toPrinted(c.T, row.T!, 2);
    }
  });

  it('derives z̄, the mean of the repeat transactions, of cdnow_customers_summary_with_transactions.csv', () => {
    for (const row of readSummaryCsv('cdnow_customers_summary_with_transactions.csv')) {
      const c = byId.get(String(row.ID))!;
      expect(c.x).toBe(row.x);
      toPrinted(c.mean, row.zbar!, 2);
    }
    // 946 repeat buyers: the data set of the Gamma-Gamma note.
    expect(customers.filter((c) => c.x > 0)).toHaveLength(946);
  });
});

describe('BG/NBD on CDNOW (Fader, Hardie & Lee 2005, Marketing Science 24(2), section 4)', () => {
  const fit = fitBgNbd(customers);

  it('recovers the published estimates r = 0.243, α = 4.414, a = 0.793, b = 2.426 and LL = −9582.4', () => {
    toPrinted(fit.params.r, 0.243, 3);
    toPrinted(fit.params.alpha, 4.414, 3);
    toPrinted(fit.params.a, 0.793, 3);
    toPrinted(fit.params.b, 2.426, 3);
    toPrinted(fit.logLikelihood, -9582.4, 1);
    // The optimum is an optimum: the log-likelihood is lower a little away from it in every direction.
    for (const k of ['r', 'alpha', 'a', 'b'] as const) {
      for (const f of [0.99, 1.01]) expect(bgNbdLogLikelihood({ ...fit.params, [k]: fit.params[k] * f }, customers)).toBeLessThan(fit.logLikelihood);
    }
  });

  it("gives E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226, the paper's worked example (section 5, also Hardie's spreadsheet)", () => {
    toPrinted(conditionalExpectedPurchases(fit.params, { x: 2, tx: 30.43, T: 38.86 }, 39), 1.226, 3);
    // That customer is sample id 1 (x = 2, t_x = 30.43, T = 38.86 in the summary file).
    const c1 = byId.get('1')!;
    toPrinted(conditionalExpectedPurchases(fit.params, c1, 39), 1.226, 3);
  });

  it("gives the unconditional E[X(t)] of Hardie's BG/NBD spreadsheet (as checked by the lifetimes library's tests)", () => {
    const published: [number, number][] = [
      [0.1429, 0.0078],
      [1, 0.0532],
      [3, 0.1506],
      [31.8571, 1.0405],
      [32, 1.0437],
    ];
    for (const [t, e] of published) toPrinted(expectedPurchases(fit.params, t), e, 4);
    // At 78 weeks the sheet prints 1.8576; ours is 1.85796, as scipy.special.hyp2f1 with the same
    // parameters computes it (1.857958...): within 4e-4, so checked to 3 decimals.
    expect(Math.abs(expectedPurchases(fit.params, 78) - 1.8576)).toBeLessThan(5e-4);
  });

  it('P(alive) is 1 without repeat purchases and falls the longer a repeat buyer has been silent', () => {
    expect(pAlive(fit.params, { x: 0, tx: 0, T: 38.86 })).toBe(1);
    const recent = pAlive(fit.params, { x: 2, tx: 38, T: 38.86 });
    const silent = pAlive(fit.params, { x: 2, tx: 5, T: 38.86 });
    expect(recent).toBeGreaterThan(0.75);
    expect(silent).toBeLessThan(0.3);
    // The closed form against its definition: P(alive) = 1 / (1 + a/(b+x−1) ((α+T)/(α+t_x))^(r+x)).
    const { r, alpha, a, b } = fit.params;
    expect(silent).toBeCloseTo(1 / (1 + (a / (b + 1)) * ((alpha + 38.86) / (alpha + 5)) ** (r + 2)), 12);
  });
});

describe('Gamma-Gamma on CDNOW (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value", notes/025)', () => {
  // The note fits the 946 customers with at least one repeat purchase in the calibration period,
  // on the mean value of their repeat transactions (z̄; the first purchase is left out).
  const fit = fitGammaGamma(customers.filter((c) => c.x > 0));

  it('recovers the published estimates p = 6.25, q = 3.74, γ = 15.44', () => {
    toPrinted(fit.params.p, 6.25, 2);
    toPrinted(fit.params.q, 3.74, 2);
    toPrinted(fit.params.gamma, 15.44, 2);
  });

  it("gives the expected average transaction values of Hardie's notes/025 spreadsheet for the first ten customers", () => {
    // Sample ids 1..10, as quoted by the lifetimes library's tests (test_conditional_expected_average_profit).
    // The sheet works from the unrounded estimates and unrounded z̄ (customer 1: 22.345, printed 22.35):
    // with the rounded p, q, γ the population mean pγ/(q−1) would be 35.22, not the sheet's 35.17.
    const sheet = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    sheet.forEach((e, i) => toPrinted(expectedOrderValue(fit.params, byId.get(String(i + 1))!), e, 2));
  });

  it('prices a whole customer: CLV is E(M) times the discounted expected purchases, smaller with a higher discount rate', () => {
    const bg = fitBgNbd(customers).params;
    const c1 = byId.get('1')!;
    const low = predictCustomer(bg, fit.params, c1, { purchaseDays: 90, horizonMonths: 12, monthlyDiscount: 0 });
    const high = predictCustomer(bg, fit.params, c1, { purchaseDays: 90, horizonMonths: 12, monthlyDiscount: 0.05 });
    // Undiscounted, the 12 monthly steps add up to E[Y(360 days)] · E(M).
    expect(low.clv).toBeCloseTo(conditionalExpectedPurchases(bg, c1, 360 / 7) * low.expectedOrderValue, 9);
    expect(high.clv).toBeLessThan(low.clv);
    expect(low.expectedPurchases).toBeCloseTo(conditionalExpectedPurchases(bg, c1, 90 / 7), 12);
  });
});
