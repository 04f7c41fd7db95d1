import type { ColumnType } from 'kysely';
import type { JsonColumn, Millis } from '../platform/db/schema.js';

/**
 * The journeys domain's tables (migrations 0011_journeys, 0018_journeys_publish_warnings). Owned by `src/journeys/`; other domains
 * use the functions `src/journeys/index.ts` exports.
 */

/** A journey: its name, its draft definition and the version running profiles enter. */
export interface JourneysTable {
  workspace_id: string;
  id: string;
  name: string;
  description: string;
  /** 'draft' (never published) | 'active' | 'paused' (no new entries, running states continue) | 'archived' (states stopped). */
  status: string;
  /** The definition being edited; publishing copies it into a new `journey_versions` row. */
  draft: JsonColumn;
  /** The published version new entries use; null before the first publish. */
  current_version: number | null;
  /** JSON array of the last publish's warnings (`PublishWarning`); null before the first publish (migration 0018). */
  publish_warnings: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Millis;
  updated_at: Millis;
}

/** One immutable published version of a journey. */
export interface JourneyVersionsTable {
  workspace_id: string;
  journey_id: string;
  version: number;
  definition: JsonColumn;
  created_at: Millis;
}

/**
 * One (journey, subject, entry key): where the subject is in the graph and when the worker next
 * looks at it. The subject is a profile, or a WeCom customer group (`subject_kind` 'wecom_group',
 * `subject_id` the chat id) for group journeys.
 */
export interface JourneyStatesTable {
  workspace_id: string;
  id: string;
  journey_id: string;
  version: number;
  subject_kind: 'profile' | 'wecom_group';
  subject_id: string;
  /** What made this entry unique: an event's message id, `date:2026-11-02`, `manual:<key>`, ... */
  entry_key: string;
  /** 1 for the subject's first entry into this journey, 2 for the second, ... */
  entry_no: number;
  step_id: string | null;
  /** 'active' | 'completed' | 'converted' | 'exited' | 'failed'. */
  status: string;
  /** When a worker should next look at the row (null once finished). */
  wake_at: Millis | null;
  /** When the current step's own timer ends (a wait's end, a wait-for-event's timeout). */
  timer_at: Millis | null;
  /** When the current step started. */
  step_at: Millis;
  /** Event names that wake the row early (wait-for-event, goal), space separated, or null. */
  listen: string | null;
  /** Failed attempts at the current step (reset on success). */
  attempt: number;
  /** Steps taken so far (the step log's sequence number). */
  steps_taken: number;
  /** Entry context, JSON: the trigger event's properties, trigger details. */
  context: JsonColumn;
  /** Why it ended: 'exit_step', 'end', 'goal', 'holdout', 'migrated', 'archived', an error... */
  end_reason: string | null;
  entered_at: Millis;
  ended_at: Millis | null;
  updated_at: Millis;
}

/** An A/B split's stable assignment of one state (statistics per branch). */
export interface JourneyAssignmentsTable {
  workspace_id: string;
  state_id: string;
  journey_id: string;
  step_id: string;
  branch: string;
  at: Millis;
}

/** One step taken by a state (statistics: how many passed through each step; the state's history). */
export interface JourneyStepLogTable {
  workspace_id: string;
  state_id: string;
  seq: number;
  journey_id: string;
  step_id: string;
  /** What happened: 'entered', 'sent', 'branch:<n>', 'event', 'timeout', 'skipped: no loyalty module', ... */
  outcome: string;
  at: Millis;
}

/** The Kysely database type of the journeys tables. */
export interface JourneysDB {
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
  journey_states: JourneyStatesTable;
  journey_assignments: JourneyAssignmentsTable;
  journey_step_log: JourneyStepLogTable;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends JourneysDB {}
}
