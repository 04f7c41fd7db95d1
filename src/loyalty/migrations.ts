import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';
import { addReversalColumns, createCatalogueTables, createGroupBuyTables } from './growth.migration.js';
import { tiersMigration } from './tiers.migration.js';

/** The loyalty module's migrations: 0022 (points accounts and the append-only ledger), 0028 (earning rules, awards and holds, check-ins, settings), 0029 (coupons), 0033 (tiers and paid memberships), 0034 (referrals), 0035 (catalogue, checkout, lotteries), 0036 (group-buys), 0042 (voided coupons, reversed catalogue redemptions). */
export function loyaltyMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'loyalty',
    migrations: {
      '0022_loyalty_ledger': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('loyalty_accounts')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('balance', 'bigint', (c) => c.notNull())
            .addColumn('pending', 'bigint', (c) => c.notNull())
            .addColumn('lifetime_earned', 'bigint', (c) => c.notNull())
            .addColumn('last_seq', 'bigint', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('loyalty_accounts_pk', ['workspace_id', 'profile_id'])
            .addCheckConstraint('loyalty_accounts_balance_check', sql`balance >= 0 and pending >= 0`)
            .execute();
          await db.schema
            .createTable('loyalty_entries')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('seq', 'bigint', (c) => c.notNull())
            .addColumn('kind', 'text', (c) => c.notNull())
            .addColumn('amount', 'bigint', (c) => c.notNull())
            .addColumn('requested', 'bigint', (c) => c.notNull())
            .addColumn('balance_after', 'bigint', (c) => c.notNull())
            .addColumn('reason', 'text', (c) => c.notNull())
            .addColumn('source_type', 'text', (c) => c.notNull())
            .addColumn('source_id', 'text')
            .addColumn('idempotency_key', 'text', (c) => c.notNull())
            .addColumn('request_hash', 'text', (c) => c.notNull())
            .addColumn('remaining', 'bigint')
            .addColumn('expires_at', t.millis)
            .addColumn('notified_at', t.millis)
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('loyalty_entries_pk', ['workspace_id', 'id'])
            .addCheckConstraint('loyalty_entries_remaining_check', sql`remaining is null or remaining >= 0`)
            .execute();
          await db.schema.createIndex('loyalty_entries_key').unique().on('loyalty_entries').columns(['workspace_id', 'idempotency_key']).execute();
          // An account's history in posting order (seq: 1, 2, ... per account, no gaps), and the verify pass's sums.
          await db.schema.createIndex('loyalty_entries_seq').unique().on('loyalty_entries').columns(['workspace_id', 'profile_id', 'seq']).execute();
          // Open lots by expiry: the expiry job and the "Points Expiring" notices read only credits with points left.
          await db.schema.createIndex('loyalty_entries_open_lots').on('loyalty_entries').columns(['expires_at']).where(sql.ref('remaining'), '>', 0).execute();
        },
      },
      '0028_loyalty_rules': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          await createEarningTables(db, t);
        },
      },
      '0029_loyalty_coupons': couponsMigration(engine),
      '0033_loyalty_tiers': tiersMigration(engine),
      '0034_loyalty_referrals': referralsMigration(engine),
      '0035_loyalty_catalogue': { up: (db: Kysely<any>) => createCatalogueTables(db, t) },
      '0036_loyalty_group_buys': { up: (db: Kysely<any>) => createGroupBuyTables(db, t) },
      '0042_loyalty_reversals': { up: (db: Kysely<any>) => addReversalColumns(db, t) },
      '0043_loyalty_open_lots_by_workspace': {
        // The expiry job of one workspace (runExpiry's workspaceId) read its due lots through
        // loyalty_entries_seq, every entry of the workspace per batch: quadratic, 340 lots/s once a
        // million were expired (bench/README.md, `loyalty`: expiry). Open lots by workspace and expiry.
        async up(db: Kysely<any>) {
          await db.schema
            .createIndex('loyalty_entries_open_lots_ws')
            .on('loyalty_entries')
            .columns(['workspace_id', 'expires_at'])
            .where(sql.ref('remaining'), '>', 0)
            .execute();
        },
      },
    },
  };
}

