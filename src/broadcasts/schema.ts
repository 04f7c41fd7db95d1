import type { Generated } from 'kysely';
import type { JsonColumn, Millis } from '../platform/db/schema.js';

/**
 * The broadcast domain's tables (migrations 0012_broadcasts and 0020_broadcasts_retry). Owned by `src/broadcasts/`; sends go
 * through the messaging outbox, audiences are read (never written) from `segment_members`.
 */

/** draft → scheduled → sending → sent, or cancelled; `failed` when the fan-out cannot go on (e.g. the template was deleted). */
export type BroadcastStatus = 'draft' | 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed';

/** A one-off send to a segment, with its fan-out progress. */
export interface BroadcastsTable {
  workspace_id: string;
  id: string;
  name: string;
  description: string;
  status: BroadcastStatus;
  channel: string;
  purpose: 'marketing' | 'service';
  template_id: string | null;
  /** The pinned template version; when the operator pins none, the current one is pinned when the fan-out starts. */
  template_version: number | null;
  /** Inline channel content (no template), JSON, or null. */
  content: JsonColumn | null;
  /** Extra template values (`{{ data.x }}`), JSON object. */
  data: JsonColumn;
  segment_id: string;
  exclude_segment_id: string | null;
  /** 0-50: this share of the audience (stable hash of broadcast id and profile id) receives nothing. */
  holdout_percent: number;
  goal_event: string | null;
  goal_days: number;
  /** When the fan-out may start (UTC millis); null while a draft has no time. */
  send_at: Millis | null;
  /** Audience size: an estimate when the fan-out starts, the exact snapshot size when it ends. */
  total: number | null;
  /** Profiles with an outbox message. */
  enqueued: number;
  holdout_count: number;
  excluded_count: number;
  /** The last profile id of the audience handed out (keyset position); null before the first chunk. */
  cursor: string | null;
  /** Why the fan-out failed, or why its last chunk failed while it is backed off (`retry_at`). */
  error: string | null;
  /** Consecutive failed chunks (reset by a chunk that commits); the fan-out fails at MAX_CHUNK_FAILURES. */
  failures: Generated<number>;
  /** A backed-off fan-out is not taken again before this time; null when it is not backed off. */
  retry_at: Millis | null;
  started_at: Millis | null;
  finished_at: Millis | null;
  cancelled_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

/** The audience snapshot: one row per profile the fan-out reached, in the send group or the holdout. */
export interface BroadcastRecipientsTable {
  workspace_id: string;
  broadcast_id: string;
  profile_id: string;
  /** 1: held out (no message, the conversion baseline); 0: a message was enqueued. */
  holdout: number;
  message_id: string | null;
  created_at: Millis;
}

/** The Kysely database type of the broadcast tables. */
export interface BroadcastsDB {
  broadcasts: BroadcastsTable;
  broadcast_recipients: BroadcastRecipientsTable;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends BroadcastsDB {}
}
