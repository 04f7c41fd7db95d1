/**
 * What follows from referrals: a rule's rewards to the referrer, the referee or both; and, when a
 * member's count of successful referrals changes, their milestones (each once) and the
 * `referral_count` profile trait segment rules read.
 */
import { loadProfileState, lockProfileFollowingMerges, writeTraits } from '../cdp/index.js';
import type { LoyaltyDeps } from './deps.js';
import type { Conn } from './ledger.repo.js';
import { familyOf } from './referrals.checks.js';
import type { ReferralProgramme, RewardRule } from './referrals.programme.js';
import { grantReward, type RewardRow } from './referrals.rewards.js';

/** The profile trait that holds a member's successful referrals. */
export const REFERRAL_COUNT_TRAIT = 'referral_count';

/** The parties of a referral as a grant needs them. */
export interface Parties {
  workspace_id: string;
  referrer_kind: 'member' | 'staff';
  /** The referee as attributed (rewards are keyed by it). */
  referee_id: string;
  referrerLive: string;
  /** The referee's live profile now (default `referee_id`). */
  refereeLive?: string;
}

/**
 * Gives a rule's reward to its beneficiaries (a staff referrer has no profile: only the referee is
 * rewarded), keyed `<key>:referrer` and `<key>:referee`; answers the rewards given now.
 */
export async function grantFor(
  trx: Conn,
  deps: LoyaltyDeps,
  rule: RewardRule,
  r: Parties,
  at: { key: string; orderId: string | null },
  now: number,
): Promise<RewardRow[]> {
  const to: { role: 'referrer' | 'referee'; profileId: string }[] = [];
  if ((rule.to === 'referrer' || rule.to === 'both') && r.referrer_kind === 'member') to.push({ role: 'referrer', profileId: r.referrerLive });
  if (rule.to === 'referee' || rule.to === 'both') to.push({ role: 'referee', profileId: r.refereeLive ?? r.referee_id });
  const out: RewardRow[] = [];
  for (const t of to) {
    const req = {
      workspaceId: r.workspace_id,
      key: `${at.key}:${t.role}`,
      refereeId: r.referee_id,
      profileId: t.profileId,
      ruleId: rule.id,
      trigger: rule.on,
      reward: rule.reward,
      orderId: at.orderId,
      reason: `referral reward (${rule.name ?? rule.id}, ${t.role})`,
    };
    const g = await grantReward(trx, deps, req, now);
    if (g.first) out.push(g.reward);
  }
  return out;
}

/** A member's successful referrals: active referrals made with their codes, by them or by profiles merged into them. */
export async function referralCount(trx: Conn, ws: string, referrerLive: string): Promise<number> {
  const ids = await familyOf(trx, ws, referrerLive);
  const row = await trx
    .selectFrom('referrals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where('referrer_id', 'in', ids)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Writes the `referral_count` trait through cdp's published writer (the profile row locked, following merges). */
async function writeCountTrait(trx: Conn, ws: string, profileId: string, n: number, now: number): Promise<void> {
  const live = await lockProfileFollowingMerges(trx, ws, profileId, now);
  if (live === undefined) return;
  const state = await loadProfileState(trx, ws, live);
  if (!state) return;
  await writeTraits(trx, ws, live, { ...state.traits, [REFERRAL_COUNT_TRAIT]: n }, { ...state.traitTimes, [REFERRAL_COUNT_TRAIT]: now }, now);
}

/** After a member's referrals changed: the milestones reached (each once per member) and the trait; answers the rewards given now. */
export async function afterReferralsChanged(
  trx: Conn,
  deps: LoyaltyDeps,
  p: ReferralProgramme,
  ws: string,
  referrerLive: string,
  now: number,
): Promise<RewardRow[]> {
  const n = await referralCount(trx, ws, referrerLive);
  await writeCountTrait(trx, ws, referrerLive, n, now);
  const out: RewardRow[] = [];
  for (const m of p.milestones.filter((x) => x.count <= n)) {
    const req = {
      workspaceId: ws,
      key: `milestone:${m.id}:${referrerLive}`,
      refereeId: referrerLive,
      profileId: referrerLive,
      ruleId: m.id,
      trigger: 'milestone' as const,
      reward: m.reward,
      orderId: null,
      reason: `referral milestone: ${m.count} referrals`,
    };
    const g = await grantReward(trx, deps, req, now);
    if (g.first) out.push(g.reward);
  }
  return out;
}