// size: one migration's three tables and their indexes, in creation order
/** 0029: coupon templates, coupons (one row per code) and their redemptions (see coupons.tables.ts). */
function couponsMigration(engine: Engine) {
  const t = columnTypes(engine);
  return {
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('coupon_templates')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('key', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint')
        .addColumn('percent_off', 'integer')
        .addColumn('cap_fen', 'bigint')
        .addColumn('threshold_fen', 'bigint', (c) => c.notNull())
        .addColumn('item_key', 'text')
        .addColumn('valid_from', t.millis)
        .addColumn('valid_until', t.millis)
        .addColumn('valid_days', 'integer')
        .addColumn('stackable', 'integer', (c) => c.notNull())
        .addColumn('max_per_order', 'integer', (c) => c.notNull())
        .addColumn('per_person_limit', 'integer')
        .addColumn('stock', 'bigint')
        .addColumn('created_count', 'bigint', (c) => c.notNull())
        .addColumn('code_prefix', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('coupon_templates_pk', ['workspace_id', 'id'])
        .addCheckConstraint('coupon_templates_stock_check', sql`stock is null or created_count <= stock`)
        .execute();
      await db.schema.createIndex('coupon_templates_key').unique().on('coupon_templates').columns(['workspace_id', 'key']).execute();
      await db.schema
        .createTable('coupons')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('issue_key', 'text')
        .addColumn('batch_id', 'text')
        .addColumn('reason', 'text')
        .addColumn('issued_at', t.millis)
        .addColumn('valid_from', t.millis)
        .addColumn('valid_until', t.millis)
        .addColumn('redemption_id', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('coupons_pk', ['workspace_id', 'id'])
        .execute();
      // Codes are unique per workspace (bulk generation inserts with ON CONFLICT DO NOTHING on it and draws again).
      await db.schema.createIndex('coupons_code').unique().on('coupons').columns(['workspace_id', 'code']).execute();
      await db.schema.createIndex('coupons_issue_key').unique().on('coupons').columns(['workspace_id', 'issue_key']).execute();
      await db.schema.createIndex('coupons_profile').on('coupons').columns(['workspace_id', 'profile_id', 'template_id']).execute();
      await db.schema.createIndex('coupons_template').on('coupons').columns(['workspace_id', 'template_id', 'status']).execute();
      await db.schema
        .createTable('coupon_redemptions')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('coupon_id', 'text', (c) => c.notNull())
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('order_amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('discount_fen', 'bigint', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('redeemed_at', t.millis, (c) => c.notNull())
        .addColumn('reversed_at', t.millis)
        .addColumn('reverse_reason', 'text')
        .addPrimaryKeyConstraint('coupon_redemptions_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('coupon_redemptions_key').unique().on('coupon_redemptions').columns(['workspace_id', 'idempotency_key']).execute();
      await db.schema.createIndex('coupon_redemptions_order').on('coupon_redemptions').columns(['workspace_id', 'order_id']).execute();
      await db.schema.createIndex('coupon_redemptions_template').on('coupon_redemptions').columns(['workspace_id', 'template_id']).execute();
    },
  };
}

/** 0028: the workspace's points settings, versioned earning rules, the rules' awards (with order holds) and check-ins. */
async function createEarningTables(db: Kysely<any>, t: ReturnType<typeof columnTypes>): Promise<void> {
  await db.schema
    .createTable('loyalty_settings')
    .addColumn('workspace_id', 'text', (c) => c.primaryKey())
    .addColumn('expiry_policy', t.json, (c) => c.notNull())
    .addColumn('notice_days', 'integer', (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('loyalty_rules')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('definition', t.json, (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('deactivated_at', t.millis)
    .addPrimaryKeyConstraint('loyalty_rules_pk', ['workspace_id', 'id', 'version'])
    .execute();
  await db.schema
    .createTable('loyalty_awards')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('rule_version', 'integer', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('clawed', 'bigint', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('release_at', t.millis)
    .addColumn('entry_id', 'text')
    .addColumn('note', 'text')
    .addColumn('at', t.millis, (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_awards_pk', ['workspace_id', 'rule_id', 'subject_key'])
    .addCheckConstraint('loyalty_awards_points_check', sql`points >= 0 and clawed >= 0 and clawed <= points`)
    .execute();
  // Limits per rule and member and period; a member's holds (pending, merges); an order's awards (refunds).
  await db.schema.createIndex('loyalty_awards_limits').on('loyalty_awards').columns(['workspace_id', 'rule_id', 'profile_id', 'at']).execute();
  await db.schema.createIndex('loyalty_awards_profile').on('loyalty_awards').columns(['workspace_id', 'profile_id', 'status']).execute();
  await db.schema.createIndex('loyalty_awards_order').on('loyalty_awards').columns(['workspace_id', 'order_id']).execute();
  // The release job reads only holds still pending, by release time.
  await db.schema.createIndex('loyalty_awards_release').on('loyalty_awards').columns(['release_at']).where(sql.ref('status'), '=', 'pending').execute();
  await db.schema
    .createTable('loyalty_checkins')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('streak', 'integer', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('entry_id', 'text')
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_checkins_pk', ['workspace_id', 'profile_id', 'day'])
    .execute();
}

// size: one migration's six tables and their indexes, in creation order
/** 0034: the referral programme, codes, decisions, referrals, rewards and staff commissions (see referrals.tables.ts). */
function referralsMigration(engine: Engine) {
  const t = columnTypes(engine);
  return {
    // size: six tables and their indexes, in creation order (one migration)
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('referral_programmes')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey())
        .addColumn('definition', t.json, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('referral_codes')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('commission_bp', 'integer')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('referral_codes_pk', ['workspace_id', 'code'])
        .execute();
      await db.schema.createIndex('referral_codes_owner').unique().on('referral_codes').columns(['workspace_id', 'owner_kind', 'owner_id']).execute();
      await db.schema
        .createTable('referral_decisions')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('referrer_kind', 'text', (c) => c.notNull())
        .addColumn('referrer_id', 'text', (c) => c.notNull())
        .addColumn('referee_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('message_id', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('referral_decisions_pk', ['workspace_id', 'id'])
        .execute();
      // An attribution by a tracked event (its referral_code) is decided once per event.
      await db.schema.createIndex('referral_decisions_message').unique().on('referral_decisions').columns(['workspace_id', 'message_id']).execute();
      // The velocity check counts a referrer's accepted decisions in the last day.
      await db.schema.createIndex('referral_decisions_referrer').on('referral_decisions').columns(['workspace_id', 'referrer_id', 'created_at']).execute();
      await db.schema
        .createTable('referrals')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('referee_id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('referrer_kind', 'text', (c) => c.notNull())
        .addColumn('referrer_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decision_id', 'text', (c) => c.notNull())
        .addColumn('attributed_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('referrals_pk', ['workspace_id', 'referee_id'])
        .execute();
      await db.schema.createIndex('referrals_referrer').on('referrals').columns(['workspace_id', 'referrer_id', 'status']).execute();
      await db.schema
        .createTable('referral_rewards')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('reward_key', 'text', (c) => c.notNull())
        .addColumn('referee_id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('reversed', 'bigint', (c) => c.notNull())
        .addColumn('reference', 'text')
        .addColumn('order_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('referral_rewards_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('referral_rewards_key').unique().on('referral_rewards').columns(['workspace_id', 'reward_key']).execute();
      await db.schema.createIndex('referral_rewards_order').on('referral_rewards').columns(['workspace_id', 'order_id']).execute();
      await db.schema
        .createTable('referral_commissions')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('staff_id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('referee_id', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('order_fen', 'bigint', (c) => c.notNull())
        .addColumn('commission_bp', 'integer', (c) => c.notNull())
        .addColumn('commission_fen', 'bigint', (c) => c.notNull())
        .addColumn('reversed_fen', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('referral_commissions_pk', ['workspace_id', 'id'])
        .addCheckConstraint('referral_commissions_reversed_check', sql`reversed_fen >= 0 and reversed_fen <= commission_fen`)
        .execute();
      // One commission per order and staff member (a replayed order event adds nothing).
      await db.schema.createIndex('referral_commissions_order').unique().on('referral_commissions').columns(['workspace_id', 'order_id', 'staff_id']).execute();
      await db.schema.createIndex('referral_commissions_staff').on('referral_commissions').columns(['workspace_id', 'staff_id', 'id']).execute();
    },
  };
}
