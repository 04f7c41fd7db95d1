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
  /** Who: `key` (a secret API key), `user` (a console user). */
  actor_kind: 'key' | 'user';
  /** The API key's id or the console user's id (null for a key the resolver could not name). */
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
}
