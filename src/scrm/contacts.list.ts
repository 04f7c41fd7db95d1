/**
 * Reads of the mirrored customers (external contacts) and corp tags for the console: customers by
 * external_userid with every staff member who follows (or followed) them, their remarks and the
 * corp tags each put on them; filtered by owner, corp tag, name and whether anyone still follows them.
 */
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { liveProfileIds } from '../cdp/index.js';
import { parseJson } from '../platform/db/database.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { type ScrmAllDB, type ScrmContactsTable, type ScrmKysely, scrmDb } from './schema.js';
import { iso } from './shared.js';

/** A corp tag as the API shows it. */
export interface CorpTag {
  id: string;
  name: string;
  groupId: string;
  groupName: string;
}

/** One staff member's relation with a customer. */
export interface ContactFollower {
  userid: string;
  staffName: string | null;
  remark: string | null;
  state: string | null;
  addWay: number | null;
  addedAt: string;
  deletedAt: string | null;
  deletedBy: string | null;
  tags: CorpTag[];
}

/** A customer as the contact list shows it. */
export interface Contact {
  externalUserid: string;
  name: string;
  type: 'wechat' | 'wecom' | 'unknown';
  corpName: string | null;
  avatar: string | null;
  profileId: string;
  createdAt: string;
  following: number;
  followers: ContactFollower[];
}

/** Filters and paging of {@link listContacts}. */
export interface ContactFilter {
  owner?: string;
  tag?: string;
  q?: string;
  status?: 'following' | 'lost';
  limit: number;
  cursor?: string;
}

const like = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A live relation of the outer query's customer `c` (optionally with this member, or carrying this corp tag). */
function liveFollow(eb: ExpressionBuilder<ScrmAllDB & { c: ScrmContactsTable }, 'c'>, opts: { owner?: string; tag?: string }) {
  let s = eb
    .selectFrom('scrm_follows as f')
    .select(sql<number>`1`.as('one'))
    .whereRef('f.workspace_id', '=', 'c.workspace_id')
    .whereRef('f.external_userid', '=', 'c.external_userid')
    .where('f.deleted_at', 'is', null);
  if (opts.owner) s = s.where('f.userid', '=', opts.owner);
  // tag_ids is a JSON array of strings: its text holds "<id>" with the quotes.
  if (opts.tag) s = s.where(sql<boolean>`cast(f.tag_ids as text) like ${like(JSON.stringify(opts.tag))} escape '\\'`);
  return s;
}

/** A page of the workspace's customers by external_userid (the primary key's order). */
export async function listContacts<D>(handle: Kysely<D>, ws: string, f: ContactFilter): Promise<Page<Contact>> {
  const db = scrmDb(handle);
  let q = db
    .selectFrom('scrm_contacts as c')
    .select(['c.external_userid', 'c.name', 'c.type', 'c.corp_name', 'c.avatar', 'c.profile_id', 'c.created_at'])
    .where('c.workspace_id', '=', ws);
  if (f.owner || f.tag) q = q.where((eb) => eb.exists(liveFollow(eb, { owner: f.owner, tag: f.tag })));
  if (f.status === 'following') q = q.where((eb) => eb.exists(liveFollow(eb, {})));
  if (f.status === 'lost') q = q.where((eb) => eb.not(eb.exists(liveFollow(eb, {}))));
  if (f.q) {
    const pattern = like(f.q);
    q = q.where(sql<boolean>`(c.name like ${pattern} escape '\\' or c.external_userid like ${pattern} escape '\\')`);
  }
  if (f.cursor !== undefined) q = q.where(keysetAfter(['c.external_userid'], 'asc', decodeCursor(f.cursor, ['s'])));
  const rows = await q
    .orderBy('c.external_userid')
    .limit(f.limit + 1)
    .execute();
  const page = rows.slice(0, f.limit);
  const [followers, live] = await Promise.all([
    followersOf(
      db,
      ws,
      page.map((r) => r.external_userid),
    ),
    liveProfileIds(
      db,
      ws,
      page.map((r) => r.profile_id),
    ),
  ]);
  return pageOf(
    rows,
    f.limit,
    (r) => {
      const list = followers.get(r.external_userid) ?? [];
      return {
        externalUserid: r.external_userid,
        name: r.name,
        type: Number(r.type) === 1 ? 'wechat' : Number(r.type) === 2 ? 'wecom' : 'unknown',
        corpName: r.corp_name,
        avatar: r.avatar,
        profileId: live.get(r.profile_id) ?? r.profile_id,
        createdAt: iso(Number(r.created_at))!,
        following: list.filter((x) => x.deletedAt === null).length,
        followers: list,
      };
    },
    (r) => [r.external_userid],
  );
}

