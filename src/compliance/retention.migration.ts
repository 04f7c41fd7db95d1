/**
 * Migration 0044 (issue #19, retention policies): each workspace's periods, the report of every
 * run, and the one deliberate path around the audit log's append-only triggers.
 */
import { type Kysely, sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';

/**
 * The audit log's DELETE trigger lets a row go only while a grant names its workspace and a cutoff
 * after the row's time — a row of `audit_log_purge_grants` that the retention job inserts and
 * deletes inside the same transaction as its delete, so no other connection ever sees one — and
 * only when the row is older than 180 days by the database's own clock (the Cybersecurity Law's
 * six months of network logs), whatever the grant says. UPDATE stays refused.
 */
const MIN_AGE_MS = 180 * 86_400_000;

/** The 0044 migration (compliance's). */
export function retentionMigration(engine: Engine) {
  const t = columnTypes(engine);
  return {
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('retention_settings')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey())
        .addColumn('periods', t.json, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('retention_runs')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', t.millis, (c) => c.notNull())
        .addColumn('finished_at', t.millis)
        .addColumn('duration_ms', t.millis)
        .addColumn('kinds', t.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('retention_runs_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('retention_runs_time').on('retention_runs').columns(['workspace_id', 'started_at', 'id']).execute();
      await db.schema
        .createTable('audit_log_purge_grants')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey())
        .addColumn('before_at', t.millis, (c) => c.notNull())
        .execute();
      if (engine === 'postgres') {
        await sql`create or replace function audit_log_append_only() returns trigger language plpgsql as $$
          begin
            if tg_op = 'DELETE'
               and old.at < (extract(epoch from clock_timestamp()) * 1000)::bigint - ${sql.lit(MIN_AGE_MS)}
               and exists (select 1 from audit_log_purge_grants g where g.workspace_id = old.workspace_id and old.at < g.before_at) then
              return old;
            end if;
            raise exception 'audit_log is append-only: % refused', tg_op;
          end $$`.execute(db);
      } else {
        await sql`drop trigger audit_log_no_delete`.execute(db);
        await sql`create trigger audit_log_no_delete before delete on audit_log
          when not (old.at < (julianday('now') - 2440587.5) * 86400000 - ${sql.lit(MIN_AGE_MS)}
                    and exists (select 1 from audit_log_purge_grants g where g.workspace_id = old.workspace_id and old.at < g.before_at))
          begin select raise(abort, 'audit_log is append-only: DELETE refused'); end`.execute(db);
      }
    },
  };
}
