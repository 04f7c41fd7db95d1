import type { ColumnType } from 'kysely';
import type { JsonColumn, Millis } from './column-values.js';
// Transitional (removed by the lead with `DB`): the CDP's tables for the whole-database type.
import type { CdpDB, EventsTable } from '../../cdp/schema.js';

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

export interface SegmentsTable {
  workspace_id: string;
  id: string;
  name: string;
  description: string;
  kind: 'rule' | 'static';
  rule: JsonColumn | null;
  version: number;
  time_dependent: number;
  status: 'active' | 'archived';
  member_count: number;
  recompute_version: number | null;
  recompute_cursor: string | null;
  recompute_started_at: Millis | null;
  evaluated_at: Millis | null;
  /**
   * 1 once a journey has used the segment as its entry trigger (migration 0016): its entries are
   * then written with `segment_members.listened = 1`, into the entry-time index the trigger reads.
   */
  entries_listened: ColumnType<number, number | undefined, number>;
  created_at: Millis;
  updated_at: Millis;
}

export interface SegmentVersionsTable {
  workspace_id: string;
  segment_id: string;
  version: number;
  rule: JsonColumn | null;
  created_at: Millis;
}

export interface SegmentMembersTable {
  workspace_id: string;
  segment_id: string;
  profile_id: string;
  version: number;
  entered_at: Millis;
  /** The segment's `entries_listened` when the row was written: only such rows are in the entry-time index. */
  listened: ColumnType<number, number | undefined, number>;
}

/** A finished membership: entered, then left (see migration 0002_segments_history). */
export interface SegmentMemberHistoryTable {
  workspace_id: string;
  profile_id: string;
  segment_id: string;
  entered_at: Millis;
  exited_at: Millis;
  version: number;
  exit_version: number;
  reason: 'rule' | 'merged' | 'manual' | 'archived';
}

export interface ProfileScoresTable {
  workspace_id: string;
  profile_id: string;
  r: number | null;
  f: number | null;
  m: number | null;
  rfm_cell: string | null;
  rfm_at: Millis | null;
  lifecycle_stage: string | null;
  lifecycle_at: Millis | null;
  community_role: string | null;
  community_score: number | null;
  community_at: Millis | null;
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
export interface DB extends PlatformDB, CdpDB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  segments: SegmentsTable;
  segment_versions: SegmentVersionsTable;
  segment_members: SegmentMembersTable;
  segment_member_history: SegmentMemberHistoryTable;
  profile_scores: ProfileScoresTable;
  job_state: JobStateTable;
}
