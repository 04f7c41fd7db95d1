/**
 * The benchmark catalogue behind `siyu bench` (`npm run bench -- NAME`). Each benchmark measures
 * Siyu against a baseline in the same run and prints PASS/MISS per target; see bench/README.md.
 */

export { interrupted } from './support/cleanup.js';

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
    summary: 'events over HTTP (/v1/batch, concurrent clients, identity resolution) vs raw prepared inserts; targets ≥0.3× baseline, ≥20,000 events/s, peak RSS <400 MB',
    run: async (o) => (await import('./ingest.js')).runIngestBench(o),
  },
  {
    name: 'identity',
    summary: 'IdentityGraph resolving identifier links vs a plain in-memory union-find (target within 3×), plus the database-backed applyEvents path',
    run: async (o) => (await import('./identity.js')).runIdentityBench(o),
  },
  {
    name: 'segments',
    summary: 'full recompute of five typical segments vs hand-written SQL (target within 1.5×) and incremental updates of 20 live segments (target ≥10,000 events/s on SQLite), over generated profiles and events',
    run: async (o) => (await import('./segments.js')).runSegmentsBench(o),
  },
];
