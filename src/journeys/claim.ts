/**
 * Claiming due journey states, and the bookkeeping around a claim: the due ids (to retry a failed
 * batch one by one), the earliest wake-up, and a failed attempt's backoff.
 */
import type { Database } from '../platform/db/database.js';
import { type Conn, journeysDb } from './db.js';
import type { StateRow } from './work.js';

/** Failed attempts at one step before the state is marked failed. */
const MAX_ATTEMPTS = 5;

/**
 * Claims up to `limit` due active states (oldest wake-up first) for the caller's transaction:
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL, so executors in several processes take different rows
 * without waiting; SQLite has one writer. `ids` limits the claim to those states.
 */
export async function claimDue(trx: Conn, database: Database, now: number, limit: number, ids?: string[]): Promise<StateRow[]> {
  let q = journeysDb(trx).selectFrom('journey_states').selectAll().where('status', '=', 'active').where('wake_at', '<=', now);
  if (ids) q = q.where('id', 'in', ids);
  return database.dialect.claim(q.orderBy('wake_at').limit(limit)).execute();
}

/** The ids of up to `limit` due active states, oldest wake-up first (no claim). */
export async function dueStateIds(database: Database, now: number, limit: number): Promise<string[]> {
  const rows = await journeysDb(database.db)
    .selectFrom('journey_states')
    .select('id')
    .where('status', '=', 'active')
    .where('wake_at', '<=', now)
    .orderBy('wake_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** The earliest `wake_at` of an active state, or undefined. */
export async function earliestWake(database: Database): Promise<number | undefined> {
  const row = await journeysDb(database.db)
    .selectFrom('journey_states')
    .select((eb) => eb.fn.min('wake_at').as('t'))
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row?.t === null || row?.t === undefined ? undefined : Number(row.t);
}

/**
 * Records a failed attempt at a state's step: retried with exponential backoff, failed after
 * MAX_ATTEMPTS; the last failure is also a `failed: error: ...` row of the step log, so the step
 * counts as failed in the statistics and the state's history.
 */
export async function recordFailure(database: Database, id: string, err: unknown, now: number): Promise<void> {
  const message = err instanceof Error ? err.message : String(err);
  await database.db.transaction().execute(async (trx) => {
    const db = journeysDb(trx);
    const row = await database.dialect
      .forUpdate(db.selectFrom('journey_states').select(['attempt', 'workspace_id', 'journey_id', 'step_id', 'steps_taken', 'status']).where('id', '=', id))
      .executeTakeFirst();
    if (!row || row.status !== 'active') return;
    const attempt = row.attempt + 1;
    const failed = attempt >= MAX_ATTEMPTS;
    const seq = row.steps_taken + 1;
    await db
      .updateTable('journey_states')
      .set(
        failed
          ? { status: 'failed', attempt, steps_taken: seq, wake_at: null, end_reason: `error: ${message}`.slice(0, 500), ended_at: now, updated_at: now }
          : { attempt, wake_at: now + 2 ** attempt * 1000, updated_at: now },
      )
      .where('workspace_id', '=', row.workspace_id)
      .where('id', '=', id)
      .execute();
    if (!failed) return;
    await db
      .insertInto('journey_step_log')
      .values({
        workspace_id: row.workspace_id,
        state_id: id,
        seq,
        journey_id: row.journey_id,
        step_id: row.step_id ?? '-',
        outcome: `failed: error: ${message}`.slice(0, 200),
        at: now,
      })
      .execute();
  });
}
