import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The loyalty module's migrations: 0022 (points accounts and the append-only ledger), 0028 (earning rules, awards and holds, check-ins, settings), 0029 (coupons), 0035 (catalogue, checkout, lotteries), 0036 (group-buys). */
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
      '0035_loyalty_catalogue': { up: (db: Kysely<any>) => createCatalogueTables(db, t) },
      '0036_loyalty_group_buys': { up: (db: Kysely<any>) => createGroupBuyTables(db, t) },
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

// size: one migration's seven tables (catalogue, checkout, lotteries) and their indexes, in creation order
/** 0035: the reward catalogue and its redemptions, deduction at checkout, lotteries (see catalogue.tables.ts). */
async function createCatalogueTables(db: Kysely<any>, t: ReturnType<typeof columnTypes>): Promise<void> {
  await db.schema
    .createTable('loyalty_catalogue_items')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('coupon_template_id', 'text')
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('stock', 'bigint')
    .addColumn('redeemed_count', 'bigint', (c) => c.notNull())
    .addColumn('per_member_limit', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_catalogue_items_pk', ['workspace_id', 'id'])
    .addCheckConstraint('loyalty_catalogue_items_stock_check', sql`stock is null or redeemed_count <= stock`)
    .execute();
  await db.schema
    .createTable('loyalty_catalogue_redemptions')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_catalogue_redemptions_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createIndex('loyalty_catalogue_redemptions_key')
    .unique()
    .on('loyalty_catalogue_redemptions')
    .columns(['workspace_id', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('loyalty_catalogue_redemptions_member')
    .on('loyalty_catalogue_redemptions')
    .columns(['workspace_id', 'item_id', 'profile_id'])
    .execute();
  await db.schema
    .createTable('loyalty_checkout_settings')
    .addColumn('workspace_id', 'text', (c) => c.primaryKey())
    .addColumn('points_per_yuan', 'integer', (c) => c.notNull())
    .addColumn('max_percent', 'integer')
    .addColumn('max_fen', 'bigint')
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('loyalty_checkout_deductions')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('amount_fen', 'bigint', (c) => c.notNull())
    .addColumn('order_total_fen', 'bigint', (c) => c.notNull())
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reverse_entry_id', 'text')
    .addColumn('reverse_reason', 'text')
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_checkout_deductions_pk', ['workspace_id', 'order_id'])
    .execute();
  await db.schema
    .createTable('loyalty_lotteries')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('cost_points', 'bigint', (c) => c.notNull())
    .addColumn('daily_limit', 'integer')
    .addColumn('fallback_prize_id', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_lotteries_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('loyalty_lottery_prizes')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('lottery_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ppm', 'integer', (c) => c.notNull())
    .addColumn('stock', 'bigint')
    .addColumn('won_count', 'bigint', (c) => c.notNull())
    .addColumn('points', 'bigint')
    .addColumn('coupon_template_id', 'text')
    .addPrimaryKeyConstraint('loyalty_lottery_prizes_pk', ['workspace_id', 'lottery_id', 'id'])
    .addCheckConstraint('loyalty_lottery_prizes_stock_check', sql`stock is null or won_count <= stock`)
    .execute();
  await db.schema
    .createTable('loyalty_lottery_draws')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('lottery_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('rolled_prize_id', 'text', (c) => c.notNull())
    .addColumn('prize_id', 'text', (c) => c.notNull())
    .addColumn('cost_points', 'bigint', (c) => c.notNull())
    .addColumn('spend_entry_id', 'text')
    .addColumn('award_entry_id', 'text')
    .addColumn('coupon_id', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_lottery_draws_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('loyalty_lottery_draws_key').unique().on('loyalty_lottery_draws').columns(['workspace_id', 'idempotency_key']).execute();
  // Daily limits count a member's draws of a day; the console pages a lottery's draws newest first.
  await db.schema
    .createIndex('loyalty_lottery_draws_member')
    .on('loyalty_lottery_draws')
    .columns(['workspace_id', 'lottery_id', 'profile_id', 'day'])
    .execute();
  await db.schema.createIndex('loyalty_lottery_draws_lottery').on('loyalty_lottery_draws').columns(['workspace_id', 'lottery_id', 'id']).execute();
}

/** 0036: group-buy campaigns, their groups and members (see group-buys.tables.ts). */
async function createGroupBuyTables(db: Kysely<any>, t: ReturnType<typeof columnTypes>): Promise<void> {
  await db.schema
    .createTable('loyalty_group_buy_campaigns')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('product_name', 'text')
    .addColumn('price_fen', 'bigint')
    .addColumn('group_size', 'integer', (c) => c.notNull())
    .addColumn('group_hours', 'integer', (c) => c.notNull())
    .addColumn('ends_at', t.millis, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reward_points', 'bigint')
    .addColumn('reward_coupon_template_id', 'text')
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_group_buy_campaigns_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createTable('loyalty_group_buys')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('leader_profile_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('joined', 'integer', (c) => c.notNull())
    .addColumn('deadline', t.millis, (c) => c.notNull())
    .addColumn('formed_at', t.millis)
    .addColumn('cancelled_at', t.millis)
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_group_buys_pk', ['workspace_id', 'id'])
    .addCheckConstraint('loyalty_group_buys_joined_check', sql`joined <= size`)
    .execute();
  await db.schema.createIndex('loyalty_group_buys_code').unique().on('loyalty_group_buys').columns(['workspace_id', 'code']).execute();
  await db.schema.createIndex('loyalty_group_buys_campaign').on('loyalty_group_buys').columns(['workspace_id', 'campaign_id', 'id']).execute();
  await db.schema.createIndex('loyalty_group_buys_leader').on('loyalty_group_buys').columns(['workspace_id', 'leader_profile_id', 'status']).execute();
  // The cancel pass reads only open groups, by deadline.
  await db.schema.createIndex('loyalty_group_buys_due').on('loyalty_group_buys').columns(['deadline']).where(sql.ref('status'), '=', 'open').execute();
  await db.schema
    .createTable('loyalty_group_buy_members')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('joined_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_group_buy_members_pk', ['workspace_id', 'group_id', 'profile_id'])
    .execute();
}
