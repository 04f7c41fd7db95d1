/**
 * Group-buy (拼团) campaigns and their groups. A member opens a group of a campaign (and is its
 * first member); others join it by its code (the share link carries it) until it has `group_size`
 * members: it is formed then, in the transaction of the last join, and every member gets the
 * campaign's reward and a `Group Buy Formed` event. A group not full at its deadline is cancelled by
 * the worker (group-buys.worker.ts). Joins of one group are serialised by a lock on its row.
 */
import { newId } from '../platform/ids.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { mergedIdsOf } from '../cdp/index.js';
import { randomCodes, normaliseCode } from './coupons.codes.js';
import { findTemplate } from './coupons.repo.js';
import type { LoyaltyDeps } from './deps.js';
import { type CampaignStatus, type GroupBuyCampaignsTable, type GroupBuysTable, type GroupStatus } from './group-buys.tables.js';
import { type Conn, num } from './ledger.repo.js';
import { MemberApiError } from './member-api.errors.js';

/** The body that creates a campaign. */
export interface CampaignBody {
  name: string;
  productId: string;
  productName?: string | null;
  priceFen?: number | null;
  groupSize: number;
  groupHours: number;
  endsAt: string;
  status?: 'active' | 'paused';
  rewardPoints?: number | null;
  rewardCouponTemplateId?: string | null;
}

/** What PATCH may change. */
export interface CampaignPatch {
  name?: string;
  productName?: string | null;
  endsAt?: string;
  status?: CampaignStatus;
  rewardPoints?: number | null;
}

/** A campaign as the API answers it, with counts of its groups. */
export interface CampaignView {
  id: string;
  name: string;
  productId: string;
  productName: string | null;
  priceFen: number | null;
  groupSize: number;
  groupHours: number;
  endsAt: string;
  status: CampaignStatus;
  rewardPoints: number | null;
  rewardCouponTemplateId: string | null;
  groups: { open: number; formed: number; cancelled: number };
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: unknown) => new Date(num(ms)).toISOString();

function parseTime(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value) || Number.isNaN(ms)) {
    throw new MemberApiError('VALIDATION_FAILED', `${field} must be an ISO-8601 time with an offset or Z, got "${value}"`, { field });
  }
  return ms;
}

function campaignView(c: GroupBuyCampaignsTable, counts: Partial<Record<GroupStatus, number>>): CampaignView {
  return {
    id: c.id,
    name: c.name,
    productId: c.product_id,
    productName: c.product_name,
    priceFen: c.price_fen === null ? null : num(c.price_fen),
    groupSize: num(c.group_size),
    groupHours: num(c.group_hours),
    endsAt: iso(c.ends_at),
    status: c.status,
    rewardPoints: c.reward_points === null ? null : num(c.reward_points),
    rewardCouponTemplateId: c.reward_coupon_template_id,
    groups: { open: counts.open ?? 0, formed: counts.formed ?? 0, cancelled: counts.cancelled ?? 0 },
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
  };
}

/** A campaign's row (404 GROUP_BUY_CAMPAIGN_NOT_FOUND). */
export async function findCampaign(db: Conn, ws: string, id: string): Promise<GroupBuyCampaignsTable> {
  const c = await db.selectFrom('loyalty_group_buy_campaigns').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!c) throw new MemberApiError('GROUP_BUY_CAMPAIGN_NOT_FOUND', `no group-buy campaign "${id}" in this workspace`, { id });
  return c;
}

async function groupCounts(db: Conn, ws: string, ids: string[]): Promise<Map<string, Partial<Record<GroupStatus, number>>>> {
  const out = new Map<string, Partial<Record<GroupStatus, number>>>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('loyalty_group_buys')
    .select((eb) => ['campaign_id', 'status', eb.fn.countAll().as('n')])
    .where('workspace_id', '=', ws)
    .where('campaign_id', 'in', ids)
    .groupBy(['campaign_id', 'status'])
    .execute();
  for (const r of rows) out.set(r.campaign_id, { ...out.get(r.campaign_id), [r.status]: num(r.n) });
  return out;
}

