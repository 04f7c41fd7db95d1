import { type Kysely, sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/**
 * The segments domain's tables: segments and their versions, members and membership history, and
 * the models' per-profile scores. 0015 and 0016 serve journeys' segment-entered trigger (journeys
 * asks segments to mark a segment as listened; the table stays segments'). Each migration takes a
 * `Kysely<any>`: it runs on the schema of its day, not on today's table types (Kysely's advice).
 */
// size: the module's migrations in order, each a block of schema statements never edited after it lands
export function segmentMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'segments',
    migrations: {
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
      // The entry-time index by (workspace, time, segment): led by (workspace, segment), PostgreSQL
      // took it for a new segment's range statements (its statistics did not know the segment yet,
      // and the deduplicated index is the smaller one) and read all of the segment's members written
      // so far at every range: quadratic in a full recompute (bench/README.md, segments). Now only
      // the primary key serves (workspace, segment, profile); the trigger reads the workspace's
      // entries since its cursor and keeps the segment's, within the index.
      '0015_segment_members_entered_by_time': {
        async up(db: Kysely<any>) {
          await db.schema.dropIndex('segment_members_entered').ifExists().execute();
          await db.schema.createIndex('segment_members_entered').on('segment_members').columns(['workspace_id', 'entered_at', 'segment_id']).execute();
        },
      },
      // The entry-time index only for segments a journey listens to. Its upkeep (25-35% of a bulk
      // insert on PostgreSQL measured alone, ~12% of a 1M trait recompute's inserts; bench/README.md)
      // was paid for every segment although only journeys' segment-entered triggers read it. A
      // segment is marked when a journey using it as its trigger is published (never unmarked); each
      // write transaction reads the mark under the segment's lock and stamps its rows. Existing
      // segments and rows count as listened, as they were all indexed before.
      '0016_segment_members_listened': {
        async up(db: Kysely<any>) {
          await db.schema
            .alterTable('segments')
            .addColumn('entries_listened', 'integer', (c) => c.notNull().defaultTo(0))
            .execute();
          await db.updateTable('segments').set({ entries_listened: 1 }).execute();
          await db.schema
            .alterTable('segment_members')
            .addColumn('listened', 'integer', (c) => c.notNull().defaultTo(1))
            .execute();
          await db.schema.dropIndex('segment_members_entered').ifExists().execute();
          await db.schema
            .createIndex('segment_members_entered')
            .on('segment_members')
            .columns(['workspace_id', 'entered_at', 'segment_id'])
            .where(sql.ref('listened'), '=', 1)
            .execute();
        },
      },
      // A recompute (or the change feed's evaluation) of the segment failed: how many times in a
      // row, the last reason, when, and when the worker tries again (30 s doubling to 1 h; until
      // then it is skipped, so one failing segment holds no other back). Cleared by a success, a
      // rule change or a requested recompute. One column per statement: SQLite adds one at a time.
      '0021_segments_failures': {
        async up(db: Kysely<any>) {
          await db.schema
            .alterTable('segments')
            .addColumn('recompute_failures', 'integer', (c) => c.notNull().defaultTo(0))
            .execute();
          await db.schema.alterTable('segments').addColumn('recompute_error', 'text').execute();
          await db.schema.alterTable('segments').addColumn('recompute_failed_at', t.millis).execute();
          await db.schema.alterTable('segments').addColumn('recompute_retry_at', t.millis).execute();
        },
      },
    },
  };
}
