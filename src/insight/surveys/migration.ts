import type { Kysely } from 'kysely';
import type { columnTypes } from '../../platform/db/column-types.js';

/** Migration 0026_insight_surveys: surveys, their versions and their answers. */
export function surveysMigration(t: ReturnType<typeof columnTypes>) {
  return {
    // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('insight_surveys')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('current_version', 'integer', (c) => c.notNull())
        .addColumn('keywords', t.json, (c) => c.notNull())
        .addColumn('link_ttl_days', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_surveys_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('insight_surveys_by_time').on('insight_surveys').columns(['workspace_id', 'created_at', 'id']).execute();
      await db.schema
        .createTable('insight_survey_versions')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('survey_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', t.json, (c) => c.notNull())
        .addColumn('answered', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_survey_versions_pk', ['workspace_id', 'survey_id', 'version'])
        .execute();
      await db.schema
        .createTable('insight_survey_answers')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('survey_id', 'text', (c) => c.notNull())
        .addColumn('survey_version', 'integer', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('send_key', 'text', (c) => c.notNull())
        .addColumn('touchpoint_kind', 'text', (c) => c.notNull())
        .addColumn('touchpoint_id', 'text', (c) => c.notNull())
        .addColumn('locale', 'text', (c) => c.notNull())
        .addColumn('answers', t.json, (c) => c.notNull())
        .addColumn('nps', 'integer')
        .addColumn('csat', 'integer')
        .addColumn('ces', 'integer')
        .addColumn('verbatim', 'text')
        .addColumn('tags', t.json, (c) => c.notNull())
        .addColumn('local_day', 'integer', (c) => c.notNull())
        .addColumn('answered_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('insight_survey_answers_pk', ['workspace_id', 'id'])
        .execute();
      // One answer per profile per send: a resubmission finds the first one.
      await db.schema
        .createIndex('insight_survey_answers_once')
        .unique()
        .on('insight_survey_answers')
        .columns(['workspace_id', 'survey_id', 'profile_id', 'send_key'])
        .execute();
      // Results and verbatims read a survey's answers by time.
      await db.schema
        .createIndex('insight_survey_answers_by_time')
        .on('insight_survey_answers')
        .columns(['workspace_id', 'survey_id', 'answered_at', 'id'])
        .execute();
    },
  };
}
