import { type OpsContext, opsDb, segmentFollows } from './context.js';
import type { Sop } from './sops.service.js';

/** A group or customer a SOP reaches, its owner, and when it joined the SOP. */
export interface Target {
  type: 'group' | 'customer';
  id: string;
  staff: string;
  anchor: number;
}

/** The active groups a groups target names (by chat id, owner or group tag), joined `since` or later when given. */
async function groupTargets(ctx: OpsContext, ws: string, sop: Sop & { target: { type: 'groups' } }, since: number | undefined): Promise<Target[]> {
  const created = Date.parse(sop.createdAt);
  const t = sop.target;
  const tagged = t.groupTagIds?.length && ctx.groupsWithTags ? await ctx.groupsWithTags(ws, t.groupTagIds) : [];
  const chatIds = [...new Set([...(t.chatIds ?? []), ...tagged])];
  const owners = t.owners ?? [];
  if (!chatIds.length && !owners.length) return [];
  let q = opsDb(ctx).selectFrom('scrm_groups').select(['chat_id', 'owner', 'created_at']).where('workspace_id', '=', ws).where('status', '=', 'active');
  q = q.where((eb) => eb.or([...(chatIds.length ? [eb('chat_id', 'in', chatIds)] : []), ...(owners.length ? [eb('owner', 'in', owners)] : [])]));
  if (since !== undefined) q = q.where('created_at', '>=', since);
  return (await q.execute()).map((g) => ({ type: 'group', id: g.chat_id, staff: g.owner, anchor: Math.max(Number(g.created_at), created) }));
}

/** The live follow relations a customers target reaches (segment members, or contacts added since the SOP), of members who have not left. */
async function customerFollows(ctx: OpsContext, ws: string, sop: Sop, since: number | undefined) {
  const db = opsDb(ctx);
  const created = Date.parse(sop.createdAt);
  const t = sop.target;
  if ('segmentId' in t)
    return segmentFollows(db, ws, t.segmentId)
      .leftJoin('scrm_staff as s', (j) => j.onRef('s.workspace_id', '=', 'f.workspace_id').onRef('s.userid', '=', 'f.userid'))
      .select(['f.external_userid', 'f.userid', 'f.added_at', 'sm.entered_at as joined'])
      .where((eb) => eb.or([eb('s.status', 'is', null), eb('s.status', '!=', 'resigned')]))
      .$if(since !== undefined, (q) => q.where('sm.entered_at', '>=', since!))
      .execute();
  const states = t.type === 'customers' && 'newContacts' in t ? t.liveCodeStates : undefined;
  return db
    .selectFrom('scrm_follows as f')
    .leftJoin('scrm_staff as s', (j) => j.onRef('s.workspace_id', '=', 'f.workspace_id').onRef('s.userid', '=', 'f.userid'))
    .select(['f.external_userid', 'f.userid', 'f.added_at', 'f.added_at as joined'])
    .where('f.workspace_id', '=', ws)
    .where('f.deleted_at', 'is', null)
    .where('f.added_at', '>=', Math.max(created, since ?? 0))
    .where((eb) => eb.or([eb('s.status', 'is', null), eb('s.status', '!=', 'resigned')]))
    .$if(!!states?.length, (q) => q.where('f.state', 'in', states!))
    .execute();
}

/** The targets of a SOP that joined `since` or later (all when undefined); a customer's owner is their earliest live follower who has not left the corp. */
export async function resolveTargets(ctx: OpsContext, ws: string, sop: Sop, since: number | undefined): Promise<Target[]> {
  if (sop.target.type === 'groups') return groupTargets(ctx, ws, sop as Sop & { target: { type: 'groups' } }, since);
  const created = Date.parse(sop.createdAt);
  const best = new Map<string, Target & { added: number }>();
  for (const r of await customerFollows(ctx, ws, sop, since)) {
    const prev = best.get(r.external_userid);
    const anchor = Math.max(Number(r.joined), created);
    if (!prev || Number(r.added_at) < prev.added)
      best.set(r.external_userid, { type: 'customer', id: r.external_userid, staff: r.userid, anchor, added: Number(r.added_at) });
  }
  return [...best.values()].map(({ type, id, staff, anchor }) => ({ type, id, staff, anchor }));
}
