import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.js';
import { createStatisticsKeeper } from '../platform/db/statistics.js';
import type { Hub } from '../platform/hub.js';
import type { CdpHubEvents } from './hub-events.js';
import type { IngestDeps, WorkspaceIngestSettings } from './ingest.types.js';
import type { TrackedEvent } from './tracking.js';
import { type CommitContext, commitOrSplit, type Submission, type SubmitResult } from './writer.commit.js';

export type { SubmitResult } from './writer.commit.js';

/**
 * Group commit: concurrent submissions share one transaction, and each promise settles only
 * after the commit that holds its events. A resolved promise means the events are durable.
 */
export interface IngestWriter {
  submit(workspaceId: string, events: TrackedEvent[]): Promise<SubmitResult>;
  /** Runs `fn` in a transaction of its own with no other write interleaved (all-or-nothing imports). */
  exclusive<T>(fn: (trx: Database['db']) => Promise<T>): Promise<T>;
  /** Resolves when everything submitted so far is committed or failed, and no ANALYZE of the writer's is in flight. */
  drain(): Promise<void>;
  /**
   * For the end of a bulk write: runs the ANALYZE the rows written since the last call for now, on
   * PostgreSQL, so the planner knows a workspace's new rows before anyone queries them (see
   * src/platform/db/statistics.ts).
   */
  settleStatistics(): Promise<void>;
  /** Per-workspace settings as the writer sees them (cached). */
  settingsFor(workspaceId: string): Promise<WorkspaceIngestSettings>;
  /**
   * Start time (the clock of `deps.now`) of the oldest write transaction still open in this
   * process, if any: rows it writes carry times from then, so change feeds must not pass it.
   */
  oldestInFlight(): number | undefined;
}

type Item =
  | ({ kind: 'events' } & Submission)
  | { kind: 'exclusive'; fn: (trx: Database['db']) => Promise<unknown>; resolve: (r: unknown) => void; reject: (e: unknown) => void };

export interface WriterOptions {
  database: Database;
  deps: IngestDeps;
  settingsFor: (workspaceId: string) => Promise<WorkspaceIngestSettings>;
  log: Logger;
  /** Told `cdp.events-committed` after each commit, per workspace that stored events. */
  hub: Hub<CdpHubEvents>;
  /**
   * Most events per transaction. Measured on SQLite (2 cores): 2,000 keeps a commit under ~40 ms
   * while amortising per-transaction costs; larger groups did not raise throughput.
   */
  maxGroupEvents?: number;
  /**
   * Run ANALYZE on the ingest tables as they grow (default: where the dialect needs it, i.e.
   * PostgreSQL). Without table statistics the planner scans a whole workspace for each batch's
   * `message_id IN (...)` look-up (measured: 240 ms per 800 keys at 183,000 events); autovacuum
   * normally analyses, but it may be off or late behind a fast import. Same trigger as
   * autovacuum's: 10% growth plus 1,000 rows.
   */
  analyze?: boolean;
  /**
   * Groups committed at the same time. With one writer (SQLite), 1. With concurrent writers
   * (PostgreSQL): 2 by default, so the database works on one group while this process prepares the
   * next (row locks and retries keep concurrent groups correct, as with several processes).
   * Measured: see docs/scaling.md.
   */
  parallelGroups?: number;
}

