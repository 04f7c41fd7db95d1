/**
 * SQL of the SCRM state that callbacks keep up to date: contacts, follow relations, customer
 * groups and their members, corp tags. Every write is an idempotent upsert, and the time guards
 * make the state converge whatever order events arrive or are re-applied in: an add older than
 * the deletion it would undo changes nothing, and so does a deletion older than the add.
 */
import { type Kysely, sql } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { ScrmDB } from './schema.js';

type Db = Kysely<DB>;
const scrm = (db: Db) => db as unknown as Kysely<DB & ScrmDB>;

/** A customer as WeCom describes it (externalcontact/get), or only its id when nothing more is known. */
export interface ContactFacts {
  externalUserid: string;
  name?: string;
  /** 1 WeChat user, 2 WeCom user; 0 when not known yet. */
  type?: number;
  unionid?: string | null;
  avatar?: string | null;
  gender?: number | null;
  corpName?: string | null;
}

/**
 * Inserts or refreshes a contact and points it at its (current) One ID profile. Without details
 * (`name` undefined) an existing row keeps its details and a new one gets placeholders (name '',
 * type 0) until a later event or the full sync fills them in.
 */
export async function upsertContact(db: Db, ws: string, c: ContactFacts, profileId: string, now: number): Promise<void> {
  const detailed = c.name !== undefined;
  const row = {
    workspace_id: ws,
    external_userid: c.externalUserid,
    profile_id: profileId,
    name: c.name ?? '',
    type: c.type ?? 0,
    unionid: c.unionid ?? null,
    avatar: c.avatar ?? null,
    gender: c.gender ?? null,
    corp_name: c.corpName ?? null,
    created_at: now,
    updated_at: now,
  };
  await scrm(db)
    .insertInto('scrm_contacts')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'external_userid']).doUpdateSet(
        detailed
          ? {
              profile_id: profileId,
              name: row.name,
              type: row.type,
              unionid: row.unionid,
              avatar: row.avatar,
              gender: row.gender,
              corp_name: row.corp_name,
              updated_at: now,
            }
          : { profile_id: profileId, updated_at: now },
      ),
    )
    .execute();
}

/** A follow relation as WeCom describes it. */
export interface FollowFacts {
  externalUserid: string;
  userid: string;
  /** When the member added the customer, ms. */
  addedAt: number;
  remark?: string | null;
  description?: string | null;
  addWay?: number | null;
  state?: string | null;
  /** Corp tag ids; undefined keeps the stored ones. */
  tagIds?: string[];
}

/**
 * Inserts or refreshes a live follow relation. A relation deleted before `addedAt` comes back to
 * life (the customer was added again); one deleted at or after it stays deleted (this add is old).
 * Fields WeCom did not give (undefined) keep their stored values.
 */
export async function upsertFollow(db: Db, ws: string, f: FollowFacts, now: number): Promise<void> {
  const revive = sql<boolean>`(scrm_follows.deleted_at is not null and scrm_follows.deleted_at < excluded.added_at)`;
  const keep = (col: string, given: unknown) => (given === undefined ? sql.ref(`scrm_follows.${col}`) : sql.ref(`excluded.${col}`));
  await scrm(db)
    .insertInto('scrm_follows')
    .values({
      workspace_id: ws,
      external_userid: f.externalUserid,
      userid: f.userid,
      remark: f.remark ?? null,
      description: f.description ?? null,
      add_way: f.addWay ?? null,
      state: f.state ?? null,
      tag_ids: JSON.stringify(f.tagIds ?? []),
      added_at: f.addedAt,
      deleted_at: null,
      deleted_by: null,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'external_userid', 'userid']).doUpdateSet({
        remark: keep('remark', f.remark) as never,
        description: keep('description', f.description) as never,
        add_way: sql`coalesce(excluded.add_way, scrm_follows.add_way)` as never,
        state: sql`case when ${revive} then excluded.state else coalesce(scrm_follows.state, excluded.state) end` as never,
        tag_ids: keep('tag_ids', f.tagIds) as never,
        // Otherwise the earliest known add: a tombstone written by an earlier-processed deletion learns its real add time.
        added_at: sql`case when ${revive} or excluded.added_at < scrm_follows.added_at then excluded.added_at else scrm_follows.added_at end` as never,
        deleted_at: sql`case when ${revive} then null else scrm_follows.deleted_at end` as never,
        deleted_by: sql`case when ${revive} then null else scrm_follows.deleted_by end` as never,
        updated_at: now,
      }),
    )
    .execute();
}

