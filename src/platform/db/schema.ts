import type { JsonColumn, Millis } from './column-values.js';

export type { JsonColumn, Millis } from './column-values.js';

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
  /** When the key last authenticated a request, written at most once a minute (migration 0031; key-usage.ts). */
  last_used_at: Millis | null;
}

export interface JobStateTable {
  workspace_id: string;
  name: string;
  value: JsonColumn;
  updated_at: Millis;
}

/** A workspace's data key of one version, wrapped by the server key (migration 0046; keys.ts). */
export interface DataKeysTable {
  workspace_id: string;
  version: number;
  /** `k1.<serverKeyId>.<iv>.<tag>.<ct>`: AES-256-GCM under a key derived from the server key. */
  wrapped_key: string;
  /** `active` (new ciphertext), `retiring` (a rotation re-encrypts its ciphertext), `retired` (none left). */
  state: 'active' | 'retiring' | 'retired';
  created_at: Millis;
  /** When it stopped being the active version. */
  rotated_at: Millis | null;
  retired_at: Millis | null;
}

/** A workspace's blind-index (lookup) key, wrapped; stable across data-key rotations (migration 0046). */
export interface BlindIndexKeysTable {
  workspace_id: string;
  /** Null for a workspace older than envelope encryption until its legacy derived key is stored. */
  wrapped_key: string | null;
  /** 1: the key the server key derived before 0046 (the workspace's stored lookups use it). */
  legacy: number;
  created_at: Millis;
}

/** A rotation of a workspace's data key and its re-encryption progress (migration 0046; key-rotation.ts). */
export interface KeyRotationsTable {
  workspace_id: string;
  id: string;
  to_version: number;
  state: 'running' | 'done';
  /** Per ciphertext store: `{ cursor, done, changed }`. */
  progress: JsonColumn;
  changed: number;
  started_at: Millis;
  /** Re-encryption starts no earlier: other processes may still write with the old version until their key cache expires. */
  not_before: Millis;
  finished_at: Millis | null;
  lease_owner: string | null;
  lease_until: Millis | null;
}

/** The Kysely database type for every Siyu table. */
/** Platform's own tables: workspaces, their API keys, job state (see job-state.ts), and the PII keys (keys.ts). */
export interface PlatformDB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  job_state: JobStateTable;
  data_keys: DataKeysTable;
  blind_index_keys: BlindIndexKeysTable;
  key_rotations: KeyRotationsTable;
}

/**
 * The Kysely type of the whole database: platform's tables, and every module's, which each
 * module adds from its own schema.ts by declaration merging
 * (`declare module '../platform/db/schema.js' { interface DB extends CdpDB {} }`), so platform
 * imports no module. Types do not decide who may touch a table: ownership is checked on the SQL
 * each file runs (scripts/check-tables.mjs; docs/architecture.md).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DB extends PlatformDB {}
