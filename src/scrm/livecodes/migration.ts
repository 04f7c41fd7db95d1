import type { Kysely, Migration } from 'kysely';
import { columnTypes } from '../../platform/db/column-types.js';
import type { Engine } from '../../platform/db/database.js';

/**
 * Migration 0004: live codes, their adds, group live codes and group tags (see src/scrm/schema.ts).
 * size: four tables and their indexes, statement after statement (Kysely<any>: the schema of its day)
 */
export function liveCodesMigration(engine: Engine): Migration {
  const t = columnTypes(engine);
  return {
    // size: four tables and their indexes, in one migration that never changes
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('scrm_live_codes')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('config_id', 'text')
        .addColumn('qr_code', 'text')
        .addColumn('staff', t.json, (c) => c.notNull())
        .addColumn('strategy', 'text', (c) => c.notNull())
        .addColumn('daily_cap', 'integer')
        .addColumn('overflow_userid', 'text')
        .addColumn('tags', t.json, (c) => c.notNull())
        .addColumn('corp_tag_ids', t.json, (c) => c.notNull())
        .addColumn('welcome', t.json)
        .addColumn('skip_verify', 'integer', (c) => c.notNull())
        .addColumn('expires_at', t.millis)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('active_users', t.json, (c) => c.notNull())
        .addColumn('rr_next', 'integer', (c) => c.notNull())
        .addColumn('balanced_day', 'text')
        .addColumn('sync_error', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_live_codes_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('scrm_live_codes_state').unique().on('scrm_live_codes').columns(['workspace_id', 'state']).execute();
      await db.schema.createIndex('scrm_live_codes_status').on('scrm_live_codes').columns(['status', 'workspace_id']).execute();

      await db.schema
        .createTable('scrm_live_code_adds')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('code_id', 'text', (c) => c.notNull())
        .addColumn('userid', 'text', (c) => c.notNull())
        .addColumn('external_userid', 'text', (c) => c.notNull())
        .addColumn('added_at', t.millis, (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('tags_status', 'text', (c) => c.notNull())
        .addColumn('tags_error', 'text')
        .addColumn('welcome_status', 'text', (c) => c.notNull())
        .addColumn('welcome_reason', 'text')
        .addColumn('welcome_at', t.millis)
        .addColumn('deleted_at', t.millis)
        .addColumn('deleted_by', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_live_code_adds_pk', ['workspace_id', 'code_id', 'userid', 'external_userid', 'added_at'])
        .execute();
      await db.schema.createIndex('scrm_live_code_adds_time').on('scrm_live_code_adds').columns(['workspace_id', 'code_id', 'added_at']).execute();
      await db.schema.createIndex('scrm_live_code_adds_deleted').on('scrm_live_code_adds').columns(['workspace_id', 'code_id', 'deleted_at']).execute();
      await db.schema.createIndex('scrm_live_code_adds_pair').on('scrm_live_code_adds').columns(['workspace_id', 'external_userid', 'userid']).execute();

      await db.schema
        .createTable('scrm_group_codes')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('config_id', 'text')
        .addColumn('qr_code', 'text')
        .addColumn('chat_ids', t.json, (c) => c.notNull())
        .addColumn('current_index', 'integer', (c) => c.notNull())
        .addColumn('window_chat_ids', t.json, (c) => c.notNull())
        .addColumn('member_limit', 'integer', (c) => c.notNull())
        .addColumn('auto_create_room', 'integer', (c) => c.notNull())
        .addColumn('room_base_name', 'text')
        .addColumn('room_base_id', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('rotated_at', t.millis)
        .addColumn('sync_error', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_group_codes_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('scrm_group_codes_state').unique().on('scrm_group_codes').columns(['workspace_id', 'state']).execute();

      await db.schema
        .createTable('scrm_group_tags')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('chat_id', 'text', (c) => c.notNull())
        .addColumn('tag', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_group_tags_pk', ['workspace_id', 'chat_id', 'tag'])
        .execute();
      await db.schema.createIndex('scrm_group_tags_tag').on('scrm_group_tags').columns(['workspace_id', 'tag']).execute();
    },
  };
}
