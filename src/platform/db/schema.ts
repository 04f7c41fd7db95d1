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

/** The Kysely database type for every Siyu table. */
/** Platform's own tables: workspaces, their API keys, and job state (see job-state.ts). */
export interface PlatformDB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  job_state: JobStateTable;
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
