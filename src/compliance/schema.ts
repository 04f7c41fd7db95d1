import type { JsonColumn, Millis } from '../platform/db/schema.js';

/**
 * The compliance module's tables (migrations 0037_audit_log, 0038_rate_limits). `audit_log` is append-only: the
 * database refuses UPDATE and DELETE on it (a trigger on each engine), and no API changes it.
 */
export interface AuditLogTable {
  workspace_id: string;
  /** `aud_…`, time-ordered. */
  id: string;
  at: Millis;
  /** Who: `key` (a secret API key), `user` (a console user), `cli` (the operator at the server's shell: `siyu privacy export`). */
  actor_kind: 'key' | 'user' | 'cli';
  /** The API key's id, the console user's id, or the operator's login name (null for a key the resolver could not name). */
  actor_id: string | null;
  /** The role the request acted with. */
  actor_role: string;
  ip: string | null;
  user_agent: string | null;
  method: string;
  /** The route's pattern (`PUT /v1/segments/:id`'s `/v1/segments/:id`). */
  route: string;
  /** The path called, with its ids (query string left out). */
  path: string;
  /** The object acted on: the route's first path parameter (an id), or null. */
  target: string | null;
  status: number;
  /** The request body with secrets redacted and phones and emails masked (JSON), or null. */
  body: JsonColumn | null;
  /** For a change of a setting or rule (PUT/PATCH of something GET reads back): what GET answered before and after. */
  before: JsonColumn | null;
  after: JsonColumn | null;
  request_id: string;
}

/** A workspace's rate-limit overrides of its public endpoints (migration 0038; rate-limit.settings.ts). */
export interface RateLimitSettingsTable {
  workspace_id: string;
  /** `{ tracking: { perKey, perIp }, ... }`: only the numbers that differ from the defaults (JSON). */
  limits: JsonColumn;
  updated_at: Millis;
}

export interface ComplianceDB {
  audit_log: AuditLogTable;
  rate_limit_settings: RateLimitSettingsTable;
  privacy_requests: PrivacyRequestsTable;
  retention_settings: RetentionSettingsTable;
  retention_runs: RetentionRunsTable;
  audit_log_purge_grants: AuditLogPurgeGrantsTable;
}

/** A workspace's retention periods (migration 0044): only the kinds set apart from the default, `{ kind: days | null }` (null: kept forever). */
export interface RetentionSettingsTable {
  workspace_id: string;
  periods: JsonColumn;
  updated_at: Millis;
}

/** One run of the retention job (migration 0044) and its report. */
export interface RetentionRunsTable {
  workspace_id: string;
  /** `ret_…`, time-ordered. */
  id: string;
  /** `schedule` (the worker), `cli` (`siyu retention run`). */
  trigger: string;
  /** `running`, `completed`, `failed` (some kind failed; the others ran). */
  status: string;
  started_at: Millis;
  finished_at: Millis | null;
  duration_ms: number | null;
  /** Per kind: `{ kind, days, cutoff, rows, error }` (JSON), filled in as the run goes. */
  kinds: JsonColumn;
}

/**
 * The retention job's pass through the audit log's DELETE trigger (migration 0044): inserted and
 * deleted inside the job's own transaction, never committed.
 */
export interface AuditLogPurgeGrantsTable {
  workspace_id: string;
  before_at: Millis;
}

/**
 * A data-subject request (migration 0039_privacy_requests): an export, erasure or correction of
 * everything held about one person, tracked from receipt to its completion record.
 */
export interface PrivacyRequestsTable {
  workspace_id: string;
  /** `dsr_…`, time-ordered. */
  id: string;
  kind: 'export' | 'erasure' | 'correction';
  /** The person as the request named them: a profile id or `type:value` (replaced by a hash once erased). */
  subject: string;
  /** The live profile the subject resolved to when the request was received (null: nobody known). */
  profile_id: string | null;
  status: 'received' | 'in_progress' | 'completed' | 'rejected';
  note: string | null;
  /** For a correction: the traits and identifiers to set (JSON). */
  changes: JsonColumn | null;
  received_at: Millis;
  /** The last local date (YYYY-MM-DD, workspace time zone) of the 15 working days. */
  due_date: string;
  /** The first instant after the due date: overdue from then on. */
  deadline_at: Millis;
  /** Who asked for it: `key:<id>` or `user:<id>`. */
  requested_by: string | null;
  completed_at: Millis | null;
  /** What was done (JSON): per module and kind, rows exported, erased or changed; or why rejected. */
  completion: JsonColumn | null;
  updated_at: Millis;
}
