import type { Kysely } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The broadcast domain's migrations: 0012 broadcasts and their audience snapshot; 0020 the back-off of a failing fan-out. */
export function broadcastMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'broadcasts',
    migrations: {
      '0012_broadcasts': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('broadcasts')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('description', 'text', (c) => c.notNull())
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('channel', 'text', (c) => c.notNull())
            .addColumn('purpose', 'text', (c) => c.notNull())
            .addColumn('template_id', 'text')
            .addColumn('template_version', 'integer')
            .addColumn('content', t.json)
            .addColumn('data', t.json, (c) => c.notNull())
            .addColumn('segment_id', 'text', (c) => c.notNull())
            .addColumn('exclude_segment_id', 'text')
            .addColumn('holdout_percent', 'integer', (c) => c.notNull())
            .addColumn('goal_event', 'text')
            .addColumn('goal_days', 'integer', (c) => c.notNull())
            .addColumn('send_at', t.millis)
            .addColumn('total', 'integer')
            .addColumn('enqueued', 'integer', (c) => c.notNull())
            .addColumn('holdout_count', 'integer', (c) => c.notNull())
            .addColumn('excluded_count', 'integer', (c) => c.notNull())
            .addColumn('cursor', 'text')
            .addColumn('error', 'text')
            .addColumn('started_at', t.millis)
            .addColumn('finished_at', t.millis)
            .addColumn('cancelled_at', t.millis)
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('broadcasts_pk', ['workspace_id', 'id'])
            .execute();
          // The worker's due scan runs across workspaces.
          await db.schema.createIndex('broadcasts_due').on('broadcasts').columns(['status', 'send_at']).execute();

          await db.schema
            .createTable('broadcast_recipients')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('broadcast_id', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('holdout', 'integer', (c) => c.notNull())
            .addColumn('message_id', 'text')
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('broadcast_recipients_pk', ['workspace_id', 'broadcast_id', 'profile_id'])
            .execute();
        },
      },
      '0020_broadcasts_retry': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          // A fan-out chunk that throws is backed off (issue #14): consecutive failures, and when to try again.
          await db.schema
            .alterTable('broadcasts')
            .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
            .execute();
          await db.schema.alterTable('broadcasts').addColumn('retry_at', t.millis).execute();
        },
      },
    },
  };
}
