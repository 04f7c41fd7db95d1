import type { Kysely } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The access module's migrations: 0030 (console users, memberships, sessions, failed sign-ins, invitations). */
export function accessMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'access',
    migrations: {
      '0030_console_access': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('access_users')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .addColumn('email', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('password_hash', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .execute();
          await db.schema.createIndex('access_users_email').unique().on('access_users').column('email').execute();
          await db.schema
            .createTable('access_memberships')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('user_id', 'text', (c) => c.notNull())
            .addColumn('role', 'text', (c) => c.notNull())
            .addColumn('wecom_user_id', 'text')
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('access_memberships_pk', ['workspace_id', 'user_id'])
            .execute();
          await db.schema.createIndex('access_memberships_user').on('access_memberships').columns(['user_id', 'created_at']).execute();
          await db.schema
            .createTable('access_sessions')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .addColumn('user_id', 'text', (c) => c.notNull())
            .addColumn('token_hash', 'text', (c) => c.notNull())
            .addColumn('csrf_token', 'text', (c) => c.notNull())
            .addColumn('ip', 'text', (c) => c.notNull())
            .addColumn('user_agent', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('last_seen_at', t.millis, (c) => c.notNull())
            .addColumn('expires_at', t.millis, (c) => c.notNull())
            .addColumn('revoked_at', t.millis)
            .execute();
          await db.schema.createIndex('access_sessions_token').unique().on('access_sessions').column('token_hash').execute();
          await db.schema.createIndex('access_sessions_user').on('access_sessions').column('user_id').execute();
          await db.schema
            .createTable('access_login_failures')
            .addColumn('email', 'text', (c) => c.notNull())
            .addColumn('ip', 'text', (c) => c.notNull())
            .addColumn('at', t.millis, (c) => c.notNull())
            .execute();
          await db.schema.createIndex('access_login_failures_email').on('access_login_failures').columns(['email', 'at']).execute();
          await db.schema.createIndex('access_login_failures_ip').on('access_login_failures').columns(['ip', 'at']).execute();
          await db.schema
            .createTable('access_invitations')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('email', 'text', (c) => c.notNull())
            .addColumn('role', 'text', (c) => c.notNull())
            .addColumn('wecom_user_id', 'text')
            .addColumn('token_hash', 'text', (c) => c.notNull())
            .addColumn('invited_by', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('expires_at', t.millis, (c) => c.notNull())
            .addColumn('accepted_at', t.millis)
            .addPrimaryKeyConstraint('access_invitations_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('access_invitations_token').unique().on('access_invitations').column('token_hash').execute();
        },
      },
    },
  };
}
