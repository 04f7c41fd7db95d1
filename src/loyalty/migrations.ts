import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The loyalty module's migrations: 0022 (points accounts and the append-only ledger). */
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
    },
  };
}
