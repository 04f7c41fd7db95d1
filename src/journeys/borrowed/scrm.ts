/**
 * The read of the SCRM module's groups that a group journey's schedule does. Journeys may not
 * import scrm (docs/architecture-rules.md): once scrm publishes its active-groups function, this
 * becomes a port of `JourneyDeps` that the composition root fills with it.
 */
import type { ScrmDB } from '../../scrm/schema.js';
import type { Conn } from '../db.js';

// owner: scrm (active groups). Chat ids of the workspace's active customer groups among `chatIds` and/or whose name contains `nameContains`.
export async function activeGroupChatIds(db: Conn, ws: string, g: { chatIds?: string[]; nameContains?: string }): Promise<string[]> {
  let q = db
    .withTables<Pick<ScrmDB, 'scrm_groups'>>()
    .selectFrom('scrm_groups')
    .select('chat_id')
    .where('workspace_id', '=', ws)
    .where('status', '=', 'active');
  if (g.chatIds) q = q.where('chat_id', 'in', g.chatIds);
  if (g.nameContains) q = q.where('name', 'like', `%${g.nameContains.replace(/[\\%_]/g, '')}%`);
  return (await q.orderBy('chat_id').execute()).map((r) => r.chat_id);
}
