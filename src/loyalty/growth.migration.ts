/** The loyalty module's migrations 0035 (catalogue, checkout, lotteries) and 0036 (group-buys), beside migrations.ts. */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { columnTypes } from '../platform/db/column-types.js';

// size: one migration's seven tables (catalogue, checkout, lotteries) and their indexes, in creation order
/** 0035: the reward catalogue and its redemptions, deduction at checkout, lotteries (see catalogue.tables.ts). */
export async function createCatalogueTables(db: Kysely<any>, t: ReturnType<typeof columnTypes>): Promise<void> {
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
export async function createGroupBuyTables(db: Kysely<any>, t: ReturnType<typeof columnTypes>): Promise<void> {
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

/**
 * 0042: reversals. A coupon may be voided (a referral reward taken back, a catalogue redemption
 * reversed): when and why. A catalogue redemption may be reversed: when, why, by which credit.
 */
export async function addReversalColumns(db: Kysely<any>, t: ReturnType<typeof columnTypes>): Promise<void> {
  await db.schema.alterTable('coupons').addColumn('voided_at', t.millis).execute();
  await db.schema.alterTable('coupons').addColumn('void_reason', 'text').execute();
  await db.schema.alterTable('loyalty_catalogue_redemptions').addColumn('reversed_at', t.millis).execute();
  await db.schema.alterTable('loyalty_catalogue_redemptions').addColumn('reverse_entry_id', 'text').execute();
  await db.schema.alterTable('loyalty_catalogue_redemptions').addColumn('reverse_reason', 'text').execute();
}
