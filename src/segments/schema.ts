/**
 * The segments module's tables (created by its migrations, see migrations.ts): segments and their
 * rule versions, current members and membership history, and the models' per-profile scores.
 * Other modules read them only through the functions index.ts publishes.
 */
import type { ColumnType, Kysely } from 'kysely';
import type { JsonColumn, Millis, PlatformDB } from '../platform/db/schema.js';
// The cdp tables segments compile SQL over: the one declared exception to table ownership
// (docs/architecture-rules.md); their types are cdp's own (CdpDB).
import type { CdpDB } from '../cdp/index.js';

/** A saved segment: its current rule and version, size, recompute state and listened mark. */
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
  /** Failed recomputes in a row (migration 0021); 0 after a success, a rule change or a requested recompute. */
  recompute_failures: ColumnType<number, number | undefined, number>;
  /** The last failure's reason (no SQL, no connection details). */
  recompute_error: ColumnType<string | null, string | null | undefined, string | null>;
  recompute_failed_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  /** Not recomputed nor evaluated by the feed before this time (back-off); null when not backing off. */
  recompute_retry_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  created_at: Millis;
  updated_at: Millis;
}

/** Every rule version of a segment. */
export interface SegmentVersionsTable {
  workspace_id: string;
  segment_id: string;
  version: number;
  rule: JsonColumn | null;
  created_at: Millis;
}

/** A current member: the record of its entry (which version admitted it, when). */
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

/** The models' outputs per profile: RFM scores and cell, lifecycle stage, community role and score. */
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

/** The segments module's own tables. */
export interface SegmentsDB {
  segments: SegmentsTable;
  segment_versions: SegmentVersionsTable;
  segment_members: SegmentMembersTable;
  segment_member_history: SegmentMemberHistoryTable;
  profile_scores: ProfileScoresTable;
}

/** The cdp tables segments read (rules compile to SQL over them; the declared exception): all of cdp's, by cdp's own type. */
export type CdpTablesRead = CdpDB;

/** Everything segments' SQL touches: its own tables, the cdp tables it reads, and platform's (workspaces, job_state). */
export type SegmentsSqlDB = SegmentsDB & CdpTablesRead & PlatformDB;

/**
 * A caller's database (typed with its own tables, a transaction included) seen through the tables
 * segments' SQL touches: how published functions take the caller's connection. Kysely's types do
 * not let a transaction over more tables pass where one over fewer is asked, hence the cast.
 */
export function segmentsDb<D extends SegmentsDB>(db: Kysely<D>): Kysely<SegmentsSqlDB> {
  return db as unknown as Kysely<SegmentsSqlDB>;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends SegmentsDB {}
}
