import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { columnTypes as types } from './column-types.js';
import type { Engine } from './database.js';
import { scrmMigrations } from '../../scrm/migrations.js';
import { messagingMigrations } from '../../messaging/migrations.js';
import { journeyMigrations } from '../../journeys/migrations.js';
import { broadcastMigrations } from '../../broadcasts/migrations.js';

/** One ordered migration set for both engines. Never edit a migration after it lands: add a new one. */
function migrations(engine: Engine): Record<string, Migration> {
  const t = types(engine);
  return {
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
        await db.schema
          .createTable('segments')
          .addColumn('workspace_id', 'text', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull()) // 'rule' | 'static'
          .addColumn('rule', t.json) // current version's rule; null for static segments
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('time_dependent', 'integer', (c) => c.notNull()) // 0/1: re-checked on the schedule
          .addColumn('status', 'text', (c) => c.notNull()) // 'active' | 'archived'
          .addColumn('member_count', 'integer', (c) => c.notNull())
          // Full recompute in progress: the version being computed and the last profile id done.
          .addColumn('recompute_version', 'integer')
          .addColumn('recompute_cursor', 'text')
          .addColumn('recompute_started_at', t.millis)
          .addColumn('evaluated_at', t.millis)
          .addColumn('created_at', t.millis, (c) => c.notNull())
          .addColumn('updated_at', t.millis, (c) => c.notNull())
          .addPrimaryKeyConstraint('segments_pk', ['workspace_id', 'id'])
          .execute();
        await db.schema.createIndex('segments_name').unique().on('segments').columns(['workspace_id', 'name']).execute();

        await db.schema
          .createTable('segment_versions')
          .addColumn('workspace_id', 'text', (c) => c.notNull())
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('rule', t.json)
          .addColumn('created_at', t.millis, (c) => c.notNull())
          .addPrimaryKeyConstraint('segment_versions_pk', ['workspace_id', 'segment_id', 'version'])
          .execute();

        await db.schema
          .createTable('segment_members')
          .addColumn('workspace_id', 'text', (c) => c.notNull())
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull()) // segment version that admitted the profile
          .addColumn('entered_at', t.millis, (c) => c.notNull())
          .addPrimaryKeyConstraint('segment_members_pk', ['workspace_id', 'segment_id', 'profile_id'])
          .execute();
        await db.schema.createIndex('segment_members_profile').on('segment_members').columns(['workspace_id', 'profile_id']).execute();

        // Model outputs per profile: RFM scores and cell, lifecycle stage, community role.
        await db.schema
          .createTable('profile_scores')
          .addColumn('workspace_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('r', 'integer')
          .addColumn('f', 'integer')
          .addColumn('m', 'integer')
          .addColumn('rfm_cell', 'text')
          .addColumn('rfm_at', t.millis)
          .addColumn('lifecycle_stage', 'text')
          .addColumn('lifecycle_at', t.millis)
          .addColumn('community_role', 'text')
          .addColumn('community_score', 'integer')
          .addColumn('community_at', t.millis)
          .addPrimaryKeyConstraint('profile_scores_pk', ['workspace_id', 'profile_id'])
          .execute();
        await db.schema.createIndex('profile_scores_rfm').on('profile_scores').columns(['workspace_id', 'rfm_cell']).execute();
        await db.schema.createIndex('profile_scores_stage').on('profile_scores').columns(['workspace_id', 'lifecycle_stage']).execute();

        // Small durable state of background jobs (change-feed cursors, last runs), per workspace.
        await db.schema
          .createTable('job_state')
          .addColumn('workspace_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('value', t.json, (c) => c.notNull())
          .addColumn('updated_at', t.millis, (c) => c.notNull())
          .addPrimaryKeyConstraint('job_state_pk', ['workspace_id', 'name'])
          .execute();

        // Event-window rules over the whole workspace ("Order Completed in the last 30 days").
        await db.schema.createIndex('events_name_time').on('events').columns(['workspace_id', 'event', 'timestamp']).execute();
      },
    },
    // Membership history: a member's `segment_members` row is the record of its entry (version,
    // entered_at); when it leaves, the pair moves here. Timeline items "Segment Entered/Exited"
    // are read from both instead of being written to `events` one row per member: at 1M profiles
    // those rows were 60-80% of a recompute's writes (bench/README.md, segments).
    '0002_segments_history': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('segment_member_history')
          .addColumn('workspace_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('segment_id', 'text', (c) => c.notNull())
          .addColumn('entered_at', t.millis, (c) => c.notNull())
          .addColumn('exited_at', t.millis, (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull()) // version that admitted the profile
          .addColumn('exit_version', 'integer', (c) => c.notNull()) // version whose evaluation removed it
          // 'rule' (no longer matches), 'merged' (profile merged into another), 'manual' (static list), 'archived'
          .addColumn('reason', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('segment_member_history_pk', ['workspace_id', 'profile_id', 'exited_at', 'segment_id'])
          .execute();
        await db.schema
          .createIndex('segment_member_history_segment')
          .on('segment_member_history')
          .columns(['workspace_id', 'segment_id', 'exited_at'])
          .execute();
      },
    },
    // No index of segment_members by profile: every entry landed on a random page of it (the
    // primary key and journeys' entered_at index take a recompute's entries in order), which made
    // a full recompute's inserts 1.5-2× dearer as segments accumulated (bench/README.md,
    // segments). Reads by profile name the workspace's segments and probe the primary key.
    // (Numbered after the newest migration of any domain: the migrator wants names in order.)
    '0014_segment_members_no_profile_index': {
      async up(db: Kysely<any>) {
        await db.schema.dropIndex('segment_members_profile').ifExists().execute();
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
  };
}

/**
 * The core migrations plus each domain's own set (a domain owns its tables and their migrations;
 * names are globally ordered: 0001-0002 core and segments, 0003-0009 SCRM, 0010-0019 messaging
 * and journeys, later core ones after the newest). A duplicate name is a programming error.
 */
function allMigrations(engine: Engine): Record<string, Migration> {
  const all: Record<string, Migration> = { ...migrations(engine) };
  for (const set of [scrmMigrations(engine), messagingMigrations(engine), journeyMigrations(engine), broadcastMigrations(engine)]) {
    for (const [name, m] of Object.entries(set)) {
      if (all[name]) throw new Error(`duplicate migration name ${name}`);
      all[name] = m;
    }
  }
  return all;
}

/**
 * Applies every pending migration; throws with the failing migration's name. On PostgreSQL,
 * `schema` names the schema holding Kysely's migration tables (needed when several Siyu schemas
 * share one database: Kysely otherwise finds another schema's lock table).
 */
export async function migrateToLatest(db: Kysely<any>, engine: Engine, opts: { schema?: string } = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => allMigrations(engine) } satisfies MigrationProvider,
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const name = failed ? ` (${failed.migrationName})` : '';
    throw new Error(`migration failed${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
