import type { ColumnType } from 'kysely';
import type { SegmentsDB } from '../../segments/schema.js';

/** JSON columns: text on SQLite, jsonb on PostgreSQL; written as strings, read via `parseJson`. */
export type JsonColumn = ColumnType<unknown, string, string>;
/** Epoch milliseconds (bigint on PostgreSQL, integer on SQLite). */
export type Millis = number;

export interface WorkspacesTable {
  id: string;
  name: string;
  settings: JsonColumn;
  created_at: Millis;
}

export interface ApiKeysTable {
  workspace_id: string;
  id: string;
  kind: 'write' | 'secret';
  name: string;
  key_hash: string;
  key_prefix: string;
  created_at: Millis;
  revoked_at: Millis | null;
}

export interface ProfilesTable {
  workspace_id: string;
  id: string;
  merged_into: string | null;
  traits: JsonColumn;
  trait_times: JsonColumn;
  consent: JsonColumn;
  first_seen_at: Millis | null;
  last_seen_at: Millis | null;
  order_count: number;
  total_spent_fen: number;
  first_purchase_at: Millis | null;
  last_purchase_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface IdentitiesTable {
  workspace_id: string;
  id_type: string;
  /** Normalised value, or a keyed hash of it for PII types (phone, email). */
  id_key: string;
  profile_id: string;
  /** AES-GCM ciphertext of the value for PII types; null where id_key is the value. */
  value_enc: string | null;
  first_seen_at: Millis;
  source_message_id: string | null;
}

export interface EventsTable {
  workspace_id: string;
  message_id: string;
  profile_id: string;
  type: string;
  event: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  timestamp: Millis;
  received_at: Millis;
  payload: JsonColumn;
}

export interface ProfileMergesTable {
  workspace_id: string;
  id: string;
  kind: 'merge' | 'refused';
  from_profile_id: string;
  into_profile_id: string;
  id_type: string;
  id_key: string;
  message_id: string | null;
  reason: string;
  created_at: Millis;
}

export interface OrdersTable {
  workspace_id: string;
  order_id: string;
  profile_id: string;
  message_id: string;
  total_fen: number;
  currency: string;
  ordered_at: Millis;
}

export interface TagGroupsTable {
  workspace_id: string;
  id: string;
  name: string;
  created_at: Millis;
}

export interface TagsTable {
  workspace_id: string;
  id: string;
  group_id: string;
  name: string;
  created_at: Millis;
}

export interface ProfileTagsTable {
  workspace_id: string;
  profile_id: string;
  tag_id: string;
  source: 'manual' | 'import' | 'rule' | 'event';
  created_at: Millis;
}

export interface JobStateTable {
  workspace_id: string;
  name: string;
  value: JsonColumn;
  updated_at: Millis;
}

/** The Kysely database type for every Siyu table. */
/** Platform's own tables: workspaces, their API keys, and job state (see job-state.ts). */
export interface PlatformDB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  job_state: JobStateTable;
}

/**
 * Transitional: every table of the core and segments. Each module is moving its table types to its
 * own schema.ts (its `…DB` type); this goes once no module imports it.
 */
export interface DB extends PlatformDB, SegmentsDB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  profiles: ProfilesTable;
  identities: IdentitiesTable;
  events: EventsTable;
  profile_merges: ProfileMergesTable;
  orders: OrdersTable;
  tag_groups: TagGroupsTable;
  tags: TagsTable;
  profile_tags: ProfileTagsTable;
  job_state: JobStateTable;
}
