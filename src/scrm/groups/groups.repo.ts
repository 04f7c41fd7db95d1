/** SQL of the customer-group views: mirrored groups and members (read only) and Siyu's group tags. */
import { sql } from 'kysely';
import type { LiveDb } from '../livecodes/context.js';

/** Filters of the group list. */
export interface GroupFilter {
  owner?: string;
  status?: string;
  tag?: string;
  /** Part of the group name. */
  q?: string;
  /** The last chat id of the previous page. */
  after?: string;
  limit: number;
}

/** A page of groups by chat id. */
export async function selectGroups(db: LiveDb, ws: string, f: GroupFilter) {
  let q = db.selectFrom('scrm_groups as g').selectAll('g').where('g.workspace_id', '=', ws);
  if (f.owner) q = q.where('g.owner', '=', f.owner);
  if (f.status) q = q.where('g.status', '=', f.status);
  if (f.after) q = q.where('g.chat_id', '>', f.after);
  if (f.q) {
    const pattern = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`g.name like ${pattern} escape '\\'`);
  }
  if (f.tag) {
    const tag = f.tag;
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('scrm_group_tags as t')
          .select('t.tag')
          .whereRef('t.workspace_id', '=', 'g.workspace_id')
          .whereRef('t.chat_id', '=', 'g.chat_id')
          .where('t.tag', '=', tag),
      ),
    );
  }
  return q.orderBy('g.chat_id').limit(f.limit).execute();
}

/** One group row. */
export async function selectGroup(db: LiveDb, ws: string, chatId: string) {
  return db.selectFrom('scrm_groups').selectAll().where('workspace_id', '=', ws).where('chat_id', '=', chatId).executeTakeFirst();
}

/** The members of a group (those who quit included), by join time. */
export async function selectMembers(db: LiveDb, ws: string, chatId: string) {
  return db
    .selectFrom('scrm_group_members')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('chat_id', '=', chatId)
    .orderBy('join_time')
    .orderBy('member_id')
    .execute();
}

/** Names of staff and customers by id, for member lists. */
export async function selectNames(db: LiveDb, ws: string, staff: string[], customers: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (staff.length)
    for (const r of await db.selectFrom('scrm_staff').select(['userid', 'name']).where('workspace_id', '=', ws).where('userid', 'in', staff).execute())
      names.set(r.userid, r.name);
  if (customers.length)
    for (const r of await db
      .selectFrom('scrm_contacts')
      .select(['external_userid', 'name'])
      .where('workspace_id', '=', ws)
      .where('external_userid', 'in', customers)
      .execute())
      names.set(r.external_userid, r.name);
  return names;
}

/** Joins (by join time) and quits (by quit time) of a group, or of every group, in [from, to). */
export async function selectMovements(db: LiveDb, ws: string, chatId: string | undefined, from: number, to: number) {
  let joins = db
    .selectFrom('scrm_group_members')
    .select(['join_time', 'join_scene', 'type'])
    .where('workspace_id', '=', ws)
    .where('join_time', '>=', from)
    .where('join_time', '<', to);
  let quits = db
    .selectFrom('scrm_group_members')
    .select(['quit_at', 'quit_scene', 'type'])
    .where('workspace_id', '=', ws)
    .where('quit_at', '>=', from)
    .where('quit_at', '<', to);
  if (chatId) {
    joins = joins.where('chat_id', '=', chatId);
    quits = quits.where('chat_id', '=', chatId);
  }
  return { joins: await joins.execute(), quits: await quits.execute() };
}

/** Tags of the given groups, by chat id. */
export async function selectTags(db: LiveDb, ws: string, chatIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(chatIds.map((c) => [c, []]));
  if (!chatIds.length) return out;
  const rows = await db
    .selectFrom('scrm_group_tags')
    .select(['chat_id', 'tag'])
    .where('workspace_id', '=', ws)
    .where('chat_id', 'in', chatIds)
    .orderBy('tag')
    .execute();
  for (const r of rows) out.get(r.chat_id)?.push(r.tag);
  return out;
}

/** Adds tags to a group (already present ones are kept). */
export async function insertTags(db: LiveDb, ws: string, chatId: string, tags: string[], now: number): Promise<void> {
  if (!tags.length) return;
  await db
    .insertInto('scrm_group_tags')
    .values(tags.map((tag) => ({ workspace_id: ws, chat_id: chatId, tag, created_at: now })))
    .onConflict((oc) => oc.columns(['workspace_id', 'chat_id', 'tag']).doNothing())
    .execute();
}

/** Removes tags from a group (all of them when `tags` is undefined); returns how many were removed. */
export async function deleteTags(db: LiveDb, ws: string, chatId: string, tags?: string[]): Promise<number> {
  let q = db.deleteFrom('scrm_group_tags').where('workspace_id', '=', ws).where('chat_id', '=', chatId);
  if (tags) {
    if (!tags.length) return 0;
    q = q.where('tag', 'in', tags);
  }
  return Number((await q.executeTakeFirst()).numDeletedRows);
}

/** Every group tag in use with how many groups carry it. */
export async function selectTagCatalogue(db: LiveDb, ws: string, page: { after?: string; limit: number }) {
  let q = db
    .selectFrom('scrm_group_tags')
    .select(['tag', (eb) => eb.fn.countAll<number>().as('groups')])
    .where('workspace_id', '=', ws);
  if (page.after !== undefined) q = q.where('tag', '>', page.after);
  return q.groupBy('tag').orderBy('tag').limit(page.limit).execute();
}

/** Chat ids of active groups carrying any of the tags. */
export async function selectChatIdsWithTags(db: LiveDb, ws: string, tags: string[]): Promise<string[]> {
  if (!tags.length) return [];
  const rows = await db
    .selectFrom('scrm_group_tags as t')
    .innerJoin('scrm_groups as g', (j) => j.onRef('g.workspace_id', '=', 't.workspace_id').onRef('g.chat_id', '=', 't.chat_id'))
    .select('t.chat_id')
    .distinct()
    .where('t.workspace_id', '=', ws)
    .where('t.tag', 'in', tags)
    .where('g.status', '!=', 'dismissed')
    .orderBy('t.chat_id')
    .execute();
  return rows.map((r) => r.chat_id);
}
