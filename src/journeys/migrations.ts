import type { Kysely } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The journeys domain's migrations: 0011 (definitions, versions, durable states, A/B assignments, the step log), 0018 (publish warnings). size: one migration of five tables, never edited once landed. */
export function journeyMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'journeys',
    migrations: {
      '0011_journeys': {
        // size: creates the five journeys tables and their indexes in one migration; a landed migration is never edited.
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('journeys')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('description', 'text', (c) => c.notNull())
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('draft', t.json, (c) => c.notNull())
            .addColumn('current_version', 'integer')
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('journeys_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('journeys_name').unique().on('journeys').columns(['workspace_id', 'name']).execute();

          await db.schema
            .createTable('journey_versions')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('journey_id', 'text', (c) => c.notNull())
            .addColumn('version', 'integer', (c) => c.notNull())
            .addColumn('definition', t.json, (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('journey_versions_pk', ['workspace_id', 'journey_id', 'version'])
            .execute();

          await db.schema
            .createTable('journey_states')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('journey_id', 'text', (c) => c.notNull())
            .addColumn('version', 'integer', (c) => c.notNull())
            .addColumn('subject_kind', 'text', (c) => c.notNull())
            .addColumn('subject_id', 'text', (c) => c.notNull())
            .addColumn('entry_key', 'text', (c) => c.notNull())
            .addColumn('entry_no', 'integer', (c) => c.notNull())
            .addColumn('step_id', 'text')
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('wake_at', t.millis)
            .addColumn('timer_at', t.millis)
            .addColumn('step_at', t.millis, (c) => c.notNull())
            .addColumn('listen', 'text')
            .addColumn('attempt', 'integer', (c) => c.notNull())
            .addColumn('steps_taken', 'integer', (c) => c.notNull())
            .addColumn('context', t.json, (c) => c.notNull())
            .addColumn('end_reason', 'text')
            .addColumn('entered_at', t.millis, (c) => c.notNull())
            .addColumn('ended_at', t.millis)
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('journey_states_pk', ['workspace_id', 'id'])
            .execute();
          // One state per (journey, subject, entry key): a trigger seen twice (overlapping cursor
          // windows, the in-process fast path and the durable cursor) enters once.
          await db.schema
            .createIndex('journey_states_entry')
            .unique()
            .on('journey_states')
            .columns(['workspace_id', 'journey_id', 'subject_id', 'entry_key'])
            .execute();
          // The workers' due scan runs across workspaces, like the messaging dispatcher's.
          await db.schema.createIndex('journey_states_due').on('journey_states').columns(['status', 'wake_at']).execute();
          // Events wake the states of their profile that listen for them; statistics group by step.
          await db.schema.createIndex('journey_states_subject').on('journey_states').columns(['workspace_id', 'subject_id', 'status']).execute();
          await db.schema.createIndex('journey_states_journey').on('journey_states').columns(['workspace_id', 'journey_id', 'status', 'step_id']).execute();

          await db.schema
            .createTable('journey_assignments')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('state_id', 'text', (c) => c.notNull())
            .addColumn('journey_id', 'text', (c) => c.notNull())
            .addColumn('step_id', 'text', (c) => c.notNull())
            .addColumn('branch', 'text', (c) => c.notNull())
            .addColumn('at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('journey_assignments_pk', ['workspace_id', 'state_id', 'step_id'])
            .execute();
          await db.schema
            .createIndex('journey_assignments_journey')
            .on('journey_assignments')
            .columns(['workspace_id', 'journey_id', 'step_id', 'branch'])
            .execute();

          await db.schema
            .createTable('journey_step_log')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('state_id', 'text', (c) => c.notNull())
            .addColumn('seq', 'integer', (c) => c.notNull())
            .addColumn('journey_id', 'text', (c) => c.notNull())
            .addColumn('step_id', 'text', (c) => c.notNull())
            .addColumn('outcome', 'text', (c) => c.notNull())
            .addColumn('at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('journey_step_log_pk', ['workspace_id', 'state_id', 'seq'])
            .execute();
          await db.schema.createIndex('journey_step_log_journey').on('journey_step_log').columns(['workspace_id', 'journey_id', 'step_id']).execute();

          // The durable segment-entered trigger reads new members by entry time (a cursor); the
          // segments module's own indexes are by profile. Departures already have (segment, exited_at).
          await db.schema.createIndex('segment_members_entered').on('segment_members').columns(['workspace_id', 'segment_id', 'entered_at']).execute();
        },
      },
      '0018_journeys_publish_warnings': {
        // The warnings of a journey's last publish (steps that cannot run as written), shown with the journey.
        async up(db: Kysely<any>) {
          await db.schema.alterTable('journeys').addColumn('publish_warnings', t.json).execute();
        },
      },
    },
  };
}
