import { type Kysely, sql } from 'kysely';
import { columnTypes } from './db/column-types.js';
import type { Engine } from './db/database.js';
import type { MigrationSet } from './db/migrations.js';

/**
 * Platform's tables: workspaces and their API keys (in 0001_core, before the CDP's part of it),
 * the small durable state of background jobs (in 0002_segments, where it first appeared) and
 * when each key was last used (0031); the PII data keys, blind-index keys and key rotations (0046, keys.ts).
 */
// size: each migration states its tables in full, as they were created; splitting would not help.
export function platformMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'platform',
    migrations: {
      '0001_core': {
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('workspaces')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('settings', t.json, (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .execute();

          await db.schema
            .createTable('api_keys')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('kind', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('key_hash', 'text', (c) => c.notNull())
            .addColumn('key_prefix', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('revoked_at', t.millis)
            .addPrimaryKeyConstraint('api_keys_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('api_keys_hash').unique().on('api_keys').column('key_hash').execute();
        },
      },
      '0002_segments': {
        async up(db: Kysely<any>) {
          // Small durable state of background jobs (change-feed cursors, last runs), per workspace.
          await db.schema
            .createTable('job_state')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('value', t.json, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('job_state_pk', ['workspace_id', 'name'])
            .execute();
        },
      },
      '0031_api_keys_last_used': {
        async up(db: Kysely<any>) {
          // Null until the key authenticates a request (keys made before this migration too).
          await db.schema.alterTable('api_keys').addColumn('last_used_at', t.millis).execute();
        },
      },
      '0046_data_keys': {
        async up(db: Kysely<any>) {
          // Envelope encryption (keys.ts): per-workspace data keys by version, wrapped by the server key.
          await db.schema
            .createTable('data_keys')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('version', 'integer', (c) => c.notNull())
            .addColumn('wrapped_key', 'text', (c) => c.notNull())
            .addColumn('state', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('rotated_at', t.millis)
            .addColumn('retired_at', t.millis)
            .addPrimaryKeyConstraint('data_keys_pk', ['workspace_id', 'version'])
            .execute();
          await db.schema
            .createTable('blind_index_keys')
            .addColumn('workspace_id', 'text', (c) => c.primaryKey())
            .addColumn('wrapped_key', 'text')
            .addColumn('legacy', 'integer', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .execute();
          // Workspaces of before: their identities are looked up under the key derived from the server key.
          await sql`insert into blind_index_keys (workspace_id, wrapped_key, legacy, created_at)
            select id, null, 1, created_at from workspaces`.execute(db);
          await db.schema
            .createTable('key_rotations')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('to_version', 'integer', (c) => c.notNull())
            .addColumn('state', 'text', (c) => c.notNull())
            .addColumn('progress', t.json, (c) => c.notNull())
            .addColumn('changed', 'integer', (c) => c.notNull())
            .addColumn('started_at', t.millis, (c) => c.notNull())
            .addColumn('not_before', t.millis, (c) => c.notNull())
            .addColumn('finished_at', t.millis)
            .addColumn('lease_owner', 'text')
            .addColumn('lease_until', t.millis)
            .addPrimaryKeyConstraint('key_rotations_pk', ['workspace_id', 'id'])
            .execute();
          // No index beyond the key: a few rows per workspace, read whole by the rotation worker.
        },
      },
    },
  };
}
