/** What differs between SQLite and PostgreSQL, as one interface the rest of the code calls (implementations: dialect-sqlite.ts, dialect-postgres.ts). */
import type { Kysely, QueryExecutorProvider, RawBuilder } from 'kysely';
import { sql } from 'kysely';
import type { DB } from './schema.js';

/** The two storage engines Siyu runs on. */
export type Engine = 'sqlite' | 'postgres';

/** Everything that differs between SQLite and PostgreSQL, in one place. */
export interface Dialect {
  readonly engine: Engine;
  /**
   * True where one process owns the database (SQLite): whatever a previous run of this process
   * left claimed or leased can be taken back at start. False on PostgreSQL, where other processes
   * may be alive and holding their claims.
   */
  readonly singleProcess: boolean;
  /** `column ->> key` as text, for JSON columns. */
  jsonText(column: string, key: string): RawBuilder<string | null>;
  /** True for errors that a retried transaction may not hit again (serialization, deadlock, concurrent insert). */
  isRetryable(err: unknown): boolean;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParams: number;
  /**
   * A derived table `(from_id, into_id)` of text pairs bound as one parameter, for set-based
   * updates (`update t set ... from <pairs> as m where t.x = m.from_id`).
   */
  pairs(rows: readonly (readonly [string, string])[]): RawBuilder<unknown>;
  /** A derived table with one text column `id` holding `values` (one bound parameter whatever their number). */
  idList(values: readonly string[]): RawBuilder<unknown>;
  /**
   * Set-based update from a {@link Dialect.pairs} table: in `table`, rows of the workspace whose
   * `match` column equals a pair's `from_id` get that pair's `into_id` in column `set` (and the
   * `also` values). PostgreSQL joins the pairs (`UPDATE ... FROM`, a hash or nested loop on the
   * index); SQLite's planner would scan the table for `UPDATE ... FROM`, so there the rows are found
   * through the index by `IN` and the new value is a correlated look-up.
   */
  updateFromPairs(db: QueryExecutorProvider, u: PairsUpdate): Promise<void>;
  /**
   * True where several transactions write at the same time (PostgreSQL); false with one writer at
   * a time (SQLite), where a second concurrent write transaction would only wait for the first.
   */
  readonly concurrentWriters: boolean;
  /**
   * True where tables grown by bulk writes need ANALYZE to keep good plans (PostgreSQL; see
   * statistics.ts); SQLite's plans for Siyu's queries do not depend on table statistics.
   */
  readonly needsAnalyze: boolean;
  /**
   * Inserts many rows of one shape inside the caller's transaction; returns how many were written.
   * `conflict.update` empty means `ON CONFLICT DO NOTHING`, otherwise those columns take the new values.
   */
  insertMany<T extends keyof DB & string>(
    db: QueryExecutorProvider,
    table: T,
    rows: Record<string, unknown>[],
    conflict?: { columns: string[]; update: string[] },
  ): Promise<number>;
  /**
   * Locks the rows a select reads until the transaction ends: `FOR UPDATE` on PostgreSQL; on
   * SQLite the query as it is (its single writer already excludes every other writer).
   */
  forUpdate<Q extends Lockable<Q>>(query: Q): Q;
  /**
   * Claims due rows for one worker: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers in several
   * processes take different rows without waiting; on SQLite the query as it is (one writer).
   */
  claim<Q extends Lockable<Q>>(query: Q): Q;
  /** The same claim as a suffix for a raw select (`select ... ${dialect.claimSuffix}`). */
  readonly claimSuffix: RawBuilder<unknown>;
  /**
   * Holds a lock on `key` until the caller's transaction ends (`pg_advisory_xact_lock` of its hash
   * on PostgreSQL); nothing on SQLite, whose single writer already serialises transactions.
   */
  advisoryXactLock(trx: Kysely<any>, key: string): Promise<void>;
}

/** One {@link Dialect.updateFromPairs} statement. */
export interface PairsUpdate {
  table: string;
  /** The column that takes the pair's `into_id`. */
  set: string;
  /** The column compared with the pair's `from_id`. */
  match: string;
  workspaceId: string;
  /** A {@link Dialect.pairs} table. */
  pairs: RawBuilder<unknown>;
  /** Other columns set to fixed values by the same statement. */
  also?: Record<string, string | number>;
}

/** `, col = value` for each of `also` (empty when there is none). */
export function alsoSet(also: PairsUpdate['also']): RawBuilder<unknown> {
  const entries = Object.entries(also ?? {});
  return sql.join(
    entries.map(([c, v]) => sql`, ${sql.ref(c)} = ${v}`),
    sql``,
  );
}

/** A select query builder (anything with Kysely's `forUpdate().skipLocked()`). */
export interface Lockable<Q> {
  forUpdate(): Q & { skipLocked(): Q };
}