/** Creates a campaign (a coupon reward names a template of the workspace). */
export async function createCampaign(deps: LoyaltyDeps, ws: string, b: CampaignBody): Promise<CampaignView> {
  const db = deps.database.db;
  const now = deps.now();
  const endsAt = parseTime(b.endsAt, 'endsAt');
  if (endsAt <= now) throw new MemberApiError('VALIDATION_FAILED', 'endsAt must be in the future', { field: 'endsAt' });
  let templateId: string | null = null;
  if (b.rewardCouponTemplateId) {
    const t = await findTemplate(db, deps.database.dialect, ws, b.rewardCouponTemplateId);
    if (!t)
      throw new MemberApiError('VALIDATION_FAILED', `no coupon template "${b.rewardCouponTemplateId}" in this workspace`, { field: 'rewardCouponTemplateId' });
    templateId = t.id;
  }
  const row: GroupBuyCampaignsTable = {
    workspace_id: ws,
    id: newId('gbc', now),
    name: b.name,
    product_id: b.productId,
    product_name: b.productName ?? null,
    price_fen: b.priceFen ?? null,
    group_size: b.groupSize,
    group_hours: b.groupHours,
    ends_at: endsAt,
    status: b.status ?? 'active',
    reward_points: b.rewardPoints ?? null,
    reward_coupon_template_id: templateId,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('loyalty_group_buy_campaigns').values(row).execute();
  return campaignView(row, {});
}

/** One campaign with its group counts. */
export async function getCampaign(deps: LoyaltyDeps, ws: string, id: string): Promise<CampaignView> {
  const c = await findCampaign(deps.database.db, ws, id);
  return campaignView(c, (await groupCounts(deps.database.db, ws, [id])).get(id) ?? {});
}

/** Changes a campaign (its size and product stay: groups were opened for them). */
export async function updateCampaign(deps: LoyaltyDeps, ws: string, id: string, p: CampaignPatch): Promise<CampaignView> {
  await findCampaign(deps.database.db, ws, id);
  await deps.database.db
    .updateTable('loyalty_group_buy_campaigns')
    .set({
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.productName !== undefined ? { product_name: p.productName } : {}),
      ...(p.endsAt !== undefined ? { ends_at: parseTime(p.endsAt, 'endsAt') } : {}),
      ...(p.status !== undefined ? { status: p.status } : {}),
      ...(p.rewardPoints !== undefined ? { reward_points: p.rewardPoints } : {}),
      updated_at: deps.now(),
    })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return getCampaign(deps, ws, id);
}

/** Campaigns newest first (archived ones only with `status=archived`). */
export async function listCampaigns(
  deps: LoyaltyDeps,
  ws: string,
  q: { limit: number; cursor?: string; status?: CampaignStatus },
): Promise<Page<CampaignView>> {
  const db = deps.database.db;
  let sel = db.selectFrom('loyalty_group_buy_campaigns').selectAll().where('workspace_id', '=', ws);
  sel = q.status ? sel.where('status', '=', q.status) : sel.where('status', '!=', 'archived');
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const counts = await groupCounts(
    db,
    ws,
    rows.map((r) => r.id),
  );
  return pageOf(
    rows,
    q.limit,
    (c) => campaignView(c, counts.get(c.id) ?? {}),
    (r) => [r.id],
  );
}

/** A group as the API answers it; `members` (profile ids) for the brand's API only, `you` on member routes. */
export interface GroupView {
  id: string;
  code: string;
  campaignId: string;
  status: GroupStatus;
  size: number;
  joined: number;
  deadline: string;
  formedAt: string | null;
  cancelledAt: string | null;
  createdAt: string;
  leaderProfileId?: string;
  members?: { profileId: string; joinedAt: string }[];
  you?: boolean;
}

