/**
 * A profile's side of WeCom, for the console's profile page: the customers (external contacts)
 * that resolved to it or to a profile merged into it, every staff member who follows or followed
 * them (the owner, who has followed the longest among live relations, first), and the customer
 * groups they are or were in.
 */
import type { Kysely } from 'kysely';
import { mergedIdsOf } from '../cdp/index.js';
import { type ContactFollower, followersOf } from './contacts.list.js';
import { scrmDb } from './schema.js';
import { iso } from './shared.js';

/** A staff relation of the profile's customer; `owner` marks the one who has followed the longest among live relations. */
export interface ProfileFollower extends ContactFollower {
  externalUserid: string;
  owner: boolean;
}

/** A customer group the profile's customer is or was in. */
export interface ProfileGroup {
  chatId: string;
  name: string;
  owner: string;
  ownerName: string | null;
  status: string;
  memberCount: number;
  externalUserid: string;
  joinedAt: string;
  joinScene: number | null;
  quitAt: string | null;
}

/** What {@link profileWeCom} answers. */
export interface ProfileWeCom {
  profileId: string;
  contacts: { externalUserid: string; name: string; type: 'wechat' | 'wecom' | 'unknown'; avatar: string | null; corpName: string | null }[];
  staff: ProfileFollower[];
  groups: ProfileGroup[];
}

/** The WeCom side of live profile `profileId` (see the module comment); empty lists for a profile WeCom does not know. */
export async function profileWeCom<D>(handle: Kysely<D>, ws: string, profileId: string): Promise<ProfileWeCom> {
  const db = scrmDb(handle);
  const ids = [profileId, ...(await mergedIdsOf(db, ws, profileId))];
  const contacts = await db
    .selectFrom('scrm_contacts')
    .select(['external_userid', 'name', 'type', 'avatar', 'corp_name'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', ids)
    .orderBy('external_userid')
    .execute();
  const ext = contacts.map((c) => c.external_userid);
  if (ext.length === 0) return { profileId, contacts: [], staff: [], groups: [] };
  const followers = await followersOf(db, ws, ext);
  const staff = contacts
    .flatMap((c) => (followers.get(c.external_userid) ?? []).map((f) => ({ ...f, externalUserid: c.external_userid, owner: false })))
    // Live relations first, then the longest-standing (ties by userid, as messaging picks its 1:1 sender).
    .sort((a, b) => Number(a.deletedAt !== null) - Number(b.deletedAt !== null) || a.addedAt.localeCompare(b.addedAt) || a.userid.localeCompare(b.userid));
  if (staff[0] && staff[0].deletedAt === null) staff[0].owner = true;
  const groups = await db
    .selectFrom('scrm_group_members as m')
    .innerJoin('scrm_groups as g', (j) => j.onRef('g.workspace_id', '=', 'm.workspace_id').onRef('g.chat_id', '=', 'm.chat_id'))
    .leftJoin('scrm_staff as s', (j) => j.onRef('s.workspace_id', '=', 'g.workspace_id').onRef('s.userid', '=', 'g.owner'))
    .select(['g.chat_id', 'g.name', 'g.owner', 's.name as owner_name', 'g.status', 'g.member_count', 'm.member_id', 'm.join_time', 'm.join_scene', 'm.quit_at'])
    .where('m.workspace_id', '=', ws)
    .where('m.type', '=', 2)
    .where('m.member_id', 'in', ext)
    .execute();
  return {
    profileId,
    contacts: contacts.map((c) => ({
      externalUserid: c.external_userid,
      name: c.name,
      type: Number(c.type) === 1 ? 'wechat' : Number(c.type) === 2 ? 'wecom' : 'unknown',
      avatar: c.avatar,
      corpName: c.corp_name,
    })),
    staff,
    groups: groups
      .map((g) => ({
        chatId: g.chat_id,
        name: g.name,
        owner: g.owner,
        ownerName: g.owner_name,
        status: g.status,
        memberCount: Number(g.member_count),
        externalUserid: g.member_id,
        joinedAt: iso(Number(g.join_time))!,
        joinScene: g.join_scene === null ? null : Number(g.join_scene),
        quitAt: iso(g.quit_at === null ? null : Number(g.quit_at)),
      }))
      // Groups they are in first, the latest joined first.
      .sort((a, b) => Number(a.quitAt !== null) - Number(b.quitAt !== null) || b.joinedAt.localeCompare(a.joinedAt) || a.chatId.localeCompare(b.chatId)),
  };
}
