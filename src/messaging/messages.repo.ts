/**
 * Reads of the outbox that other modules make (journeys' and broadcasts' statistics): each runs
 * on the connection or transaction it is given and returns plain rows, or a query to join against.
 */
import { sql } from 'kysely';
import { type CallerDb, mdb } from './deps.js';
import type { MessageSource } from './outbox.js';

/** The messages of one source: a journey, a broadcast. */
export interface SourceRef {
  kind: MessageSource['kind'];
  id: string;
}

/** Message counts of one source by step and status (a journey's statistics, per step). */
export async function countMessagesByStepAndStatus(
  db: CallerDb,
  ws: string,
  source: SourceRef,
): Promise<{ step: string | null; status: string; count: number }[]> {
  const rows = await mdb(db)
    .selectFrom('messages')
    .select(['source_step', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('source_kind', '=', source.kind)
    .where('source_id', '=', source.id)
    .groupBy(['source_step', 'status'])
    .execute();
  return rows.map((r) => ({ step: r.source_step, status: r.status, count: Number(r.n) }));
}

/** Counts of one group of messages by status, reason and error code. */
export interface OutcomeCount {
  status: string;
  reason: string | null;
  errorCode: string | null;
  count: number;
  /** How many of them were opened (an open pixel or a click was seen). */
  opened: number;
  clicked: number;
}

/**
 * Message counts of one source by status, reason and error code, with opens and clicks (a
 * broadcast's statistics). `step: null` counts only messages without a step (a broadcast's
 * audience, not its test sends); a string counts that step's; omitted, every step's.
 */
export async function countMessageOutcomes(db: CallerDb, ws: string, source: SourceRef & { step?: string | null }): Promise<OutcomeCount[]> {
  let q = mdb(db)
    .selectFrom('messages')
    .select((eb) => [
      'status',
      'reason',
      'error_code',
      eb.fn.countAll().as('n'),
      eb.fn.count('opened_at').as('opened'),
      eb.fn.count('clicked_at').as('clicked'),
    ])
    .where('workspace_id', '=', ws)
    .where('source_kind', '=', source.kind)
    .where('source_id', '=', source.id);
  if (source.step === null) q = q.where('source_step', 'is', null);
  else if (source.step !== undefined) q = q.where('source_step', '=', source.step);
  const rows = await q.groupBy(['status', 'reason', 'error_code']).execute();
  return rows.map((r) => ({
    status: r.status,
    reason: r.reason,
    errorCode: r.error_code,
    count: Number(r.n),
    opened: Number(r.opened),
    clicked: Number(r.clicked),
  }));
}

/**
 * The outbox as a derived table to left-join on message ids (`.leftJoin(messageReach(db).as('m'), ...)`):
 * `workspace_id`, `id`, and `was_sent` (1 once the message left: sent or delivered; else 0).
 * Both engines flatten it into the outer query: the plan is that of a join with `messages`.
 */
export function messageReach(db: CallerDb) {
  return mdb(db)
    .selectFrom('messages')
    .select(['workspace_id', 'id', sql<number>`case when status in ('sent', 'delivered') then 1 else 0 end`.as('was_sent')]);
}
