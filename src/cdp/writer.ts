import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Database, withRetries } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import { createStatisticsKeeper } from '../platform/db/statistics.js';
import { applyEvents, type IngestDeps, type WorkspaceIngestSettings } from './ingest.service.js';
import type { TrackedEvent } from './tracking.js';

/** Counts for one submission. */
export interface SubmitResult {
  stored: number;
  duplicates: number;
}

/**
 * Group commit: concurrent submissions share one transaction, and each promise settles only
 * after the commit that holds its events. A resolved promise means the events are durable.
 */
export interface IngestWriter {
  submit(workspaceId: string, events: TrackedEvent[]): Promise<SubmitResult>;
  /** Runs `fn` in a transaction of its own with no other write interleaved (all-or-nothing imports). */
  exclusive<T>(fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Resolves when everything submitted so far is committed or failed. */
  drain(): Promise<void>;
  /** Per-workspace settings as the writer sees them (cached). */
  settingsFor(workspaceId: string): Promise<WorkspaceIngestSettings>;
  /**
   * Start time (the clock of `deps.now`) of the oldest write transaction still open in this
   * process, if any: rows it writes carry times from then, so change feeds must not pass it.
   */
  oldestInFlight(): number | undefined;
  /** Registers a listener told about every committed group; returns a function removing it. */
  onCommitted(listener: CommitListener): () => void;
}

type Item =
  | { kind: 'events'; workspaceId: string; events: TrackedEvent[]; resolve: (r: SubmitResult) => void; reject: (e: unknown) => void }
  | { kind: 'exclusive'; fn: (trx: Kysely<DB>) => Promise<unknown>; resolve: (r: any) => void; reject: (e: unknown) => void };

export interface WriterOptions {
  database: Database;
  deps: IngestDeps;
  settingsFor: (workspaceId: string) => Promise<WorkspaceIngestSettings>;
  log: Logger;
  /**
   * Most events per transaction. Measured on SQLite (2 cores): 2,000 keeps a commit under ~40 ms
   * while amortising per-transaction costs; larger groups did not raise throughput.
   */
  maxGroupEvents?: number;
  /**
   * PostgreSQL only: run ANALYZE on the ingest tables as they grow (default on). Without table
   * statistics the planner scans a whole workspace for each batch's `message_id IN (...)` look-up
   * (measured: 240 ms per 800 keys at 183,000 events); autovacuum normally analyses, but it may be
   * off or late behind a fast import. Same trigger as autovacuum's: 10% growth plus 1,000 rows.
   */
  analyze?: boolean;
  /**
   * Groups committed at the same time. SQLite has one writer, so 1. PostgreSQL: 2 by default, so
   * the database works on one group while this process prepares the next (row locks and retries
   * keep concurrent groups correct, as with several processes). Measured: see docs/scaling.md.
   */
  parallelGroups?: number;
}

/** Called after each commit with what it stored, per workspace (segments re-evaluate these profiles). */
export type CommitListener = (workspaceId: string, committed: { profileIds: Set<string>; events: TrackedEvent[] }) => void;

/** Creates the group-commit writer (one per process). */
export function createIngestWriter(opts: WriterOptions): IngestWriter {
  const { database, deps, log } = opts;
  const max = opts.maxGroupEvents ?? 2000;
  const queue: Item[] = [];
  const parallel = opts.parallelGroups ?? (database.dialect.engine === 'postgres' ? 2 : 1);
  let active = 0;
  let exclusiveRunning = false;
  let tick = false;
  let idle: (() => void)[] = [];
  const listeners = new Set<CommitListener>();
  const inFlight = new Map<symbol, number>();
  const tracked = async <T>(fn: () => Promise<T>): Promise<T> => {
    const key = Symbol();
    inFlight.set(key, deps.now());
    try {
      return await fn();
    } finally {
      inFlight.delete(key);
    }
  };
  const stats = createStatisticsKeeper(database.db, {
    measure: 'events',
    tables: ANALYZED_TABLES,
    log,
    enabled: opts.analyze ?? database.dialect.engine === 'postgres',
  });

  // Starts groups on the next turn of the event loop, so submissions arriving meanwhile share them.
  const schedule = () => {
    if (tick || queue.length === 0) return;
    tick = true;
    setImmediate(() => {
      tick = false;
      while (queue.length && !exclusiveRunning && active < parallel) {
        const exclusive = queue[0]!.kind === 'exclusive';
        if (exclusive && active > 0) break; // runs alone, once the groups in flight finish
        exclusiveRunning = exclusive;
        active++;
        flush()
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

  async function commitGroup(group: Extract<Item, { kind: 'events' }>[]): Promise<SubmitResult[]> {
    const byWs = new Map<string, TrackedEvent[]>();
    for (const it of group) {
      const list = byWs.get(it.workspaceId) ?? [];
      list.push(...it.events);
      byWs.set(it.workspaceId, list);
    }
    const settings = new Map<string, WorkspaceIngestSettings>();
    for (const ws of byWs.keys()) settings.set(ws, await opts.settingsFor(ws));
    const storedIds = new Map<string, Set<string>>();
    const profiles = new Map<string, Set<string>>();
    await tracked(() =>
      withRetries(database, () =>
        database.db.transaction().execute(async (trx) => {
          storedIds.clear();
          profiles.clear();
          for (const [ws, events] of byWs) {
            const out = await applyEvents(trx, deps, ws, settings.get(ws)!, events);
            storedIds.set(ws, new Set(out.profileOf.keys()));
            profiles.set(ws, new Set(out.profileOf.values()));
          }
        }),
      ),
    );
    let total = 0;
    for (const [ws, ids] of storedIds) {
      total += ids.size;
      if (ids.size === 0 || listeners.size === 0) continue;
      const committed = { profileIds: profiles.get(ws)!, events: byWs.get(ws)!.filter((e) => ids.has(e.messageId)) };
      for (const l of listeners) {
        try {
          l(ws, committed);
        } catch (err) {
          log.error({ err }, 'commit listener failed');
        }
      }
    }
    stats.wrote(total);
    // Attribute stored events to the first submission that carried them.
    return group.map((it) => {
      const ids = storedIds.get(it.workspaceId)!;
      let stored = 0;
      for (const e of it.events) if (ids.delete(e.messageId)) stored++;
      return { stored, duplicates: it.events.length - stored };
    });
  }

  async function flush(): Promise<void> {
    const first = queue[0]!;
    if (first.kind === 'exclusive') {
      queue.shift();
      try {
        first.resolve(await tracked(() => database.db.transaction().execute((trx) => first.fn(trx))));
      } catch (err) {
        first.reject(err);
      }
      return;
    }
    const group: Extract<Item, { kind: 'events' }>[] = [];
    let n = 0;
    while (queue.length && queue[0]!.kind === 'events' && (group.length === 0 || n + (queue[0] as any).events.length <= max)) {
      const it = queue.shift() as Extract<Item, { kind: 'events' }>;
      group.push(it);
      n += it.events.length;
    }
    try {
      const results = await commitGroup(group);
      group.forEach((it, i) => it.resolve(results[i]!));
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // One bad submission must not fail its neighbours: commit each alone.
      log.warn({ err, submissions: group.length }, 'group commit failed; committing submissions one by one');
      for (const it of group) {
        try {
          it.resolve((await commitGroup([it]))[0]!);
        } catch (e) {
          it.reject(e);
        }
      }
    }
  }

  return {
    submit(workspaceId, events) {
      if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
      return new Promise((resolve, reject) => {
        queue.push({ kind: 'events', workspaceId, events, resolve, reject });
        schedule();
      });
    },
    exclusive(fn) {
      return new Promise((resolve, reject) => {
        queue.push({ kind: 'exclusive', fn, resolve, reject });
        schedule();
      });
    },
    drain() {
      if (active === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((r) => idle.push(r));
    },
    settingsFor: opts.settingsFor,
    oldestInFlight() {
      let min: number | undefined;
      for (const t of inFlight.values()) if (min === undefined || t < min) min = t;
      return min;
    },
    onCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Analysed together as ingest grows them, measured by the events written. */
const ANALYZED_TABLES = ['events', 'identities', 'profiles', 'orders', 'profile_merges'];
