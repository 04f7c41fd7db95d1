import type { JsonColumn, Millis } from '../platform/db/schema.js';

/**
 * The messaging domain's tables (migrations 0010_messaging and 0013_messaging_replies). Owned by `src/messaging/`; other
 * domains use `enqueueMessage` and the functions `src/messaging/index.ts` exports.
 */

/** A message template: name, channel and the number of its current version. */
export interface MessageTemplatesTable {
  workspace_id: string;
  id: string;
  name: string;
  channel: string;
  /** The purpose a send of this template has unless the caller says otherwise. */
  purpose: 'marketing' | 'service';
  current_version: number;
  status: 'active' | 'archived';
  created_at: Millis;
  updated_at: Millis;
}

/** One immutable version of a template: per-locale channel content. */
export interface MessageTemplateVersionsTable {
  workspace_id: string;
  template_id: string;
  version: number;
  default_locale: string;
  /** `{ "zh-CN": <channel content>, "en": ... }`. */
  variants: JsonColumn;
  created_at: Millis;
}

/** A workspace's configuration of one channel; secret fields are encrypted together in `secrets_enc`. */
export interface ChannelConfigsTable {
  workspace_id: string;
  channel: string;
  config: JsonColumn;
  /** PII-cipher token of a JSON object of the secret fields, or null. */
  secrets_enc: string | null;
  updated_at: Millis;
}

/** Per-workspace guardrail settings (quiet hours, caps, consent policy, link base URL). */
export interface MessagingSettingsTable {
  workspace_id: string;
  settings: JsonColumn;
  updated_at: Millis;
}

/**
 * The outbox and message log: one row per message, from enqueue to the provider's last word.
 * Unique on (workspace_id, idempotency_key): a retried enqueue lands on the same row.
 */
export interface MessagesTable {
  workspace_id: string;
  id: string;
  idempotency_key: string;
  profile_id: string | null;
  channel: string;
  purpose: 'marketing' | 'service';
  /** queued | held | suppressed | sending | sent | delivered | failed | unknown | cancelled. */
  status: string;
  /** Why the message is held, suppressed, failed or unknown (e.g. `quiet_hours`, `consent:marketing:sms`). */
  reason: string | null;
  template_id: string | null;
  template_version: number | null;
  /** Inline content (no template), JSON, or null. */
  content: JsonColumn | null;
  /** Extra rendering data and the triggering event's properties, JSON `{ data, event }`. */
  data: JsonColumn;
  /** Explicit recipient (group chat id, sender), JSON or null. */
  recipient: JsonColumn | null;
  /** What was (or is being) handed to the provider: rendered once, resent identically. */
  rendered: JsonColumn | null;
  locale: string | null;
  /** `live_code`: a live code's welcome message (sent at once, never through the outbox). */
  source_kind: 'journey' | 'broadcast' | 'api' | 'live_code';
  source_id: string | null;
  source_step: string | null;
  attempts: number;
  next_attempt_at: Millis;
  /** While `sending`: the claim expires at this time (a crashed dispatcher's rows are then recovered). */
  lease_until: Millis | null;
  provider_message_id: string | null;
  error_code: string | null;
  /** When the provider call for the current attempt started (frequency caps count from it). */
  sent_at: Millis | null;
  delivered_at: Millis | null;
  opened_at: Millis | null;
  clicked_at: Millis | null;
  /**
   * Keyed hash (`cipher.lookupKey('phone', e164)`) of the address an SMS went to, set when the
   * provider call starts (0013): inbound replies find their message by it. Null for other channels.
   */
  address_key: string | null;
  /** The first reply's time (0013). */
  replied_at: Millis | null;
  /** When retention blanked the body (content, data, recipient, rendered, address key) of this old message (0045); null while kept. */
  body_purged_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

/**
 * The PIPL consent ledger: append-only (triggers refuse UPDATE and DELETE). The current state of
 * a (profile, purpose, channel) is its newest row; `channel` '*' covers every channel.
 */
export interface ConsentRecordsTable {
  workspace_id: string;
  id: string;
  profile_id: string;
  purpose: 'marketing' | 'service' | 'analytics' | 'sharing';
  channel: string;
  granted: number;
  /** How it was captured: `api`, `unsubscribe_link`, `form`, `import`, ... */
  source: string;
  /** Evidence, JSON: form version, IP, user agent, message id, text shown... */
  evidence: JsonColumn;
  /** When the person gave or withdrew it (may precede recording). */
  at: Millis;
  recorded_at: Millis;
}

/** The Kysely database type of the messaging tables. */
export interface MessagingDB {
  message_templates: MessageTemplatesTable;
  message_template_versions: MessageTemplateVersionsTable;
  channel_configs: ChannelConfigsTable;
  messaging_settings: MessagingSettingsTable;
  messages: MessagesTable;
  consent_records: ConsentRecordsTable;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends MessagingDB {}
}
