import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';

// size: one migration's four tables and their indexes, in creation order
/** 0033: tier programs, members' tier state, tier history, paid memberships (see tiers.tables.ts). */
export function tiersMigration(engine: Engine) {
  const t = columnTypes(engine);
  return {
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    // size: the four tables and their indexes, in creation order
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('loyalty_tier_programs')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', t.json, (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('loyalty_tier_programs_pk', ['workspace_id', 'version'])
        .execute();
      await db.schema
        .createTable('loyalty_members')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('tier_key', 'text')
        .addColumn('qualified_key', 'text')
        .addColumn('value', 'bigint', (c) => c.notNull())
        .addColumn('grace_until', t.millis)
        .addColumn('paid_key', 'text')
        .addColumn('paid_until', t.millis)
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('loyalty_members_pk', ['workspace_id', 'profile_id'])
        .execute();
      // The members list by tier, paged by profile id.
      await db.schema.createIndex('loyalty_members_tier').on('loyalty_members').columns(['workspace_id', 'tier_key', 'profile_id']).execute();
      // The trait sync reads members and accounts changed since its cursor.
      await db.schema.createIndex('loyalty_members_updated').on('loyalty_members').columns(['workspace_id', 'updated_at', 'profile_id']).execute();
      await db.schema.createIndex('loyalty_accounts_updated').on('loyalty_accounts').columns(['workspace_id', 'updated_at', 'profile_id']).execute();
      // The worker's due reads: paid memberships ending, grace periods ending.
      await db.schema
        .createIndex('loyalty_members_paid_due')
        .on('loyalty_members')
        .columns(['paid_until'])
        .where(sql.ref('paid_key'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('loyalty_members_grace_due')
        .on('loyalty_members')
        .columns(['grace_until'])
        .where(sql.ref('grace_until'), 'is not', null)
        .execute();
      await db.schema
        .createTable('loyalty_tier_history')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('from_key', 'text')
        .addColumn('to_key', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('loyalty_tier_history_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('loyalty_tier_history_profile').on('loyalty_tier_history').columns(['workspace_id', 'profile_id', 'created_at']).execute();
      await db.schema
        .createTable('loyalty_paid_memberships')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('tier_key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('starts_at', t.millis, (c) => c.notNull())
        .addColumn('ends_at', t.millis, (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('loyalty_paid_memberships_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema
        .createIndex('loyalty_paid_memberships_key')
        .unique()
        .on('loyalty_paid_memberships')
        .columns(['workspace_id', 'idempotency_key'])
        .execute();
      // One order buys one membership period.
      await db.schema.createIndex('loyalty_paid_memberships_order').unique().on('loyalty_paid_memberships').columns(['workspace_id', 'order_id']).execute();
      await db.schema
        .createIndex('loyalty_paid_memberships_profile')
        .on('loyalty_paid_memberships')
        .columns(['workspace_id', 'profile_id', 'created_at'])
        .execute();
    },
  };
}
