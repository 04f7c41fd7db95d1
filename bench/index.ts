/**
 * The benchmark catalogue behind `siyu bench` (`npm run bench -- NAME`). Each benchmark measures
 * Siyu against a baseline in the same run and prints PASS/MISS per target; see bench/README.md.
 */

export { interrupted } from './support/cleanup.js';

import type { BenchOptions, BenchResult } from './types.js';

export type { BenchOptions, BenchResult } from './types.js';

/** A runnable benchmark. */
export interface Benchmark {
  name: string;
  summary: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}

/** Every benchmark, loaded lazily so `siyu bench` with no name stays quick. */
export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'ingest',
    summary:
      'events over HTTP (/v1/batch, concurrent clients, identity resolution) vs raw prepared inserts; targets ≥0.3× baseline, ≥20,000 events/s, peak RSS <400 MB',
    run: async (o) => (await import('./ingest.js')).runIngestBench(o),
  },
  {
    name: 'identity',
    summary: 'IdentityGraph resolving identifier links vs a plain in-memory union-find (target within 3×), plus the database-backed applyEvents path',
    run: async (o) => (await import('./identity.js')).runIdentityBench(o),
  },
  {
    name: 'segments',
    summary:
      'full recompute of five typical segments vs hand-written SQL (target within 1.5×) and incremental updates of 20 live segments (target ≥10,000 events/s on SQLite), over generated profiles and events',
    run: async (o) => (await import('./segments.js')).runSegmentsBench(o),
  },
  {
    name: 'wecom',
    summary:
      'full sync of a sandbox WeCom corp (200 staff, 200,000 customers) over HTTP into One ID profiles: time, contacts/s, peak RSS vs raw insertMany of the same rows; callback acceptance (verify + decrypt + durable enqueue) over HTTP: callbacks/s, p50/p99, peak RSS vs a bare SHA-1 + AES loop (--contacts 0 for callbacks only, --callbacks 0 for the sync only)',
    run: async (o) => (await import('./wecom.js')).runWeComBench(o),
  },
  {
    name: 'cli',
    summary:
      'how fast `siyu` starts: `siyu --help` and `npm start` to an answering /health (compiled build) vs a bare `node -e 0` in the same run; targets --help < 0.5 s, start < 3 s',
    run: async (o) => (await import('./cli.js')).runCliBench(o),
  },
  {
    name: 'journeys',
    summary:
      'up to 100,000 profiles (--profiles) through a 4-step journey (wait, branch, send, wait-for-event) with a virtual clock: steps/s and sends/s on SQLite and, with --database-url, PostgreSQL with 1 and 2 worker processes, vs bare row updates; targets ≥5,000 steps/s (SQLite), 2 workers ≥1.6× one',
    run: async (o) => (await import('./journeys.js')).runJourneysBench(o),
  },
  {
    name: 'loyalty',
    summary:
      'points ledger: --postings earn/spend postings (one transaction each, --concurrency clients over 1,000 members) through the service vs bare inserts of the same rows (entry, event, account), in turn in the same run, and `verify` over the result; targets ≥0.5× the bare rows, ≥1,000 postings/s on SQLite; 1,000 concurrent redemptions against one member (timed, must never overdraw or double-spend); then the expiry job over --expiry-lots due lots vs a bare UPDATE, and the earning rules over --rule-events events vs bare postings; peak RSS',
    run: async (o) => (await import('./loyalty.js')).runLoyaltyBench(o),
  },
  {
    name: 'surveys',
    summary:
      'survey answers through the whole answer path (signed link, checks, answer, traits, timeline events) vs bare one-row inserts; the NPS/CSAT/CES report over --answers rows vs the same breakdowns hand-written (target ≤1.5×, same counts)',
    run: async (o) => (await import('./surveys.js')).runSurveysBench(o),
  },
  {
    name: 'experiments',
    summary:
      "an experiment's results over --exposed profiles (default 100,000): conversion and net revenue with CUPED, through the insight service vs a hand-written SQL aggregate of the same sums; target within 1.5×",
    run: async (o) => (await import('./experiments.js')).runExperimentsBench(o),
  },
  {
    name: 'insight',
    summary:
      'the metric set (sales, repurchase, LTV cohorts, new profiles), a 4-step funnel and monthly retention cohorts over a year of --insight-profiles profiles and 10× as many events, each vs a hand-written SQL query for the same numbers in the same run; targets ≤1.5× of it, and under 2 s on PostgreSQL',
    run: async (o) => (await import('./insight.js')).runInsightBench(o),
  },
  {
    name: 'clv',
    summary:
      'BG/NBD + Gamma-Gamma maximum-likelihood fits over --customers customers simulated with known parameters (printed recovered vs true) vs one log-likelihood + gradient pass in the same run; targets both fits < 10 s at 100,000, parameters within 15%, mean dropout and rate within 5%; then the whole scheduled job on SQLite or --database-url PostgreSQL vs reading the order rows',
    run: async (o) => (await import('./clv.js')).runClvBench(o),
  },
  {
    name: 'coupons',
    summary:
      'coupons: bulk generation of --codes codes (one request; target 100,000 in seconds) vs bare insertMany of the same rows, and --redemptions issues and redemptions (one transaction each, --concurrency clients) vs bare inserts/updates of the same rows; target redemptions ≥0.5× baseline; peak RSS',
    run: async (o) => (await import('./coupons.js')).runCouponsBench(o),
  },
  {
    name: 'retention',
    summary:
      'the retention job purging --old-events old raw events (default 200,000; delivery events and archive lines among them) in batches of 2,000 vs a bare DELETE of the same rows in one transaction, same run; targets ≥0.3× its rate, no job transaction over 1 s',
    run: async (o) => (await import('./retention.js')).runRetentionBench(o),
  },
  {
    name: 'demo',
    summary:
      'loading the demo brand (--customers, default 20,000, with a year of orders; models, segments, templates, journeys, a broadcast) vs importing the same rows alone in the same run; target < 60 s',
    run: async (o) => (await import('./demo.js')).runDemoBench(o),
  },
];