/** Creates the group-commit writer (one per process). */
export function createIngestWriter(opts: WriterOptions): IngestWriter {
  const { database, log } = opts;
  const max = opts.maxGroupEvents ?? 2000;
  const queue: Item[] = [];
  const inFlight = inFlightTransactions(opts.deps.now);
  const stats = createStatisticsKeeper(database.db, {
    measure: 'events',
    tables: ANALYZED_TABLES,
    log,
    enabled: opts.analyze ?? database.dialect.needsAnalyze,
  });
  const ctx: CommitContext = { database, deps: opts.deps, settingsFor: opts.settingsFor, hub: opts.hub, stats, log, tracked: inFlight.tracked };
  const scheduler = createScheduler(queue, opts.parallelGroups ?? (database.dialect.concurrentWriters ? 2 : 1), log, () => flush(ctx, queue, max));

  return {
    submit(workspaceId, events) {
      if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
      return new Promise((resolve, reject) => {
        queue.push({ kind: 'events', workspaceId, events, resolve, reject });
        scheduler.schedule();
      });
    },
    exclusive<T>(fn: (trx: Database['db']) => Promise<T>) {
      return new Promise<T>((resolve, reject) => {
        // The item's result is the value `fn` resolved with, a T.
        queue.push({ kind: 'exclusive', fn, resolve: (r) => resolve(r as T), reject });
        scheduler.schedule();
      });
    },
    drain: async () => {
      await scheduler.drain();
      await stats.idle();
    },
    settleStatistics: () => stats.settle(),
    settingsFor: opts.settingsFor,
    oldestInFlight: inFlight.oldest,
  };
}

/** Start times of the write transactions open in this process. */
function inFlightTransactions(now: () => number) {
  const open = new Map<symbol, number>();
  return {
    async tracked<T>(fn: () => Promise<T>): Promise<T> {
      const key = Symbol();
      open.set(key, now());
      try {
        return await fn();
      } finally {
        open.delete(key);
      }
    },
    oldest(): number | undefined {
      let min: number | undefined;
      for (const t of open.values()) if (min === undefined || t < min) min = t;
      return min;
    },
  };
}

/**
 * Starts flushes on the next turn of the event loop, so submissions arriving meanwhile share
 * them: up to `parallel` at a time, an exclusive item alone once the flushes in flight finish.
 */
function createScheduler(queue: Item[], parallel: number, log: Logger, flushOne: () => Promise<void>) {
  let active = 0;
  let exclusiveRunning = false;
  let tick = false;
  let idle: (() => void)[] = [];
  const schedule = (): void => {
    if (tick || queue.length === 0) return;
    tick = true;
    setImmediate(() => {
      tick = false;
      while (queue.length && !exclusiveRunning && active < parallel) {
        const exclusive = queue[0]!.kind === 'exclusive';
        if (exclusive && active > 0) break; // runs alone, once the groups in flight finish
        exclusiveRunning = exclusive;
        active++;
        flushOne()
          .catch((err) => log.error({ err }, 'ingest writer flush failed'))
          .finally(() => {
            active--;
            if (exclusive) exclusiveRunning = false;
            if (queue.length) schedule();
            else if (active === 0) {
              const waiters = idle;
              idle = [];
              for (const w of waiters) w();
            }
          });
      }
    });
  };
  const drain = (): Promise<void> => {
    if (active === 0 && queue.length === 0) return Promise.resolve();
    return new Promise((r) => idle.push(r));
  };
  return { schedule, drain };
}

/**
 * Takes the head of the queue (synchronously, before any await, so the scheduler's next flush
 * sees the rest): an exclusive item, run alone, or a group of submissions up to `max` events.
 */
async function flush(ctx: CommitContext, queue: Item[], max: number): Promise<void> {
  const first = queue[0]!;
  if (first.kind === 'exclusive') {
    queue.shift();
    try {
      first.resolve(await ctx.tracked(() => ctx.database.db.transaction().execute((trx) => first.fn(trx))));
    } catch (err) {
      first.reject(err);
    }
    return;
  }
  const group: Submission[] = [];
  let n = 0;
  for (let next = queue[0]; next?.kind === 'events' && (group.length === 0 || n + next.events.length <= max); next = queue[0]) {
    queue.shift();
    group.push(next);
    n += next.events.length;
  }
  await commitOrSplit(ctx, group);
}

/** Analysed together as ingest grows them, measured by the events written. */
const ANALYZED_TABLES = ['events', 'identities', 'profiles', 'orders', 'profile_merges'];
