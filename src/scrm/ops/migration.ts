import type { Kysely, Migration } from 'kysely';
import { columnTypes } from '../../platform/db/column-types.js';
import type { Engine } from '../../platform/db/database.js';

/**
 * Migration `0005_scrm_ops`: SOPs and their staff tasks, workbench rules and generated tasks,
 * snippets, last contacts, handovers, alerts and sensitive words. Never edit after it lands.
 * size: nine tables and their indexes, statement after statement (Kysely<any>: the schema of its day)
 */
export function opsMigration(engine: Engine): Migration {
  const t = columnTypes(engine);
  return {
    // size: nine tables and their indexes, in one migration that never changes
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('scrm_sops')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('target', t.json, (c) => c.notNull())
        .addColumn('steps', t.json, (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_sops_pk', ['workspace_id', 'id'])
        .execute();

      await db.schema
        .createTable('scrm_sop_tasks')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('sop_id', 'text', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('occurrence', 'text', (c) => c.notNull())
        .addColumn('staff_userid', 'text', (c) => c.notNull())
        .addColumn('due_at', t.millis, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('msgid', 'text')
        .addColumn('error', 'text')
        .addColumn('completed_by', 'text')
        .addColumn('completed_at', t.millis)
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_sop_tasks_pk', ['workspace_id', 'id'])
        .execute();
      // The idempotency key of the scheduler: a tick run twice (or by two workers) adds nothing.
      await db.schema
        .createIndex('scrm_sop_tasks_once')
        .unique()
        .on('scrm_sop_tasks')
        .columns(['workspace_id', 'sop_id', 'step_id', 'target_id', 'occurrence'])
        .execute();
      await db.schema.createIndex('scrm_sop_tasks_staff').on('scrm_sop_tasks').columns(['workspace_id', 'staff_userid', 'due_at']).execute();
      await db.schema.createIndex('scrm_sop_tasks_status').on('scrm_sop_tasks').columns(['workspace_id', 'status']).execute();

      await db.schema
        .createTable('scrm_workbench_rules')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('segment_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('title_template', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_workbench_rules_pk', ['workspace_id', 'id'])
        .execute();

      await db.schema
        .createTable('scrm_guide_tasks')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('staff_userid', 'text', (c) => c.notNull())
        .addColumn('external_userid', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('done_at', t.millis)
        .addPrimaryKeyConstraint('scrm_guide_tasks_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema
        .createIndex('scrm_guide_tasks_once')
        .unique()
        .on('scrm_guide_tasks')
        .columns(['workspace_id', 'staff_userid', 'day', 'rule_id', 'external_userid'])
        .execute();

      await db.schema
        .createTable('scrm_snippets')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('content', t.json, (c) => c.notNull())
        .addColumn('tags', t.json, (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_snippets_pk', ['workspace_id', 'id'])
        .execute();

      await db.schema
        .createTable('scrm_last_contacts')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('userid', 'text', (c) => c.notNull())
        .addColumn('external_userid', 'text', (c) => c.notNull())
        .addColumn('last_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_last_contacts_pk', ['workspace_id', 'userid', 'external_userid'])
        .execute();

      await db.schema
        .createTable('scrm_handovers')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('batch_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_userid', 'text', (c) => c.notNull())
        .addColumn('to_userid', 'text', (c) => c.notNull())
        .addColumn('external_userid', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('errcode', 'integer')
        .addColumn('wecom_status', 'integer')
        .addColumn('reason', 'text')
        .addColumn('takeover_at', t.millis)
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_handovers_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('scrm_handovers_customer').on('scrm_handovers').columns(['workspace_id', 'external_userid', 'created_at']).execute();
      await db.schema.createIndex('scrm_handovers_status').on('scrm_handovers').columns(['workspace_id', 'status']).execute();

      await db.schema
        .createTable('scrm_alerts')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('userid', 'text')
        .addColumn('external_userid', 'text')
        .addColumn('profile_id', 'text')
        .addColumn('word', 'text')
        .addColumn('excerpt', 'text')
        .addColumn('msgid', 'text')
        .addColumn('notify_status', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('at', t.millis, (c) => c.notNull())
        .addColumn('acked_at', t.millis)
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_alerts_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('scrm_alerts_dedup').unique().on('scrm_alerts').columns(['workspace_id', 'dedup_key']).execute();
      await db.schema.createIndex('scrm_alerts_list').on('scrm_alerts').columns(['workspace_id', 'status', 'at']).execute();

      await db.schema
        .createTable('scrm_sensitive_words')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('word', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('scrm_sensitive_words_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema.createIndex('scrm_sensitive_words_word').unique().on('scrm_sensitive_words').columns(['workspace_id', 'word']).execute();
    },
  };
}