/**
 * Ends a follow relation at `at` (ms) unless it was added after that. A relation never seen gets
 * a tombstone (added_at = at until its add, processed later, tells the real time), so an add
 * that arrives after its deletion cannot bring it back.
 */
export async function endFollow(db: Db, ws: string, externalUserid: string, userid: string, at: number, by: 'customer' | 'staff', now: number): Promise<void> {
  await scrm(db)
    .insertInto('scrm_follows')
    .values({
      workspace_id: ws,
      external_userid: externalUserid,
      userid,
      remark: null,
      description: null,
      add_way: null,
      state: null,
      tag_ids: '[]',
      added_at: at,
      deleted_at: at,
      deleted_by: by,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'external_userid', 'userid'])
        .doUpdateSet({ deleted_at: at, deleted_by: by, updated_at: now })
        .where(sql<boolean>`scrm_follows.deleted_at is null and scrm_follows.added_at <= ${at}`),
    )
    .execute();
}

/** The stored corp tag ids of one relation, or undefined when there is no row. */
export async function followTagIds(db: Db, ws: string, externalUserid: string, userid: string): Promise<string[] | undefined> {
  const row = await scrm(db)
    .selectFrom('scrm_follows')
    .select('tag_ids')
    .where('workspace_id', '=', ws)
    .where('external_userid', '=', externalUserid)
    .where('userid', '=', userid)
    .executeTakeFirst();
  return row ? parseJson<string[]>(row.tag_ids) : undefined;
}

/** A customer group as WeCom describes it (groupchat/get); only the id when nothing more is known. */
export interface GroupFacts {
  chatId: string;
  name?: string;
  owner?: string;
  notice?: string | null;
  /** WeCom's create_time, ms. */
  createdAt?: number;
}

/** Inserts or refreshes a group; a dismissed group stays dismissed. Without details an existing row keeps its own. */
export async function upsertGroup(db: Db, ws: string, g: GroupFacts, at: number, now: number): Promise<void> {
  const detailed = g.name !== undefined;
  await scrm(db)
    .insertInto('scrm_groups')
    .values({
      workspace_id: ws,
      chat_id: g.chatId,
      name: g.name ?? '',
      owner: g.owner ?? '',
      notice: g.notice ?? null,
      status: 'active',
      member_count: 0,
      created_at: g.createdAt ?? at,
      dismissed_at: null,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'chat_id'])
        .doUpdateSet(
          detailed ? { name: g.name!, owner: g.owner ?? '', notice: g.notice ?? null, created_at: g.createdAt ?? at, updated_at: now } : { updated_at: now },
        ),
    )
    .execute();
}

