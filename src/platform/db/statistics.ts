import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';

/** Keeps PostgreSQL's planner statistics of tables that a process grows (see {@link createStatisticsKeeper}). */
export interface StatisticsKeeper {
  /**
   * Counts rows written (inserted, updated or deleted) to the measured table, for one workspace when
   * given; may start an ANALYZE in the background.
   */
  wrote(n: number, workspaceId?: string): void;
  /** Settles when no ANALYZE of this keeper is in flight. */
  idle(): Promise<void>;
  /**
   * For the end of a bulk write (an import): waits for an ANALYZE in flight, then runs the one the
   * writes counted since call for, whatever the time since the last, and settles when it is done.
   */
  settle(): Promise<void>;
}

export interface StatisticsKeeperOptions {
  /** The table whose writes are counted and whose size sets the threshold. */
  measure: string;
  /** The tables analysed together (default: the measured one). */
  tables?: readonly string[];
  /** Off: `wrote` does nothing (SQLite, or a caller that analyses itself). Default on. */
  enabled?: boolean;
  log?: Logger;
  /** Least time between two ANALYZEs called for by one workspace's writes alone (default 30 s). */
  workspaceSpacingMs?: number;
  /** The clock, for that spacing (default Date.now). */
  now?: () => number;
}

/** What the planner knew at the last ANALYZE: the table's rows, and its estimate of each workspace's rows. */
interface Known {
  rows: number;
  /** Rows of the workspaces in the column's most-common-values list. */
  top: Map<string, number>;
  /** The planner's estimate for any other workspace. */
  other: number;
}

/**
 * PostgreSQL plans by statistics; a table grown by bulk writes keeps those of its former size
 * until autovacuum gets to it, which may be late or off (measured: the segment feed's deletes
 * took 9.45 s instead of about 1 s without them). Two triggers, each 1,000 rows plus 10% of what
 * the planner believes (autovacuum's own rule), counted from the last ANALYZE:
 *
 * - the whole table: rows written past 1,000 + 10% of its `reltuples`;
 * - one workspace: its rows written past 1,000 + 10% of the planner's estimate of that workspace's
 *   rows (`pg_stats` of `workspace_id`). A new brand importing 70,000 orders into a table of
 *   millions passes no table-wide threshold, yet the planner, believing the workspace empty, chose
 *   plans that ran a segment preview into its 10 s limit (measured, issue #20; 0.3 s analysed).
 *   Spaced by `workspaceSpacingMs`, so many small workspaces do not analyse without pause.
 *
 * The tables are analysed in the background: one ANALYZE at a time, outside any transaction, never
 * awaited by the write that triggered it. A failure (e.g. the pool closing at shutdown) only leaves
 * the older statistics.
 */
export function createStatisticsKeeper(db: Kysely<any>, opts: StatisticsKeeperOptions): StatisticsKeeper {
  const tables = opts.tables ?? [opts.measure];
  const enabled = opts.enabled ?? true;
  const spacing = opts.workspaceSpacingMs ?? 30_000;
  const now = opts.now ?? Date.now;
  let since = 0;
  const byWorkspace = new Map<string, number>();
  let known: Known | undefined;
  let lastRun = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;

  const tableDue = (k: Known) => since >= 1000 + 0.1 * k.rows;
  const workspaceDue = (k: Known) => {
    for (const [ws, n] of byWorkspace) if (n >= 1000 + 0.1 * (k.top.get(ws) ?? k.other)) return true;
    return false;
  };
  const mayBeDue = () => since >= 1000 || [...byWorkspace.values()].some((n) => n >= 1000);

  const analyze = async () => {
    since = 0;
    byWorkspace.clear();
    lastRun = now();
    const started = Date.now();
    await sql.raw(`analyze ${tables.join(', ')}`).execute(db);
    known = await readKnown(db, opts.measure);
    opts.log?.debug({ tables, ms: Date.now() - started }, 'analyzed');
  };
  const start = (force: boolean) => {
    running = (async () => {
      known ??= await readKnown(db, opts.measure);
      if (tableDue(known) || ((force || now() - lastRun >= spacing) && workspaceDue(known))) await analyze();
    })()
      .catch((err) => opts.log?.warn({ err, tables }, 'analyze failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  return {
    wrote(n, workspaceId) {
      if (!enabled || n <= 0) return;
      since += n;
      if (workspaceId !== undefined) byWorkspace.set(workspaceId, (byWorkspace.get(workspaceId) ?? 0) + n);
      if (running || !mayBeDue()) return;
      void start(false);
    },
    idle: async () => {
      await running;
    },
    settle: async () => {
      if (!enabled) return;
      await running;
      if (mayBeDue()) await start(true);
    },
  };
}

/** The table's `reltuples` and the planner's per-workspace estimates, as of its last ANALYZE. */
async function readKnown(db: Kysely<any>, table: string): Promise<Known> {
  const r = await sql<{ rows: number | string }>`select reltuples as rows from pg_class where oid = ${table}::regclass`.execute(db);
  // reltuples is -1 for a table never analysed.
  const rows = Math.max(0, Number(r.rows[0]?.rows ?? 0));
  const s = await sql<{ vals: string[] | null; freqs: number[] | null; distinct: number | string | null }>`
    select most_common_vals::text::text[] as vals, most_common_freqs as freqs, n_distinct as distinct
    from pg_stats where schemaname = current_schema() and tablename = ${table} and attname = 'workspace_id'`.execute(db);
  const st = s.rows[0];
  const top = new Map<string, number>();
  let covered = 0;
  (st?.vals ?? []).forEach((ws, i) => {
    const f = Number(st!.freqs![i] ?? 0);
    covered += f;
    top.set(ws, f * rows);
  });
  // n_distinct < 0 is a fraction of the rows; the planner spreads the rest evenly over the others.
  const nd = Number(st?.distinct ?? 0);
  const distinct = nd < 0 ? -nd * rows : nd;
  const others = distinct - top.size;
  return { rows, top, other: others > 0 ? (Math.max(0, 1 - covered) * rows) / others : 0 };
}
