/**
 * What loyalty holds about a person (issue #19, data-subject export): the points account and its
 * ledger, coupons and their redemptions, tier and paid membership, check-ins, awards, referrals
 * (as referee and as referring member) with their codes and rewards, catalogue redemptions,
 * lottery draws, group-buys and checkout deductions.
 */
import type { Database } from '../platform/db/database.js';
import { eraseLoyaltyPerson } from './erasure.js';
import { listedKind, pagedKind, type PersonalDataKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

const PAGE = 500;

type Db = Database['db'];
const omit = ['request_hash'];

/** The points account and ledger, coupons and their redemptions. */
function pointsAndCoupons(db: Db, ws: string, ids: string[]): PersonalDataKind[] {
  return [
    listedKind('points_accounts', async () =>
      (await db.selectFrom('loyalty_accounts').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) => plainRow(r)),
    ),
    pagedKind<{ profile_id: string; seq: number }>(
      'points_ledger',
      async (after) => {
        let q = db.selectFrom('loyalty_entries').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids);
        if (after)
          q = q.where((w) => w.or([w('profile_id', '>', after.profile_id), w.and([w('profile_id', '=', after.profile_id), w('seq', '>', after.seq)])]));
        return (await q.orderBy('profile_id').orderBy('seq').limit(PAGE).execute()) as unknown as { profile_id: string; seq: number }[];
      },
      PAGE,
      (r) => plainRow(r, { omit }),
    ),
    listedKind('coupons', async () =>
      (await db.selectFrom('coupons').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).orderBy('issued_at').execute()).map((r) =>
        plainRow(r),
      ),
    ),
    listedKind('coupon_redemptions', async () =>
      (await db.selectFrom('coupon_redemptions').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
        plainRow(r, { omit }),
      ),
    ),
  ];
}

/** Tiers, paid membership, check-ins, awards, referrals, catalogue, lotteries, group-buys, checkout. */
function programmes(db: Db, ws: string, ids: string[]): PersonalDataKind[] {
  return [
    listedKind('tiers', async () =>
      (await db.selectFrom('loyalty_members').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) => plainRow(r)),
    ),
    listedKind('tier_history', async () =>
      (
        await db.selectFrom('loyalty_tier_history').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).orderBy('created_at').execute()
      ).map((r) => plainRow(r)),
    ),
    listedKind('paid_memberships', async () =>
      (await db.selectFrom('loyalty_paid_memberships').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
        plainRow(r, { omit }),
      ),
    ),
    listedKind('checkins', async () =>
      (await db.selectFrom('loyalty_checkins').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).orderBy('day').execute()).map((r) =>
        plainRow(r),
      ),
    ),
    listedKind('awards', async () =>
      (await db.selectFrom('loyalty_awards').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) => plainRow(r)),
    ),
    listedKind('referral_codes', async () =>
      (
        await db
          .selectFrom('referral_codes')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('owner_kind', '=', 'member')
          .where('owner_id', 'in', ids)
          .execute()
      ).map((r) => plainRow(r)),
    ),
    listedKind('referrals', async () =>
      (
        await db
          .selectFrom('referrals')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where((w) => w.or([w('referee_id', 'in', ids), w.and([w('referrer_kind', '=', 'member'), w('referrer_id', 'in', ids)])]))
          .execute()
      ).map((r) => plainRow(r)),
    ),
    listedKind('referral_rewards', async () =>
      (await db.selectFrom('referral_rewards').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) => plainRow(r)),
    ),
    listedKind('catalogue_redemptions', async () =>
      (await db.selectFrom('loyalty_catalogue_redemptions').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
        plainRow(r),
      ),
    ),
    listedKind('lottery_draws', async () =>
      (await db.selectFrom('loyalty_lottery_draws').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
        plainRow(r),
      ),
    ),
    listedKind('group_buys', async () =>
      (await db.selectFrom('loyalty_group_buy_members').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
        plainRow(r),
      ),
    ),
    listedKind('checkout_deductions', async () =>
      (await db.selectFrom('loyalty_checkout_deductions').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
        plainRow(r),
      ),
    ),
  ];
}

/** Loyalty's personal-data source. */
export function loyaltyPersonalData(deps: { database: Database }): PersonalDataSource {
  const db = deps.database.db;
  return {
    module: 'loyalty',
    async read(ws, ids) {
      return [...pointsAndCoupons(db, ws, ids), ...programmes(db, ws, ids)];
    },
    erase: (ws, target) => eraseLoyaltyPerson(deps.database, ws, target),
  };
}
