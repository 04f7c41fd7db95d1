/**
 * What other modules read of SCRM's tables, published here so that they never query them: the
 * root hands these to journeys and messaging as ports. Each runs on the connection or transaction
 * it is given, whatever schema type that carries.
 */
import type { Kysely } from 'kysely';
import { scrmDb } from './schema.js';

/** Filters of {@link activeGroupChatIds}. */
export interface ActiveGroupFilter {
  /** Only these groups. */
  chatIds?: string[];
  /** Only groups whose name contains this text (`\`, `%` and `_` are dropped from it, not matched). */
  nameContains?: string;
}

/**
 * Chat ids of the workspace's active customer groups, ordered by chat id, among `chatIds` and with
 * a name containing `nameContains` when given (journeys' `wecom_group` audiences).
 */
export async function activeGroupChatIds<D>(db: Kysely<D>, ws: string, g: ActiveGroupFilter): Promise<string[]> {
  let q = scrmDb(db).selectFrom('scrm_groups').select('chat_id').where('workspace_id', '=', ws).where('status', '=', 'active');
  if (g.chatIds) q = q.where('chat_id', 'in', g.chatIds);
  if (g.nameContains) q = q.where('name', 'like', `%${g.nameContains.replace(/[\\%_]/g, '')}%`);
  return (await q.orderBy('chat_id').execute()).map((r) => r.chat_id);
}

/** A customer group's owner and status ('active' | 'dismissed'), or undefined when SCRM has no such group (messaging's group address). */
export async function groupOwner<D>(db: Kysely<D>, ws: string, chatId: string): Promise<{ owner: string; status: string } | undefined> {
  return scrmDb(db).selectFrom('scrm_groups').select(['owner', 'status']).where('workspace_id', '=', ws).where('chat_id', '=', chatId).executeTakeFirst();
}

/**
 * The staff member following a customer the longest (earliest add, then userid), among live
 * relations only, and only `sender` when given; undefined when none (messaging's 1:1 sender).
 */
export async function followingStaff<D>(db: Kysely<D>, ws: string, externalUserid: string, sender?: string): Promise<string | undefined> {
  let q = scrmDb(db)
    .selectFrom('scrm_follows')
    .select('userid')
    .where('workspace_id', '=', ws)
    .where('external_userid', '=', externalUserid)
    .where('deleted_at', 'is', null);
  if (sender) q = q.where('userid', '=', sender);
  const owner = await q.orderBy('added_at').orderBy('userid').limit(1).executeTakeFirst();
  return owner?.userid;
}

/** Whether the workspace has a WeCom connection (read through the caller's connection or transaction). */
export async function hasWeComConnection<D>(db: Kysely<D>, ws: string): Promise<boolean> {
  const row = await scrmDb(db).selectFrom('wecom_apps').select('workspace_id').where('workspace_id', '=', ws).executeTakeFirst();
  return row !== undefined;
}

/**
 * Whether a staff member follows (now) a customer whose contact resolved to one of `profileIds`
 * (a live profile and the ids merged into it): the console's guide role sees only such customers.
 */
export async function staffFollowsProfile<D>(db: Kysely<D>, ws: string, userid: string, profileIds: readonly string[]): Promise<boolean> {
  if (profileIds.length === 0) return false;
  const row = await scrmDb(db)
    .selectFrom('scrm_follows as f')
    .innerJoin('scrm_contacts as c', (j) => j.onRef('c.workspace_id', '=', 'f.workspace_id').onRef('c.external_userid', '=', 'f.external_userid'))
    .select('f.userid')
    .where('f.workspace_id', '=', ws)
    .where('f.userid', '=', userid)
    .where('f.deleted_at', 'is', null)
    .where('c.profile_id', 'in', [...profileIds])
    .executeTakeFirst();
  return row !== undefined;
}

/** The staff member a SOP task (`sop`) or a workbench follow-up (`follow-up`) is for, or undefined when there is no such task. */
export async function taskStaff<D>(db: Kysely<D>, ws: string, kind: 'sop' | 'follow-up', taskId: string): Promise<string | undefined> {
  const table = kind === 'sop' ? 'scrm_sop_tasks' : 'scrm_guide_tasks';
  const row = await scrmDb(db).selectFrom(table).select('staff_userid').where('workspace_id', '=', ws).where('id', '=', taskId).executeTakeFirst();
  return row?.staff_userid;
}
