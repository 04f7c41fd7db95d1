import type { Kysely } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';
import { opsMigration } from './ops/migration.js';
import { liveCodesMigration } from './livecodes/migration.js';

/**
 * The SCRM domain's migrations (names 0003-0009). The foundation (0003) holds the WeCom
 * connection, the callback inbox and the mirrored corp state; features add their own. Each takes
 * `Kysely<any>`: a migration runs on the schema of its day, not on today's types.
 * size: one migration's table definitions, statement after statement; never edited after it lands
 */
export function scrmMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'scrm',
    migrations: {
      '0003_scrm': {
        // size: the foundation's eight tables and their indexes, in one migration that never changes
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('wecom_apps')
            .addColumn('workspace_id', 'text', (c) => c.primaryKey())
            .addColumn('corp_id', 'text', (c) => c.notNull())
            .addColumn('agent_id', 'text')
            .addColumn('secret_enc', 'text', (c) => c.notNull())
            .addColumn('callback_token_enc', 'text', (c) => c.notNull())
            .addColumn('encoding_aes_key_enc', 'text', (c) => c.notNull())
            .addColumn('api_base_url', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .execute();

          await db.schema
            .createTable('wecom_inbox')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('dedup_key', 'text', (c) => c.notNull())
            .addColumn('kind', 'text', (c) => c.notNull())
            .addColumn('payload', 'text', (c) => c.notNull())
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('attempts', 'integer', (c) => c.notNull())
            .addColumn('error', 'text')
            .addColumn('received_at', t.millis, (c) => c.notNull())
            .addColumn('next_attempt_at', t.millis, (c) => c.notNull())
            .addColumn('processed_at', t.millis)
            .addPrimaryKeyConstraint('wecom_inbox_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('wecom_inbox_dedup').unique().on('wecom_inbox').columns(['workspace_id', 'dedup_key']).execute();
          await db.schema.createIndex('wecom_inbox_due').on('wecom_inbox').columns(['status', 'next_attempt_at']).execute();

          await db.schema
            .createTable('scrm_staff')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('userid', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('departments', t.json, (c) => c.notNull())
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('can_follow', 'integer', (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('scrm_staff_pk', ['workspace_id', 'userid'])
            .execute();

          await db.schema
            .createTable('scrm_contacts')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('external_userid', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('type', 'integer', (c) => c.notNull())
            .addColumn('unionid', 'text')
            .addColumn('avatar', 'text')
            .addColumn('gender', 'integer')
            .addColumn('corp_name', 'text')
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('scrm_contacts_pk', ['workspace_id', 'external_userid'])
            .execute();
          await db.schema.createIndex('scrm_contacts_profile').on('scrm_contacts').columns(['workspace_id', 'profile_id']).execute();

          await db.schema
            .createTable('scrm_follows')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('external_userid', 'text', (c) => c.notNull())
            .addColumn('userid', 'text', (c) => c.notNull())
            .addColumn('remark', 'text')
            .addColumn('description', 'text')
            .addColumn('add_way', 'integer')
            .addColumn('state', 'text')
            .addColumn('tag_ids', t.json, (c) => c.notNull())
            .addColumn('added_at', t.millis, (c) => c.notNull())
            .addColumn('deleted_at', t.millis)
            .addColumn('deleted_by', 'text')
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('scrm_follows_pk', ['workspace_id', 'external_userid', 'userid'])
            .execute();
          await db.schema.createIndex('scrm_follows_staff').on('scrm_follows').columns(['workspace_id', 'userid', 'deleted_at']).execute();
          await db.schema.createIndex('scrm_follows_state').on('scrm_follows').columns(['workspace_id', 'state']).execute();

          await db.schema
            .createTable('scrm_corp_tags')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('tag_id', 'text', (c) => c.notNull())
            .addColumn('group_id', 'text', (c) => c.notNull())
            .addColumn('group_name', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('sort_order', 'integer', (c) => c.notNull())
            .addColumn('deleted_at', t.millis)
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('scrm_corp_tags_pk', ['workspace_id', 'tag_id'])
            .execute();

          await db.schema
            .createTable('scrm_groups')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('chat_id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('owner', 'text', (c) => c.notNull())
            .addColumn('notice', 'text')
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('member_count', 'integer', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('dismissed_at', t.millis)
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('scrm_groups_pk', ['workspace_id', 'chat_id'])
            .execute();
          await db.schema.createIndex('scrm_groups_owner').on('scrm_groups').columns(['workspace_id', 'owner']).execute();

          await db.schema
            .createTable('scrm_group_members')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('chat_id', 'text', (c) => c.notNull())
            .addColumn('member_id', 'text', (c) => c.notNull())
            .addColumn('type', 'integer', (c) => c.notNull())
            .addColumn('unionid', 'text')
            .addColumn('join_time', t.millis, (c) => c.notNull())
            .addColumn('join_scene', 'integer')
            .addColumn('invitor', 'text')
            .addColumn('quit_at', t.millis)
            .addColumn('quit_scene', 'integer')
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('scrm_group_members_pk', ['workspace_id', 'chat_id', 'member_id'])
            .execute();
          await db.schema.createIndex('scrm_group_members_member').on('scrm_group_members').columns(['workspace_id', 'member_id']).execute();
        },
      },
      '0004_scrm_livecodes': liveCodesMigration(engine),
      '0005_scrm_ops': opsMigration(engine),
    },
  };
}