/** Every relation of each customer (live ones first, then by add time), with staff names and tag names (also the profile read, profile-wecom.ts). */
export async function followersOf(db: ScrmKysely, ws: string, ids: string[]): Promise<Map<string, ContactFollower[]>> {
  const out = new Map<string, ContactFollower[]>();
  if (!ids.length) return out;
  const rows = await db
    .selectFrom('scrm_follows as f')
    .leftJoin('scrm_staff as s', (j) => j.onRef('s.workspace_id', '=', 'f.workspace_id').onRef('s.userid', '=', 'f.userid'))
    .select([
      'f.external_userid',
      'f.userid',
      's.name as staff_name',
      'f.remark',
      'f.state',
      'f.add_way',
      'f.added_at',
      'f.deleted_at',
      'f.deleted_by',
      'f.tag_ids',
    ])
    .where('f.workspace_id', '=', ws)
    .where('f.external_userid', 'in', ids)
    .execute();
  const tagIds = new Set(rows.flatMap((r) => parseJson<string[]>(r.tag_ids) ?? []));
  const tags = await corpTagsById(db, ws, [...tagIds]);
  for (const r of rows) {
    const list = out.get(r.external_userid) ?? out.set(r.external_userid, []).get(r.external_userid)!;
    list.push({
      userid: r.userid,
      staffName: r.staff_name,
      remark: r.remark,
      state: r.state,
      addWay: r.add_way === null ? null : Number(r.add_way),
      addedAt: iso(Number(r.added_at))!,
      deletedAt: iso(r.deleted_at === null ? null : Number(r.deleted_at)),
      deletedBy: r.deleted_by,
      // A tag deleted in WeCom since is left out (its id names nothing any more).
      tags: (parseJson<string[]>(r.tag_ids) ?? []).flatMap((id) => tags.get(id) ?? []),
    });
  }
  for (const list of out.values()) list.sort((a, b) => Number(a.deletedAt !== null) - Number(b.deletedAt !== null) || a.addedAt.localeCompare(b.addedAt));
  return out;
}

async function corpTagsById(db: ScrmKysely, ws: string, ids: string[]): Promise<Map<string, CorpTag>> {
  const out = new Map<string, CorpTag>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('scrm_corp_tags')
      .select(['tag_id', 'name', 'group_id', 'group_name'])
      .where('workspace_id', '=', ws)
      .where('tag_id', 'in', ids.slice(i, i + 500))
      .where('deleted_at', 'is', null)
      .execute();
    for (const r of rows) out.set(r.tag_id, { id: r.tag_id, name: r.name, groupId: r.group_id, groupName: r.group_name });
  }
  return out;
}

/** A page of the corp's tags (not deleted), by group name, tag name and id. */
export async function listCorpTags<D>(handle: Kysely<D>, ws: string, q: { limit: number; cursor?: string }): Promise<Page<CorpTag>> {
  let query = scrmDb(handle)
    .selectFrom('scrm_corp_tags')
    .select(['tag_id', 'name', 'group_id', 'group_name'])
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null);
  if (q.cursor !== undefined) query = query.where(keysetAfter(['group_name', 'name', 'tag_id'], 'asc', decodeCursor(q.cursor, ['s', 's', 's'])));
  const rows = await query
    .orderBy('group_name')
    .orderBy('name')
    .orderBy('tag_id')
    .limit(q.limit + 1)
    .execute();
  return pageOf(
    rows,
    q.limit,
    (r) => ({ id: r.tag_id, name: r.name, groupId: r.group_id, groupName: r.group_name }),
    (r) => [r.group_name, r.name, r.tag_id],
  );
}
