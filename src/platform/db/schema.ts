import type { ColumnType } from 'kysely';
import type { JsonColumn, Millis } from './column-values.js';
// Transitional (removed by the lead with `DB`): the CDP's tables for the whole-database type.
import type { CdpDB, EventsTable } from '../../cdp/schema.js';
import type { SegmentsDB } from '../../segments/schema.js';

export type { JsonColumn, Millis } from './column-values.js';
/** Transitional re-export: the CDP's events table type now lives in src/cdp/schema.ts. */
export type { EventsTable };

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
export interface DB extends PlatformDB, CdpDB, SegmentsDB {}
