/**
 * `siyu bench clv`: the BG/NBD + Gamma-Gamma maximum-likelihood fits over `--customers` synthetic
 * customers drawn from the models' own processes with known parameters (CDNOW's published
 * estimates), which the fits must recover; against the same run's baseline, one pass of the
 * BG/NBD log-likelihood and its gradient over the same customers (a fit is a number of such passes).
 */
import { cpus, totalmem } from 'node:os';
import { bgNbdGradient, bgNbdLogLikelihood, type BgNbdParams, fitBgNbd, type Rfm } from '../src/insight/clv/bgnbd.js';
import { fitGammaGamma, type GammaGammaParams, type Spend } from '../src/insight/clv/gamma-gamma.js';
import { predictCustomer } from '../src/insight/clv/clv.js';
import { type History, runClvJobBench } from './clv-job.js';
import type { BenchOptions, BenchResult } from './types.js';
import { heading, num, secs, table, targets } from './support/report.js';

/** The true parameters: Fader, Hardie & Lee's CDNOW estimates (weeks; dollars). */
const TRUE_BG: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const TRUE_GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

/** A seeded uniform generator on (0, 1) (mulberry32). */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** Gamma(shape, rate) draws (Marsaglia & Tsang 2000; shape < 1 by the u^(1/shape) boost). */
function gammas(u: () => number): (shape: number, rate: number) => number {
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const draw = (shape: number): number => {
    if (shape < 1) return draw(shape + 1) * Math.pow(u(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = normal();
      const v = (1 + c * z) ** 3;
      if (v > 0 && Math.log(u()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  return (shape, rate) => draw(shape) / rate;
}

/**
 * Customers from the BG/NBD process: λ ~ Gamma(r, α), p ~ Beta(a, b); purchases at Poisson(λ)
 * times after the first, a dropout with probability p after each repeat; T uniform on 1-52 weeks.
 * Each transaction's value ~ Gamma(p, ν) with ν ~ Gamma(q, γ).
 */
export function simulateHistories(n: number, seed: number): History[] {
  const u = uniforms(seed);
  const gamma = gammas(u);
  const out: History[] = [];
  for (let i = 0; i < n; i++) {
    const lambda = gamma(TRUE_BG.r, TRUE_BG.alpha);
    const ga = gamma(TRUE_BG.a, 1);
    const dropout = ga / (ga + gamma(TRUE_BG.b, 1));
    const nu = gamma(TRUE_GG.q, TRUE_GG.gamma);
    const h: History = { T: 1 + 51 * u(), times: [0], values: [gamma(TRUE_GG.p, nu)] };
    for (let t = 0; ;) {
      t += -Math.log(u()) / lambda;
      if (t > h.T) break;
      h.times.push(t);
      h.values.push(gamma(TRUE_GG.p, nu));
      if (u() < dropout) break;
    }
    out.push(h);
  }
  return out;
}

/** The models' summary of a history: x, t_x, T and the mean repeat value. */
export function summaryOf(h: History): Rfm & Spend {
  const x = h.times.length - 1;
  const repeat = h.values.slice(1).reduce((a, v) => a + v, 0);
  return { x, tx: h.times[x]!, T: h.T, mean: x > 0 ? repeat / x : 0 };
}

const time = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
};

/** The benchmark (see the file comment). */
export async function runClvBench(o: BenchOptions): Promise<BenchResult> {
  const n = o.customers;
  heading('siyu bench clv');
  table(
    [
      ['setting', 'value'],
      ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
      [
        'customers',
        `${num(n)} simulated from BG/NBD r=${TRUE_BG.r} α=${TRUE_BG.alpha} a=${TRUE_BG.a} b=${TRUE_BG.b}, Gamma-Gamma p=${TRUE_GG.p} q=${TRUE_GG.q} γ=${TRUE_GG.gamma} (seed ${o.seed})`,
      ],
    ],
    ['l', 'l'],
  );
  const [histories, simMs] = time(() => simulateHistories(n, o.seed));
  const customers = histories.map(summaryOf);
  const repeat = customers.filter((c) => c.x > 0);
  // Baseline: one log-likelihood pass and one gradient pass at the true parameters (median of 5).
  const passes = Array.from({ length: 5 }, () => time(() => (bgNbdLogLikelihood(TRUE_BG, customers), bgNbdGradient(TRUE_BG, customers)))[1]).sort(
    (a, b) => a - b,
  );
  const passMs = passes[2]!;
  const [bg, bgMs] = time(() => fitBgNbd(customers));
  const [gg, ggMs] = time(() => fitGammaGamma(repeat));
  const [, predictMs] = time(() => customers.map((c) => predictCustomer(bg.params, gg.params, c)));
  const rel = (fit: number, truth: number) => Math.abs(fit - truth) / truth;
  const rows: [string, number, number][] = [
    ['r', TRUE_BG.r, bg.params.r],
    ['alpha', TRUE_BG.alpha, bg.params.alpha],
    ['a', TRUE_BG.a, bg.params.a],
    ['b', TRUE_BG.b, bg.params.b],
    ['p', TRUE_GG.p, gg.params.p],
    ['q', TRUE_GG.q, gg.params.q],
    ['gamma', TRUE_GG.gamma, gg.params.gamma],
  ];
  table(
    [['parameter', 'true', 'recovered', 'error'], ...rows.map(([k, t, f]) => [k, String(t), f.toFixed(4), `${(100 * rel(f, t)).toFixed(1)}%`])],
    ['l', 'r', 'r', 'r'],
  );
  const fitMs = bgMs + ggMs;
  table(
    [
      ['step', 'time', 'vs one LL+gradient pass'],
      ['simulate the customers', secs(simMs), ''],
      ['baseline: one BG/NBD log-likelihood + gradient pass', secs(passMs), '1×'],
      [`BG/NBD fit (${num(n)} customers)`, secs(bgMs), `${num(bgMs / passMs, 1)}×`],
      [`Gamma-Gamma fit (${num(repeat.length)} repeat customers)`, secs(ggMs), `${num(ggMs / passMs, 1)}×`],
      ['predictions (P(alive), 90-day purchases, 12-month CLV) for all', secs(predictMs), `${num(predictMs / passMs, 1)}×`],
    ],
    ['l', 'r', 'r'],
  );
  const worst = Math.max(...rows.map(([, t, f]) => rel(f, t)));
  const dropout = (p: BgNbdParams) => p.a / (p.a + p.b);
  const implied = Math.max(rel(dropout(bg.params), dropout(TRUE_BG)), rel(bg.params.r / bg.params.alpha, TRUE_BG.r / TRUE_BG.alpha));
  targets([
    { target: `both fits at ${num(n)} customers < 10 s`, measured: secs(fitMs), pass: n >= 100_000 ? fitMs < 10_000 : undefined },
    // a and b are estimated with strongly correlated errors (their ratio, the mean dropout, is what
    // the data pin down): over seeds 1, 2, 3 and 42 at 100,000 customers they were off by up to 10%.
    { target: 'every parameter recovered within 15%', measured: `${(100 * worst).toFixed(1)}% worst`, pass: n >= 100_000 ? worst < 0.15 : undefined },
    {
      target: 'mean dropout a/(a+b) and mean weekly rate r/α within 5%',
      measured: `${(100 * implied).toFixed(1)}% worst`,
      pass: n >= 100_000 ? implied < 0.05 : undefined,
    },
  ]);
  const job = await runClvJobBench(o, histories);
  return { customers: n, repeatCustomers: repeat.length, passMs, bgMs, ggMs, predictMs, bg, gg, worstRelativeError: worst, job };
}
