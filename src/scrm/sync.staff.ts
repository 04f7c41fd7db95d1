/** The staff and tags phases of a full sync: every member with departments and names, and the corp tags. */
import { WeComError } from '../wecom/index.js';
import type * as W from '../wecom/index.js';
import { type Commit, type Ctx, meter } from './sync.context.js';
import * as repo from './sync.repo.js';

/** WeCom's root department: `user/simplelist?department_id=1&fetch_child=1` lists everyone visible. */
const ROOT_DEPARTMENT = 1;

/** Staff: user/list_id (departments), get_follow_user_list (who may have customers), names when readable; members not seen are resigned. */
export async function syncStaff(ctx: Ctx, commit: Commit): Promise<void> {
  const { client, log } = ctx.deps;
  const report = meter(ctx, 'staff');
  const departments = new Map<string, Set<number>>();
  for await (const du of client.iterateUserIds()) {
    let set = departments.get(du.userid);
    if (!set) departments.set(du.userid, (set = new Set()));
    set.add(du.department);
  }
  const follow = new Set((await client.getFollowUserList()).follow_user);
  // user/list_id carries no names; the root department's simple list does, when the app may read it.
  const names = new Map<string, string>();
  try {
    const res = await client.request<W.SimpleListResponse>({
      api: 'user/simplelist',
      method: 'GET',
      query: { department_id: ROOT_DEPARTMENT, fetch_child: 1 },
      idempotent: true,
    });
    for (const u of res.userlist) names.set(u.userid, u.name);
  } catch (err) {
    if (!(err instanceof WeComError)) throw err;
    log.warn({ errcode: err.errcode }, 'wecom sync: member names are not readable (user/simplelist); userids stand in for names');
  }
  const now = ctx.deps.now();
  const userids = [...new Set([...departments.keys(), ...follow])].sort();
  const rows = userids.map((userid) => ({
    workspace_id: ctx.ws,
    userid,
    name: names.get(userid) ?? userid,
    departments: JSON.stringify([...(departments.get(userid) ?? [])].sort((a, b) => a - b)),
    status: 'active',
    can_follow: follow.has(userid) ? 1 : 0,
    updated_at: now,
  }));
  const { cp } = ctx;
  await commit(async (trx, next) => {
    next.counts.resignedStaff = await repo.writeStaff(trx, ctx.deps.dialect, ctx.ws, rows, cp.startedAt, now);
    next.counts.staff = rows.length;
    next.followUserids = [...follow].sort();
    next.phase = 'tags';
  });
  report(rows.length, rows.length);
}

/** Corp tags: every live tag; tags not seen are deleted. */
export async function syncTags(ctx: Ctx, commit: Commit): Promise<void> {
  const report = meter(ctx, 'tags');
  const res = await ctx.deps.client.getCorpTagList({});
  const now = ctx.deps.now();
  const rows = res.tag_group
    .filter((g) => !g.deleted)
    .flatMap((g) =>
      g.tag
        .filter((t) => !t.deleted)
        .map((t) => ({
          workspace_id: ctx.ws,
          tag_id: t.id,
          group_id: g.group_id,
          group_name: g.group_name,
          name: t.name,
          sort_order: t.order,
          deleted_at: null,
          updated_at: now,
        })),
    );
  const { cp } = ctx;
  await commit(async (trx, next) => {
    next.counts.deletedTags = await repo.writeCorpTags(trx, ctx.deps.dialect, ctx.ws, rows, cp.startedAt, now);
    next.counts.tags = rows.length;
    next.phase = 'contacts';
  });
  report(rows.length, rows.length);
}
