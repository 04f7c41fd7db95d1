/**
 * Members as the admin API shows them: one member's points, tier in force with its benefits,
 * qualification (value now, next tier), paid membership and tier history; the members list paged
 * by profile id, filtered by tier; and the tier points multiplier the earning rules apply.
 */
import type { Page } from '../platform/http-schemas.js';
import type { LoyaltyDeps } from './deps.js';
import { type Conn, findAccount, num } from './ledger.repo.js';
import { findMember, qualificationValues } from './members.repo.js';
import { type PaidMembershipView, paidView } from './membership.service.js';
import { type Benefits, benefitsOf, nextTier, qualifyingTier, rankOf, type TierProgram, tierProgram, windowStart } from './tiers.service.js';
import type { TierChangeReason } from './tiers.tables.js';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(num(ms)).toISOString());

/** A tier as a member view names it. */
type TierRef = { key: string; name: string; rank: number } | null;

function tierRef(p: TierProgram, key: string | null): TierRef {
  const rank = rankOf(p, key);
  return rank < 0 ? null : { key: key!, name: p.tiers[rank]!.name, rank };
}

/** A member (GET /v1/loyalty/members/:profileId). */
export interface MemberView {
  profileId: string;
  balance: number;
  pending: number;
  lifetimeEarned: number;
  tier: TierRef;
  benefits: Benefits;
  qualification: {
    basis: 'points' | 'spend';
    value: number;
    since: string | null;
    tier: TierRef;
    graceUntil: string | null;
    next: ReturnType<typeof nextTier>;
  };
  paidMembership: { tier: string; until: string } | null;
  purchases: PaidMembershipView[];
  history: { id: string; from: string | null; to: string | null; reason: TierChangeReason; value: number; note: string | null; createdAt: string }[];
}

/** One member's view (a member without account or tier: zeros and no tier). */
export async function memberView(deps: LoyaltyDeps, ws: string, ref: string): Promise<MemberView> {
  const profileId = await deps.resolveProfile(ws, ref);
  const db = deps.database.db;
  const now = deps.now();
  const { program } = await tierProgram(db, ws);
  const [account, member] = [await findAccount(db, ws, profileId), await findMember(db, ws, profileId)];
  const value = (await qualificationValues(db, ws, program, [profileId], now)).get(profileId) ?? 0;
  const paidRunning = member?.paidKey && member.paidUntil !== null && member.paidUntil > now;
  const history = await db
    .selectFrom('loyalty_tier_history')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', profileId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
  const purchases = await db
    .selectFrom('loyalty_paid_memberships')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', profileId)
    .orderBy('created_at', 'desc')
    .limit(20)
    .execute();
  const tierKey = member?.tierKey ?? null;
  return {
    profileId,
    balance: account?.balance ?? 0,
    pending: account?.pending ?? 0,
    lifetimeEarned: account?.lifetime_earned ?? 0,
    tier: tierRef(program, tierKey),
    benefits: benefitsOf(program, rankOf(program, tierKey) < 0 ? null : tierKey),
    qualification: {
      basis: program.basis,
      value,
      since: program.window.kind === 'lifetime' ? null : iso(windowStart(program, now)),
      tier: tierRef(program, member?.qualifiedKey ?? qualifyingTier(program, value)?.key ?? null),
      graceUntil: iso(member?.graceUntil),
      next: nextTier(program, value),
    },
    paidMembership: paidRunning ? { tier: member.paidKey!, until: iso(member.paidUntil)! } : null,
    purchases: purchases.map(paidView),
    history: history.map((h) => ({
      id: h.id,
      from: h.from_key,
      to: h.to_key,
      reason: h.reason,
      value: num(h.value),
      note: h.note,
      createdAt: iso(h.created_at)!,
    })),
  };
}

/** A row of the members list. */
export interface MemberRow {
  profileId: string;
  tier: TierRef;
  balance: number;
  pending: number;
  lifetimeEarned: number;
  value: number;
  paidUntil: string | null;
  updatedAt: string;
}

/** The members (every profile with a points account or a tier), by profile id; `tier=none` lists those without one. */
export async function listMembers(db: Conn, ws: string, opts: { limit: number; cursor?: string; tier?: string }): Promise<Page<MemberRow>> {
  const { program } = await tierProgram(db, ws);
  let q = db
    .selectFrom('loyalty_members as m')
    .leftJoin('loyalty_accounts as a', (j) => j.onRef('a.workspace_id', '=', 'm.workspace_id').onRef('a.profile_id', '=', 'm.profile_id'))
    .select(['m.profile_id', 'm.tier_key', 'm.value', 'm.paid_key', 'm.paid_until', 'm.updated_at', 'a.balance', 'a.pending', 'a.lifetime_earned'])
    .where('m.workspace_id', '=', ws);
  if (opts.tier === 'none') q = q.where('m.tier_key', 'is', null);
  else if (opts.tier) q = q.where('m.tier_key', '=', opts.tier);
  if (opts.cursor) q = q.where('m.profile_id', '>', opts.cursor);
  const rows = await q
    .orderBy('m.profile_id')
    .limit(opts.limit + 1)
    .execute();
  const page = rows.slice(0, opts.limit);
  return {
    data: page.map((r) => ({
      profileId: r.profile_id,
      tier: tierRef(program, r.tier_key),
      balance: num(r.balance ?? 0),
      pending: num(r.pending ?? 0),
      lifetimeEarned: num(r.lifetime_earned ?? 0),
      value: num(r.value),
      paidUntil: r.paid_key ? iso(r.paid_until) : null,
      updatedAt: iso(r.updated_at)!,
    })),
    nextCursor: rows.length > opts.limit ? page.at(-1)!.profile_id : null,
  };
}

/** The points multiplier of a member's tier in force (1 without one), read on `db` (the rules engine passes its transaction). */
export async function tierMultiplierOf(db: Conn, ws: string, profileId: string): Promise<number> {
  const m = await findMember(db, ws, profileId);
  if (!m?.tierKey) return 1;
  const { program } = await tierProgram(db, ws);
  return benefitsOf(program, m.tierKey).pointsMultiplier;
}
