import { type Kysely, sql } from 'kysely';
import { columnTypes } from '../platform/db/column-types.js';
import type { Engine } from '../platform/db/database.js';
import type { MigrationSet } from '../platform/db/migrations.js';

/** The messaging domain's migrations: 0010 templates, channel configs, settings, the outbox and the consent ledger; 0013 reply matching; 0041 the ledger's one exception, detaching an erased person's entries; 0045 message bodies' retention. */
// size: a migration set is the schema of its day, one statement after another; splitting it would not help reading it
export function messagingMigrations(engine: Engine): MigrationSet {
  const t = columnTypes(engine);
  return {
    owner: 'messaging',
    migrations: {
      '0010_messaging': {
        // size: one table after another (migrations land once and are never edited); Kysely<any>: a migration runs on the schema of its day
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('message_templates')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('channel', 'text', (c) => c.notNull())
            .addColumn('purpose', 'text', (c) => c.notNull())
            .addColumn('current_version', 'integer', (c) => c.notNull())
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('message_templates_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('message_templates_name').unique().on('message_templates').columns(['workspace_id', 'name']).execute();

          await db.schema
            .createTable('message_template_versions')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('template_id', 'text', (c) => c.notNull())
            .addColumn('version', 'integer', (c) => c.notNull())
            .addColumn('default_locale', 'text', (c) => c.notNull())
            .addColumn('variants', t.json, (c) => c.notNull())
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('message_template_versions_pk', ['workspace_id', 'template_id', 'version'])
            .execute();

          await db.schema
            .createTable('channel_configs')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('channel', 'text', (c) => c.notNull())
            .addColumn('config', t.json, (c) => c.notNull())
            .addColumn('secrets_enc', 'text')
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('channel_configs_pk', ['workspace_id', 'channel'])
            .execute();

          await db.schema
            .createTable('messaging_settings')
            .addColumn('workspace_id', 'text', (c) => c.primaryKey())
            .addColumn('settings', t.json, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .execute();

          await db.schema
            .createTable('messages')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('idempotency_key', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text')
            .addColumn('channel', 'text', (c) => c.notNull())
            .addColumn('purpose', 'text', (c) => c.notNull())
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('reason', 'text')
            .addColumn('template_id', 'text')
            .addColumn('template_version', 'integer')
            .addColumn('content', t.json)
            .addColumn('data', t.json, (c) => c.notNull())
            .addColumn('recipient', t.json)
            .addColumn('rendered', t.json)
            .addColumn('locale', 'text')
            .addColumn('source_kind', 'text', (c) => c.notNull())
            .addColumn('source_id', 'text')
            .addColumn('source_step', 'text')
            .addColumn('attempts', 'integer', (c) => c.notNull())
            .addColumn('next_attempt_at', t.millis, (c) => c.notNull())
            .addColumn('lease_until', t.millis)
            .addColumn('provider_message_id', 'text')
            .addColumn('error_code', 'text')
            .addColumn('sent_at', t.millis)
            .addColumn('delivered_at', t.millis)
            .addColumn('opened_at', t.millis)
            .addColumn('clicked_at', t.millis)
            .addColumn('created_at', t.millis, (c) => c.notNull())
            .addColumn('updated_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('messages_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('messages_idempotency').unique().on('messages').columns(['workspace_id', 'idempotency_key']).execute();
          // The dispatcher's due scan runs across workspaces: (status, next_attempt_at), and lease_until for recovery.
          await db.schema.createIndex('messages_due').on('messages').columns(['status', 'next_attempt_at']).execute();
          // Frequency caps and the per-profile list.
          await db.schema.createIndex('messages_profile').on('messages').columns(['workspace_id', 'profile_id', 'sent_at']).execute();
          // Delivery receipts find the message by the provider's id.
          await db.schema.createIndex('messages_provider').on('messages').columns(['workspace_id', 'channel', 'provider_message_id']).execute();
          await db.schema.createIndex('messages_source').on('messages').columns(['workspace_id', 'source_kind', 'source_id']).execute();

          await db.schema
            .createTable('consent_records')
            .addColumn('workspace_id', 'text', (c) => c.notNull())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('profile_id', 'text', (c) => c.notNull())
            .addColumn('purpose', 'text', (c) => c.notNull())
            .addColumn('channel', 'text', (c) => c.notNull())
            .addColumn('granted', 'integer', (c) => c.notNull())
            .addColumn('source', 'text', (c) => c.notNull())
            .addColumn('evidence', t.json, (c) => c.notNull())
            .addColumn('at', t.millis, (c) => c.notNull())
            .addColumn('recorded_at', t.millis, (c) => c.notNull())
            .addPrimaryKeyConstraint('consent_records_pk', ['workspace_id', 'id'])
            .execute();
          await db.schema.createIndex('consent_records_profile').on('consent_records').columns(['workspace_id', 'profile_id', 'at']).execute();

          // The ledger is evidence: the database itself refuses to change or remove a row.
          if (engine === 'postgres') {
            await sql`create function siyu_consent_immutable() returns trigger language plpgsql as $$
            begin raise exception 'consent_records is append-only (PIPL consent ledger)'; end $$`.execute(db);
            await sql`create trigger consent_records_immutable before update or delete on consent_records
            for each row execute function siyu_consent_immutable()`.execute(db);
          } else {
            await sql`create trigger consent_records_no_update before update on consent_records
            begin select raise(abort, 'consent_records is append-only (PIPL consent ledger)'); end`.execute(db);
            await sql`create trigger consent_records_no_delete before delete on consent_records
            begin select raise(abort, 'consent_records is append-only (PIPL consent ledger)'); end`.execute(db);
          }
        },
      },
      '0013_messaging_replies': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          // Replies name a phone, never a message: the row keeps a keyed hash of the address it went
          // to (the same lookup key the identity graph uses), so a reply finds its message without
          // decrypting anything. Rows sent before this migration have none and cannot be matched.
          await db.schema.alterTable('messages').addColumn('address_key', 'text').execute();
          await db.schema.alterTable('messages').addColumn('replied_at', t.millis).execute();
          await db.schema.createIndex('messages_address').on('messages').columns(['workspace_id', 'channel', 'address_key', 'sent_at']).execute();
        },
      },
      // Erasure (issue #19): the ledger stays append-only, with one deliberate exception — an entry
      // may be detached from an erased person: its profile id moved to the anonymous stand-in
      // (`ers_…`) and its evidence replaced by {"erased":true}, every other column unchanged. The
      // decision (purpose, channel, granted, source, times) stays as the record of what was done.
      '0041_consent_erasure': {
        async up(db: Kysely<any>) {
          const erasing = (o: string, n: string) =>
            sql.raw(`${o}.profile_id not like 'ers\\_%' escape '\\' and ${n}.profile_id like 'ers\\_%' escape '\\'
            and ${n}.id = ${o}.id and ${n}.workspace_id = ${o}.workspace_id and ${n}.purpose = ${o}.purpose and ${n}.channel = ${o}.channel
            and ${n}.granted = ${o}.granted and ${n}.source = ${o}.source and ${n}.at = ${o}.at and ${n}.recorded_at = ${o}.recorded_at`);
          if (engine === 'postgres') {
            await sql`create or replace function siyu_consent_immutable() returns trigger language plpgsql as $$
            begin
              if tg_op = 'UPDATE' and ${erasing('old', 'new')} and new.evidence = '{"erased":true}'::jsonb then return new; end if;
              raise exception 'consent_records is append-only (PIPL consent ledger)';
            end $$`.execute(db);
          } else {
            await sql`drop trigger consent_records_no_update`.execute(db);
            await sql`create trigger consent_records_no_update before update on consent_records
            when not (${erasing('old', 'new')} and new.evidence = '{"erased":true}')
            begin select raise(abort, 'consent_records is append-only (PIPL consent ledger)'); end`.execute(db);
          }
        },
      },
      '0045_message_body_retention': {
        // Kysely<any>: a migration runs on the schema of its day, not on today's table types.
        async up(db: Kysely<any>) {
          // Retention (#19) blanks a message's body once it is older than the workspace's period and
          // stamps when; the row, its state and its times stay (broadcast and journey counters,
          // frequency caps). The partial index holds only rows whose body is still kept, so the job
          // finds the old ones without stepping over those it already blanked.
          await db.schema.alterTable('messages').addColumn('body_purged_at', t.millis).execute();
          await db.schema
            .createIndex('messages_body_kept')
            .on('messages')
            .columns(['workspace_id', 'created_at'])
            .where(sql.ref('body_purged_at'), 'is', null)
            .execute();
        },
      },
    },
  };
}
