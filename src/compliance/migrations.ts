import { type Kysely, sql } from 'kysely';
import { retentionMigration } from './retention.migration.js';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The compliance module's migrations: 0037 (the audit log, append-only), 0038 (workspaces' rate limits), 0039 (data-subject requests), 0044 (retention policies). */
// size: a list of migrations, each a few schema statements; they read best in one place, in order
export function complianceMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'compliance',
    migrations: {
      '0037_audit_log': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('audit_log')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('at', t.millis, (c) => c.notNull())
            .addColumn('actor_kind', 'text', (c) => c.notNull())
            .addColumn('actor_id', 'text')
            .addColumn('actor_role', 'text', (c) => c.notNull())
            .addColumn('ip', 'text')
            .addColumn('user_agent', 'text')
            .addColumn('method', 'text', (c) => c.notNull())
            .addColumn('route', 'text', (c) => c.notNull())
            .addColumn('path', 'text', (c) => c.notNull())
            .addColumn('target', 'text')
            .addColumn('status', 'integer', (c) => c.notNull())
            .addColumn('body', t.json)
            .addColumn('before', t.json)
            .addColumn('after', t.json)
            .addColumn('request_id', 'text', (c) => c.notNull())
            .addPrimaryKeyConstraint('audit_log_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('audit_log_time').on('audit_log').columns(['workspace_id', 'at', 'id']).execute();
          // Append-only in the database itself, whatever code runs against it.
          if (engine === 'postgres') {
            await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
              begin raise exception 'audit_log is append-only: % refused', tg_op; end $$`.execute(db);
            await sql`create trigger audit_log_append_only before update or delete on audit_log
              for each row execute function audit_log_append_only()`.execute(db);
          } else {
            await sql`create trigger audit_log_no_update before update on audit_log
              begin select raise(abort, 'audit_log is append-only: UPDATE refused'); end`.execute(db);
            await sql`create trigger audit_log_no_delete before delete on audit_log
              begin select raise(abort, 'audit_log is append-only: DELETE refused'); end`.execute(db);
          }
        },
      },
      '0038_rate_limits': {
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('rate_limit_settings')
            .addColumn('workspace_id', 'text', (c) => c.primaryKey())
            .addColumn('limits', t.json, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .execute();
        },
      },
      '0039_privacy_requests': {
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('privacy_requests')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('kind', 'text', (c) => c.notNull())
            .addColumn('subject', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text')
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('note', 'text')
            .addColumn('changes', t.json)
            .addColumn('received_at', t.millis, (c) => c.notNull())
            .addColumn('due_date', 'text', (c) => c.notNull())
            .addColumn('deadline_at', t.millis, (c) => c.notNull())
            .addColumn('requested_by', 'text')
            .addColumn('completed_at', t.millis)
            .addColumn('completion', t.json)
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('privacy_requests_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('privacy_requests_status').on('privacy_requests').columns(['workspace_id', 'status', 'deadline_at']).execute();
        },
      },
      '0044_retention': retentionMigration(engine),
    },
  };
}
