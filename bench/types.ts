/** The options and results every benchmark shares (apart from the catalogue in index.ts, which imports the benchmarks). */

/** Options shared by every benchmark (from the command line). */
export interface BenchOptions {
  /** ingest: events to send. */
  events: number;
  /** ingest: concurrent HTTP clients. */
  concurrency: number;
  /** ingest: events per /v1/batch request (and rows per baseline transaction). */
  batch: number;
  /** identity: identifier links resolved in memory. */
  links: number;
  /** identity: links pushed through the database-backed path. */
  dbLinks: number;
  /** segments: live profiles generated. */
  profiles: number;
  /** segments: generated events per profile on average (the total is exact). */
  eventsPerProfile: number;
  /** segments: new events applied through applyEvents before the change feed runs. */
  incrementalEvents: number;
  /** wecom: external contacts of the sandbox corp for the full sync (200 staff; 0 skips it). */
  contacts: number;
  /** wecom: encrypted callbacks posted to `siyu serve` (0 skips them). */
  callbacks: number;
  /** loyalty: ledger postings (earn and spend, alternating) through the service, and as many raw rows for the baseline. */
  postings: number;
  /** surveys: answers the report runs over (a fifth of them, at least 1,000, through the answer path). */
  answers: number;
  /** experiments: exposed profiles per experiment. */
  exposed: number;
  /** insight: profiles generated (events: eventsPerProfile each on average). */
  insightProfiles: number;
  /** clv: synthetic customers simulated for the CLV fits. */
  customers: number;
  /** coupons: codes generated in one bulk request (and as many bare rows for the baseline). */
  codes: number;
  /** coupons: coupons issued and then redeemed through the service (and as many bare rows for the baseline). */
  redemptions: number;
  /** loyalty: due lots the expiry job expires (against a bare UPDATE of as many rows); 0 skips it. */
  expiryLots: number;
  /** loyalty: events the earning rules engine awards (against as many bare ledger postings); 0 skips it. */
  ruleEvents: number;
  /** retention: raw events older than the default period that the retention job purges (and a bare DELETE of as many). */
  oldEvents: number;
  /** demo: customers of the demo brand (a year of orders each). */
  demoCustomers: number;
  /** Seed for the generated data. */
  seed: number;
  /** PostgreSQL server to run on instead of embedded SQLite (a fresh database is created and dropped). */
  databaseUrl?: string;
  /** Parent directory for temporary data. */
  tmpDir: string;
  /** Keep the temporary data directory afterwards. */
  keep: boolean;
  /** ingest: run the server under `node --cpu-prof`, write the profile here and summarise it. */
  cpuProf?: string;
}

/** What a benchmark returns: its figures, for `--json`. */
export type BenchResult = Record<string, unknown>;