/** Marks a group dismissed at `at` (ms) and ends its live memberships then (quit_scene null); the group's name, for timelines. */
export async function dismissGroup(db: Db, ws: string, chatId: string, at: number, now: number): Promise<void> {
  await scrm(db)
    .updateTable('scrm_groups')
    .set({ status: 'dismissed', dismissed_at: at, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('chat_id', '=', chatId)
    .where('status', '!=', 'dismissed')
    .execute();
  await scrm(db)
    .updateTable('scrm_group_members')
    .set({ quit_at: at, quit_scene: null, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('chat_id', '=', chatId)
    .where('quit_at', 'is', null)
    .where('join_time', '<=', at)
    .execute();
}

/** A group member as WeCom describes it. */
export interface MemberFacts {
  memberId: string;
  /** 1 corp member, 2 external contact. */
  type: number;
  unionid?: string | null;
  /** ms. */
  joinTime: number;
  /** 1 invited directly, 2 by link, 3 by group QR code. */
  joinScene?: number | null;
  invitor?: string | null;
}

/**
 * Inserts or refreshes a live membership. One that ended before `joinTime` starts again (the
 * member rejoined); one that ended at or after it stays ended (this join is old news).
 */
export async function upsertMember(db: Db, ws: string, chatId: string, m: MemberFacts, now: number): Promise<void> {
  const live = sql<boolean>`(scrm_group_members.quit_at is null or scrm_group_members.quit_at < excluded.join_time)`;
  await scrm(db)
    .insertInto('scrm_group_members')
    .values({
      workspace_id: ws,
      chat_id: chatId,
      member_id: m.memberId,
      type: m.type,
      unionid: m.unionid ?? null,
      join_time: m.joinTime,
      join_scene: m.joinScene ?? null,
      invitor: m.invitor ?? null,
      quit_at: null,
      quit_scene: null,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'chat_id', 'member_id']).doUpdateSet({
        type: sql`excluded.type` as never,
        unionid: sql`coalesce(excluded.unionid, scrm_group_members.unionid)` as never,
        join_time:
          sql`case when ${live} or excluded.join_time < scrm_group_members.join_time then excluded.join_time else scrm_group_members.join_time end` as never,
        join_scene: sql`case when ${live} then coalesce(excluded.join_scene, scrm_group_members.join_scene) else scrm_group_members.join_scene end` as never,
        invitor: sql`case when ${live} then coalesce(excluded.invitor, scrm_group_members.invitor) else scrm_group_members.invitor end` as never,
        quit_at: sql`case when ${live} then null else scrm_group_members.quit_at end` as never,
        quit_scene: sql`case when ${live} then null else scrm_group_members.quit_scene end` as never,
        updated_at: now,
      }),
    )
    .execute();
}

/**
 * Ends a membership at `at` (ms) unless it started after that. A membership never seen gets a
 * tombstone (join_time = at until its join, processed later, tells the real time).
 */
export async function endMember(
  db: Db,
  ws: string,
  chatId: string,
  m: { memberId: string; type: number; unionid?: string | null },
  at: number,
  quitScene: number | null,
  now: number,
): Promise<void> {
  await scrm(db)
    .insertInto('scrm_group_members')
    .values({
      workspace_id: ws,
      chat_id: chatId,
      member_id: m.memberId,
      type: m.type,
      unionid: m.unionid ?? null,
      join_time: at,
      join_scene: null,
      invitor: null,
      quit_at: at,
      quit_scene: quitScene,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'chat_id', 'member_id'])
        .doUpdateSet({ quit_at: at, quit_scene: quitScene, updated_at: now })
        .where(sql<boolean>`scrm_group_members.quit_at is null and scrm_group_members.join_time <= ${at}`),
    )
    .execute();
}

/** Stores the group's member count from its live memberships. */
export async function recountMembers(db: Db, ws: string, chatId: string): Promise<void> {
  const live = scrm(db)
    .selectFrom('scrm_group_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where('chat_id', '=', chatId)
    .where('quit_at', 'is', null);
  await scrm(db)
    .updateTable('scrm_groups')
    .set({ member_count: sql`(${live})` as never })
    .where('workspace_id', '=', ws)
    .where('chat_id', '=', chatId)
    .execute();
}

/** A group's name and its live members, as stored. */
export async function groupState(
  db: Db,
  ws: string,
  chatId: string,
): Promise<{ name: string; owner: string; members: { memberId: string; type: number; unionid: string | null }[] } | undefined> {
  const g = await scrm(db).selectFrom('scrm_groups').select(['name', 'owner']).where('workspace_id', '=', ws).where('chat_id', '=', chatId).executeTakeFirst();
  if (!g) return undefined;
  const members = await scrm(db)
    .selectFrom('scrm_group_members')
    .select(['member_id', 'type', 'unionid'])
    .where('workspace_id', '=', ws)
    .where('chat_id', '=', chatId)
    .where('quit_at', 'is', null)
    .orderBy('member_id')
    .execute();
  return { name: g.name, owner: g.owner, members: members.map((m) => ({ memberId: m.member_id, type: Number(m.type), unionid: m.unionid })) };
}

/** A corp tag as WeCom lists it. */
export interface TagFacts {
  tagId: string;
  groupId: string;
  groupName: string;
  name: string;
  order: number;
}

/** Inserts or refreshes corp tags (live again if they had been deleted). */
export async function upsertCorpTags(db: Db, ws: string, tags: TagFacts[], now: number): Promise<void> {
  for (const t of tags) {
    await scrm(db)
      .insertInto('scrm_corp_tags')
      .values({
        workspace_id: ws,
        tag_id: t.tagId,
        group_id: t.groupId,
        group_name: t.groupName,
        name: t.name,
        sort_order: t.order,
        deleted_at: null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'tag_id'])
          .doUpdateSet({ group_id: t.groupId, group_name: t.groupName, name: t.name, sort_order: t.order, deleted_at: null, updated_at: now }),
      )
      .execute();
  }
}

/** Marks a tag, or every tag of a group, deleted at `at`. */
export async function deleteCorpTags(db: Db, ws: string, by: { tagId: string } | { groupId: string }, at: number, now: number): Promise<void> {
  let q = scrm(db).updateTable('scrm_corp_tags').set({ deleted_at: at, updated_at: now }).where('workspace_id', '=', ws).where('deleted_at', 'is', null);
  q = 'tagId' in by ? q.where('tag_id', '=', by.tagId) : q.where('group_id', '=', by.groupId);
  await q.execute();
}
