import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';

/** Keeps PostgreSQL's planner statistics of tables that a process grows (see {@link createStatisticsKeeper}). */
export interface StatisticsKeeper {
  /** Counts rows written (inserted, updated or deleted) to the measured table; may start an ANALYZE in the background. */
  wrote(n: number): void;
  /** Settles when no ANALYZE of this keeper is in flight. */
  idle(): Promise<void>;
}

export interface StatisticsKeeperOptions {
  /** The table whose writes are counted and whose size sets the threshold. */
  measure: string;
  /** The tables analysed together (default: the measured one). */
  tables?: readonly string[];
  /** Off: `wrote` does nothing (SQLite, or a caller that analyses itself). Default on. */
  enabled?: boolean;
  log?: Logger;
}

/**
 * PostgreSQL plans by statistics; a table grown by bulk writes keeps those of its former size
 * until autovacuum gets to it, which may be late or off (measured: the segment feed's deletes
 * took 9.45 s instead of about 1 s without them). So, with autovacuum's own rule, once the rows
 * written since the last ANALYZE pass 1,000 + 10% of the measured table (its `reltuples` at that
 * ANALYZE), the tables are analysed in the background: one ANALYZE at a time, outside any
 * transaction, never awaited by the write that triggered it. A failure (e.g. the pool closing at
 * shutdown) only leaves the older statistics.
 */
export function createStatisticsKeeper(db: Kysely<any>, opts: StatisticsKeeperOptions): StatisticsKeeper {
  const tables = opts.tables ?? [opts.measure];
  const enabled = opts.enabled ?? true;
  let since = 0;
  /** 1,000 + 10% of the measured table at the last ANALYZE; read on first need. */
  let threshold: number | undefined;
  let running: Promise<void> | undefined;

  const thresholdNow = async (): Promise<number> => {
    const r = await sql<{ rows: number | string }>`select reltuples as rows from pg_class where oid = ${opts.measure}::regclass`.execute(db);
    // reltuples is -1 for a table never analysed.
    return 1000 + 0.1 * Math.max(0, Number(r.rows[0]?.rows ?? 0));
  };

  return {
    wrote(n) {
      if (!enabled || n <= 0) return;
      since += n;
      if (running || since < 1000 || (threshold !== undefined && since < threshold)) return;
      running = (async () => {
        threshold ??= await thresholdNow();
        if (since < threshold) return;
        since = 0;
        const started = Date.now();
        await sql.raw(`analyze ${tables.join(', ')}`).execute(db);
        threshold = await thresholdNow();
        opts.log?.debug({ tables, ms: Date.now() - started }, 'analyzed');
      })()
        .catch((err) => opts.log?.warn({ err, tables }, 'analyze failed'))
        .finally(() => {
          running = undefined;
        });
    },
    idle: async () => {
      await running;
    },
  };
}
