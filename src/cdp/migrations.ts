import { type Kysely, sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/**
 * The CDP's tables: profiles, identities, events, merges, orders, tags. Its part of 0001_core
 * runs after platform's (workspaces, keys); 0002_segments adds the index event-window rules read;
 * 0023_order_lifecycle the order changes and gross/refunded aggregates.
 * 0032_events_name_time_profile the profile id added to the events name index (index-only funnel steps).
 * 0040_identity_tombstones the keyed hashes of erased identifiers (issue #19).
 * 0042_loyalty_reversals (its cdp part) the events name index by storage order.
 * Each takes `Kysely<any>`: a migration runs on the schema of its day, not on today's table types.
 * size: each migration states its tables in full, as they were created; splitting would not help.
 */
export function cdpMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'cdp',
    migrations: {
      '0001_core': {
        // size: eight tables and their indexes, created together. Kysely<any>: a migration runs on the schema of its day.
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('profiles')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('merged_into', 'text')
            .addColumn('traits', t.json, (c) => c.notNull())
            .addColumn('trait_times', t.json, (c) => c.notNull())
            .addColumn('consent', t.json, (c) => c.notNull())
            .addColumn('first_seen_at', t.millis)
            .addColumn('last_seen_at', t.millis)
            .addColumn('order_count', 'integer', (c) => c.notNull())
            .addColumn('total_spent_fen', t.millis, (c) => c.notNull())
            .addColumn('first_purchase_at', t.millis)
            .addColumn('last_purchase_at', t.millis)
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('profiles_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('profiles_updated').on('profiles').columns(['workspace_id', 'updated_at']).execute();
          // Merges flatten redirects (`merged_into = from`), which would otherwise scan every profile.
          await db.schema.createIndex('profiles_merged_into').on('profiles').columns(['workspace_id', 'merged_into']).execute();

          await db.schema
            .createTable('identities')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id_type', 'text', (c) => c.notNull())
            .addColumn('id_key', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('value_enc', 'text')
            .addColumn('first_seen_at', t.millis, (c) => c.notNull())
            .addColumn('source_message_id', 'text')
            .addPrimaryKeyConstraint('identities_pk', ['workspace_id', 'id_type', 'id_key'])
            .execute();
          await db.schema.createIndex('identities_profile').on('identities').columns(['workspace_id', 'profile_id']).execute();

          await db.schema
            .createTable('events')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('message_id', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('type', 'text', (c) => c.notNull())
            .addColumn('event', 'text')
            .addColumn('user_id', 'text')
            .addColumn('anonymous_id', 'text')
            .addColumn('timestamp', t.millis, (c) => c.notNull())
            .addColumn('received_at', t.millis, (c) => c.notNull())
            .addColumn('payload', t.json, (c) => c.notNull())
            .addPrimaryKeyConstraint('events_pk', ['workspace_id', 'message_id'])
            .execute();
          await db.schema.createIndex('events_profile_time').on('events').columns(['workspace_id', 'profile_id', 'timestamp', 'message_id']).execute();

          await db.schema
            .createTable('profile_merges')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('kind', 'text', (c) => c.notNull())
            .addColumn('from_profile_id', 'text', (c) => c.notNull())
            .addColumn('into_profile_id', 'text', (c) => c.notNull())
            .addColumn('id_type', 'text', (c) => c.notNull())
            .addColumn('id_key', 'text', (c) => c.notNull())
            .addColumn('message_id', 'text')
            .addColumn('reason', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('profile_merges_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('profile_merges_into').on('profile_merges').columns(['workspace_id', 'into_profile_id']).execute();
          await db.schema.createIndex('profile_merges_from').on('profile_merges').columns(['workspace_id', 'from_profile_id']).execute();

          await db.schema
            .createTable('orders')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('order_id', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('message_id', 'text', (c) => c.notNull())
            .addColumn('total_fen', t.millis, (c) => c.notNull())
            .addColumn('currency', 'text', (c) => c.notNull())
            .addColumn('ordered_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('orders_pk', ['workspace_id', 'order_id'])
            .execute();
          await db.schema.createIndex('orders_profile').on('orders').columns(['workspace_id', 'profile_id', 'ordered_at']).execute();

          await db.schema
            .createTable('tag_groups')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('tag_groups_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('tag_groups_name').unique().on('tag_groups').columns(['workspace_id', 'name']).execute();

          await db.schema
            .createTable('tags')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('group_id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('tags_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('tags_name').unique().on('tags').columns(['workspace_id', 'group_id', 'name']).execute();

          await db.schema
            .createTable('profile_tags')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('tag_id', 'text', (c) => c.notNull())
            .addColumn('source', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('profile_tags_pk', ['workspace_id', 'profile_id', 'tag_id'])
            .execute();
          await db.schema.createIndex('profile_tags_tag').on('profile_tags').columns(['workspace_id', 'tag_id']).execute();
        },
      },
      '0002_segments': {
        async up(db: Kysely<any>) {
          // Event-window rules over the whole workspace ("Order Completed in the last 30 days").
          await db.schema.createIndex('events_name_time').on('events').columns(['workspace_id', 'event', 'timestamp']).execute();
        },
      },
      // The tag index carries the profile id: a segment's full recompute reads a tag's profiles one
      // id range at a time, which on (workspace_id, tag_id) alone was a filter over all of the
      // tag's rows in every range (at 1M profiles a fifth of a tag segment's recompute on
      // PostgreSQL); it is also a covering index for "profiles with this tag" on both engines.
      '0017_profile_tags_by_tag_and_profile': {
        async up(db: Kysely<any>) {
          await db.schema.dropIndex('profile_tags_tag').ifExists().execute();
          await db.schema.createIndex('profile_tags_tag').on('profile_tags').columns(['workspace_id', 'tag_id', 'profile_id']).execute();
        },
      },
      // Order lifecycle (issue #17): refunds, cancellations and updates; profiles keep gross and refunded apart.
      '0023_order_lifecycle': {
        async up(db: Kysely<any>) {
          await db.schema
            .alterTable('orders')
            .addColumn('status', 'text', (c) => c.notNull().defaultTo('completed'))
            .execute();
          await db.schema
            .alterTable('orders')
            .addColumn('refunded_fen', t.millis, (c) => c.notNull().defaultTo(0))
            .execute();
          // The lines (with refunded quantities) after the changes, and the order as placed, from which changes are re-applied.
          await db.schema.alterTable('orders').addColumn('lines', t.json).execute();
          await db.schema.alterTable('orders').addColumn('placed', t.json).execute();
          await db.schema
            .alterTable('profiles')
            .addColumn('gross_spent_fen', t.millis, (c) => c.notNull().defaultTo(0))
            .execute();
          await db.schema
            .alterTable('profiles')
            .addColumn('refunded_fen', t.millis, (c) => c.notNull().defaultTo(0))
            .execute();
          // Until now every order counted in full: gross is what was counted, nothing refunded.
          await db
            .updateTable('profiles')
            .set({ gross_spent_fen: sql`total_spent_fen` })
            .where('total_spent_fen', '>', 0)
            .execute();
          await db.schema
            .createTable('order_changes')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('order_id', 'text', (c) => c.notNull())
            .addColumn('change_key', 'text', (c) => c.notNull())
            .addColumn('message_id', 'text', (c) => c.notNull())
            .addColumn('kind', 'text', (c) => c.notNull())
            .addColumn('at', t.millis, (c) => c.notNull())
            .addColumn('body', t.json, (c) => c.notNull())
            .addColumn('outcome', 'text', (c) => c.notNull())
            .addColumn('note', 'text')
            .addPrimaryKeyConstraint('order_changes_pk', ['workspace_id', 'order_id', 'change_key'])
            .execute();
        },
      },
      // Insight's funnels and experiments read a step's events by name and time and need only their
      // profile: with the profile id in the name index they are index-only scans (PostgreSQL read
      // every row of the table or fetched each event's row; bench insight's funnel, issue #18).
      '0032_events_name_time_profile': {
        async up(db: Kysely<any>) {
          await db.schema.dropIndex('events_name_time').ifExists().execute();
          await db.schema.createIndex('events_name_time').on('events').columns(['workspace_id', 'event', 'timestamp', 'profile_id']).execute();
        },
      },
      // Loyalty's earning and refund readers page events by storage order (trackEventsReceivedAfter), so
      // an order sent hours after its event time is still read once (issue #17).
      // Erasure (issue #19): a keyed hash of each erased identifier, so ingestion refuses to link it
      // again until consent is given anew (docs/compliance.md, "Tombstones").
      '0040_identity_tombstones': {
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('identity_tombstones')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id_type', 'text', (c) => c.notNull())
            .addColumn('key', 'text', (c) => c.notNull())
            .addColumn('erased_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('identity_tombstones_pk', ['workspace_id', 'key'])
            .execute();
        },
      },
      '0042_loyalty_reversals': {
        async up(db: Kysely<any>) {
          await db.schema.createIndex('events_name_received').on('events').columns(['workspace_id', 'event', 'received_at', 'message_id']).execute();
        },
      },
    },
  };
}
