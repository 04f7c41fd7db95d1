/** The referral lists of the admin API: decisions with their reasons, commissions, and one referee's rewards; newest first. */
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import type { LoyaltyDeps } from './deps.js';
import { rewardFromRow } from './referrals.rewards.js';
import { type CommissionView, commissionView, type DecisionView, decisionView, type RewardView, rewardView } from './referrals.views.js';

/** Decisions, newest first; filters: outcome, reason, referrer id. */
export async function listDecisions(
  deps: LoyaltyDeps,
  ws: string,
  q: { limit: number; cursor?: string; outcome?: 'accepted' | 'rejected'; reason?: string; referrer?: string },
): Promise<Page<DecisionView>> {
  let sel = deps.database.db.selectFrom('referral_decisions').selectAll().where('workspace_id', '=', ws);
  if (q.outcome) sel = sel.where('outcome', '=', q.outcome);
  if (q.reason) sel = sel.where('reason', '=', q.reason);
  if (q.referrer) sel = sel.where('referrer_id', '=', q.referrer);
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, decisionView, (r) => [r.id]);
}

/** Commissions, newest first; filter: staff id. */
export async function listCommissions(deps: LoyaltyDeps, ws: string, q: { limit: number; cursor?: string; staff?: string }): Promise<Page<CommissionView>> {
  let sel = deps.database.db.selectFrom('referral_commissions').selectAll().where('workspace_id', '=', ws);
  if (q.staff) sel = sel.where('staff_id', '=', q.staff);
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, commissionView, (r) => [r.id]);
}

/** Rewards, newest first; filters: the beneficiary profile, the referee. */
export async function listRewards(
  deps: LoyaltyDeps,
  ws: string,
  q: { limit: number; cursor?: string; profile?: string; referee?: string },
): Promise<Page<RewardView>> {
  let sel = deps.database.db.selectFrom('referral_rewards').selectAll().where('workspace_id', '=', ws);
  if (q.profile) sel = sel.where('profile_id', '=', q.profile);
  if (q.referee) sel = sel.where('referee_id', '=', q.referee);
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows.map(rewardFromRow), q.limit, rewardView, (r) => [r.id]);
}
