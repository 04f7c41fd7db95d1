/**
 * Reads of the messaging module's tables that journeys still does itself (template existence,
 * the journey's message counts). Each function is one access, named for what the messaging module
 * is publishing (issue #13): the merge swaps each body for the owner's function.
 */
import type { MessagingDB } from '../../messaging/index.js';
import type { Conn } from '../db.js';

/** The messaging tables these reads use (a Pick: Kysely's `withTables` adds them without a cast). */
type Tables = Pick<MessagingDB, 'messages' | 'message_templates'>;

// owner: messaging (template reads). The ids among `ids` of the workspace's templates.
export async function existingTemplateIds(db: Conn, ws: string, ids: string[]): Promise<Set<string>> {
  const rows = await db.withTables<Tables>().selectFrom('message_templates').select('id').where('workspace_id', '=', ws).where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

// owner: messaging (message reads). Messages a journey queued, counted per step and status.
export async function journeyMessageCounts(db: Conn, ws: string, journeyId: string): Promise<{ step: string | null; status: string; n: number }[]> {
  const rows = await db
    .withTables<Tables>()
    .selectFrom('messages')
    .select(['source_step', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('source_kind', '=', 'journey')
    .where('source_id', '=', journeyId)
    .groupBy(['source_step', 'status'])
    .execute();
  return rows.map((r) => ({ step: r.source_step, status: r.status, n: Number(r.n) }));
}