/** A group's view; with `members` the member rows (admin), with `you` whether the member asking is in it. */
export function groupView(g: GroupBuysTable, opts: { members?: { profile_id: string; joined_at: number }[]; you?: boolean } = {}): GroupView {
  return {
    id: g.id,
    code: g.code,
    campaignId: g.campaign_id,
    status: g.status,
    size: num(g.size),
    joined: num(g.joined),
    deadline: iso(g.deadline),
    formedAt: g.formed_at === null ? null : iso(g.formed_at),
    cancelledAt: g.cancelled_at === null ? null : iso(g.cancelled_at),
    createdAt: iso(g.created_at),
    ...(opts.members
      ? { leaderProfileId: g.leader_profile_id, members: opts.members.map((m) => ({ profileId: m.profile_id, joinedAt: iso(m.joined_at) })) }
      : {}),
    ...(opts.you !== undefined ? { you: opts.you } : {}),
  };
}

/** The members of a group in joining order. */
export async function groupMembers(db: Conn, ws: string, groupId: string): Promise<{ profile_id: string; joined_at: number }[]> {
  const rows = await db
    .selectFrom('loyalty_group_buy_members')
    .select(['profile_id', 'joined_at'])
    .where('workspace_id', '=', ws)
    .where('group_id', '=', groupId)
    .orderBy('joined_at')
    .orderBy('profile_id')
    .execute();
  return rows.map((r) => ({ profile_id: r.profile_id, joined_at: num(r.joined_at) }));
}

/** A group by its code (as typed: any case, separators ignored); 404 GROUP_BUY_NOT_FOUND. */
export async function findGroupByCode(db: Conn, ws: string, code: string): Promise<GroupBuysTable> {
  const g = await db.selectFrom('loyalty_group_buys').selectAll().where('workspace_id', '=', ws).where('code', '=', normaliseCode(code)).executeTakeFirst();
  if (!g) throw new MemberApiError('GROUP_BUY_NOT_FOUND', `no group-buy with code "${code}" in this workspace`, { code });
  return g;
}

/** A campaign's groups newest first (optionally of one status), with their members. */
export async function listGroups(
  deps: LoyaltyDeps,
  ws: string,
  campaignId: string,
  q: { limit: number; cursor?: string; status?: GroupStatus },
): Promise<Page<GroupView>> {
  const db = deps.database.db;
  await findCampaign(db, ws, campaignId);
  let sel = db.selectFrom('loyalty_group_buys').selectAll().where('workspace_id', '=', ws).where('campaign_id', '=', campaignId);
  if (q.status) sel = sel.where('status', '=', q.status);
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const members = new Map<string, { profile_id: string; joined_at: number }[]>();
  for (const g of rows.slice(0, q.limit)) members.set(g.id, await groupMembers(db, ws, g.id));
  return pageOf(
    rows,
    q.limit,
    (g) => groupView(g, { members: members.get(g.id) ?? [] }),
    (r) => [r.id],
  );
}

/** A new share code for a group: "G" and ten characters of the coupon codes' unambiguous alphabet. */
export const newGroupCode = (): string => randomCodes(1, 'G')[0]!;

/**
 * The number of formed groups a member led (opened), counting the profiles merged into them: the
 * KOC score's "group-buys led" (the referral module wires it).
 */
export async function groupBuysLedBy(db: Conn, workspaceId: string, profileId: string): Promise<number> {
  const ids = [profileId, ...(await mergedIdsOf(db, workspaceId, profileId))];
  const r = await db
    .selectFrom('loyalty_group_buys')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('leader_profile_id', 'in', ids)
    .where('status', '=', 'formed')
    .executeTakeFirstOrThrow();
  return num(r.n);
}

/**
 * Formed groups led by each of `profileIds` (the KOC score's default input when the root gives no
 * port). Counted by the leader's id as it was when the group opened: a leader merged away later
 * counts under their old id (groupBuysLedBy counts those for one member).
 */
export async function groupBuysLedMany(db: Conn, workspaceId: string, profileIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < profileIds.length; i += 500) {
    const rows = await db
      .selectFrom('loyalty_group_buys')
      .select((eb) => ['leader_profile_id', eb.fn.countAll().as('n')])
      .where('workspace_id', '=', workspaceId)
      .where('leader_profile_id', 'in', profileIds.slice(i, i + 500))
      .where('status', '=', 'formed')
      .groupBy('leader_profile_id')
      .execute();
    for (const r of rows) out.set(r.leader_profile_id, num(r.n));
  }
  return out;
}
