/** The groups phase of a full sync: groupchat/list pages, each group read with its members; groups not seen are dismissed. */
import { WeComError } from '../wecom/index.js';
import { aborted, type Commit, type Ctx, meter } from './sync.context.js';
import * as repo from './sync.repo.js';
import { tombstonedValues } from '../cdp/index.js';
import type { GroupMemberRow, GroupRow } from './sync.repo.js';

/** errcode of groupchat/get for a group dismissed between the list and the read. */
const CHAT_GONE = 40050;

/** Customer groups, a page per transaction with its checkpoint; the last page marks groups not seen dismissed. */
export async function syncGroups(ctx: Ctx, commit: Commit): Promise<void> {
  const { cp, deps, ws } = ctx;
  const report = meter(ctx, 'groups', cp.counts.groups);
  const limit = Math.min(1000, Math.max(1, deps.groupsPerPage ?? 100));
  for (;;) {
    const page = await deps.client.listGroupChats({ cursor: cp.groups.cursor ?? undefined, limit });
    // groupchat/get per group; the client caps requests in flight.
    const details = await Promise.all(
      page.group_chat_list.map((g) =>
        deps.client.getGroupChat(g.chat_id).then(
          (r) => r.group_chat,
          (err) => {
            if (err instanceof WeComError && err.errcode === CHAT_GONE) return undefined;
            throw err;
          },
        ),
      ),
    );
    const now = deps.now();
    // Customers who were erased (issue #19) are not stored as group members again.
    const externals = details.flatMap((g) => (g ? g.member_list.filter((m) => m.type === 2).map((m) => m.userid) : []));
    const erased = deps.cipher
      ? await tombstonedValues(deps.db, await deps.cipher.forWorkspace(ws, deps.db), ws, `external_userid:${deps.corpId}`, externals)
      : new Set<string>();
    const groups: GroupRow[] = [];
    const members: GroupMemberRow[] = [];
    for (const g of details) {
      if (!g) continue;
      groups.push({
        workspace_id: ws,
        chat_id: g.chat_id,
        name: g.name ?? '',
        owner: g.owner,
        notice: g.notice || null,
        status: 'active',
        member_count: g.member_list.length,
        created_at: g.create_time * 1000,
        dismissed_at: null,
        updated_at: now,
      });
      const seen = new Set<string>();
      for (const m of g.member_list) {
        if (seen.has(m.userid) || erased.has(m.userid)) continue;
        seen.add(m.userid);
        members.push({
          workspace_id: ws,
          chat_id: g.chat_id,
          member_id: m.userid,
          type: m.type,
          unionid: m.unionid || null,
          join_time: m.join_time * 1000,
          join_scene: m.join_scene ?? null,
          invitor: m.invitor?.userid ?? null,
          quit_at: null,
          quit_scene: null,
          updated_at: now,
        });
      }
    }
    const next = page.next_cursor || null;
    if (next && next === cp.groups.cursor) throw new Error('WeCom groupchat/list returned the same next_cursor twice');
    await commit(async (trx, state) => {
      await repo.writeGroups(trx, deps.dialect, ws, groups, members, cp.startedAt, now);
      state.groups.cursor = next;
      state.counts.groups += groups.length;
      state.counts.groupMembers += members.length;
      if (!next) {
        state.counts.dismissedGroups = await repo.markDismissedGroups(trx, ws, cp.startedAt, now);
        state.phase = 'done';
        state.finishedAt = now;
      }
    });
    report(cp.counts.groups, next ? undefined : cp.counts.groups);
    if (!next || aborted(ctx)) return;
  }
}
