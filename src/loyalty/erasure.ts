/**
 * Erasure of a person from loyalty (issue #19): nothing is deleted — the points ledger, coupons,
 * tiers, check-ins, awards, referrals, redemptions, draws, group-buys and deductions keep their
 * amounts and are detached to the person's anonymous stand-in (`ers_…`), the same id in every
 * table, so each account still equals the sum of its entries (`siyu loyalty verify`) and the
 * programme's totals (points outstanding, coupons issued and redeemed) do not move. Points of a
 * merged-away profile not yet moved to the survivor (the merge sweep is asynchronous) are moved
 * first, as the sweep would; any row still held by a merged-away id is detached to a stand-in of
 * its own (`ers_…-1`, …), since an account is one per id. One transaction: run again, nothing names
 * the person any more and every count is zero.
 */
import type { Database } from '../platform/db/database.js';
import { affected, type ErasureCounts, type ErasureTarget } from '../platform/personal-data.js';
import { findAccount } from './ledger.repo.js';
import { moveAccount } from './merges.service.js';

/** Tables whose `profile_id` names the person, by the kind the export calls them. */
const BY_PROFILE = {
  points_accounts: 'loyalty_accounts',
  points_ledger: 'loyalty_entries',
  coupons: 'coupons',
  coupon_redemptions: 'coupon_redemptions',
  tiers: 'loyalty_members',
  tier_history: 'loyalty_tier_history',
  paid_memberships: 'loyalty_paid_memberships',
  checkins: 'loyalty_checkins',
  awards: 'loyalty_awards',
  referral_rewards: 'referral_rewards',
  catalogue_redemptions: 'loyalty_catalogue_redemptions',
  lottery_draws: 'loyalty_lottery_draws',
  group_buys: 'loyalty_group_buy_members',
  checkout_deductions: 'loyalty_checkout_deductions',
} as const;

/** Other columns that name a member: [kind, table, column, the kind column that must say `member`]. */
const OTHER_COLUMNS = [
  ['referral_codes', 'referral_codes', 'owner_id', 'owner_kind'],
  ['referrals', 'referrals', 'referee_id', null],
  ['referrals', 'referrals', 'referrer_id', 'referrer_kind'],
  ['referral_decisions', 'referral_decisions', 'referee_id', null],
  ['referral_decisions', 'referral_decisions', 'referrer_id', 'referrer_kind'],
  ['referral_rewards', 'referral_rewards', 'referee_id', null],
  ['referral_commissions', 'referral_commissions', 'referee_id', null],
  ['group_buys', 'loyalty_group_buys', 'leader_profile_id', null],
] as const;

/** Detaches the person `target` names in every loyalty table to their stand-in. */
export async function eraseLoyaltyPerson(database: Database, ws: string, target: ErasureTarget): Promise<ErasureCounts> {
  const ids = target.profileIds;
  return database.db.transaction().execute(async (trx) => {
    const counts: ErasureCounts = {};
    const add = (kind: string, n: number) => (counts[kind] = (counts[kind] ?? 0) + n);
    for (const merged of ids.slice(1)) {
      const account = await findAccount(trx, ws, merged);
      if (account && (account.balance > 0 || account.pending > 0))
        add('points_moved_from_merged', (await moveAccount(trx, database, ws, merged, ids[0]!, target.at)).points);
    }
    for (const [i, id] of ids.entries()) {
      const standIn = i === 0 ? target.detachedId : `${target.detachedId}-${i}`;
      for (const [kind, table] of Object.entries(BY_PROFILE)) {
        const res = await trx
          .updateTable(table as 'loyalty_accounts')
          .set({ profile_id: standIn })
          .where('workspace_id', '=', ws)
          .where('profile_id', '=', id)
          .executeTakeFirst();
        add(kind, affected(res));
      }
      for (const [kind, table, column, kindColumn] of OTHER_COLUMNS) {
        // Table and column names come from the constant above; Kysely's typing cannot follow them.
        let q = trx
          .updateTable(table as 'referrals')
          .set({ [column]: standIn } as never)
          .where('workspace_id', '=', ws)
          .where(column as 'referee_id', '=', id);
        if (kindColumn) q = q.where(kindColumn as 'referrer_kind', '=', 'member');
        add(kind, affected(await q.executeTakeFirst()));
      }
    }
    return counts;
  });
}
