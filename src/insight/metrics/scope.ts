/**
 * What every insight query is over: a workspace, a range of local dates in the workspace's time
 * zone, and optionally the current members of one segment. Validated here, at the boundary.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { addDays, DAY_MS, localDate, startOfLocalDate } from '../../platform/time.js';
import { InsightError } from '../errors.js';

/** A query's range and audience as the client gives them. */
export interface ScopeInput {
  /** First local date (YYYY-MM-DD), inclusive; default 29 days before `to`. */
  from?: string;
  /** Last local date (YYYY-MM-DD), inclusive; default today. */
  to?: string;
  /** A segment id: only its current members count. */
  segment?: string;
}

/** A resolved scope: the range as UTC millis [from, to) of local days, the zone, the segment. */
export interface Scope {
  workspaceId: string;
  timeZone: string;
  fromDate: string;
  toDate: string;
  from: number;
  to: number;
  segmentId: string | null;
  now: number;
}

/** The longest range one query may cover (three years of days). */
export const MAX_RANGE_DAYS = 1100;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkDate(field: string, value: string): void {
  const ok = DATE.test(value) && !Number.isNaN(Date.parse(value + 'T00:00:00Z')) && new Date(value + 'T00:00:00Z').toISOString().startsWith(value);
  if (!ok) throw new InsightError('INSIGHT_QUERY_INVALID', `${field} must be a calendar date YYYY-MM-DD, got "${value}"`, { field });
}

/** Resolves and checks a scope (dates, range length, that the segment exists in the workspace). */
export async function resolveScope(database: Database, workspaceId: string, timeZone: string, now: number, input: ScopeInput): Promise<Scope> {
  const toDate = input.to ?? localDate(now, timeZone);
  checkDate('to', toDate);
  const fromDate = input.from ?? addDays(toDate, -29);
  checkDate('from', fromDate);
  if (fromDate > toDate) throw new InsightError('INSIGHT_QUERY_INVALID', `from (${fromDate}) must not be after to (${toDate})`, { field: 'from' });
  const from = startOfLocalDate(fromDate, timeZone);
  const to = startOfLocalDate(addDays(toDate, 1), timeZone);
  if ((to - from) / DAY_MS > MAX_RANGE_DAYS + 1) {
    throw new InsightError('INSIGHT_QUERY_INVALID', `the range ${fromDate}..${toDate} is longer than ${MAX_RANGE_DAYS} days; ask for a shorter one`, {
      field: 'from',
    });
  }
  const segmentId = input.segment ?? null;
  if (segmentId !== null) {
    const seg = await database.db.selectFrom('segments').select('id').where('workspace_id', '=', workspaceId).where('id', '=', segmentId).executeTakeFirst();
    if (!seg)
      throw new InsightError('INSIGHT_QUERY_INVALID', `segment "${segmentId}" does not exist in this workspace; pass the id of one of its segments`, {
        field: 'segment',
      });
  }
  return { workspaceId, timeZone, fromDate, toDate, from, to, segmentId, now };
}

/** `col in (current members of the scope's segment)`, or true without a segment. */
export function inSegment(scope: Scope, col: RawBuilder<unknown>): RawBuilder<boolean> {
  if (scope.segmentId === null) return sql<boolean>`1 = 1`;
  return sql<boolean>`${col} in (select sm.profile_id from segment_members sm where sm.workspace_id = ${scope.workspaceId} and sm.segment_id = ${scope.segmentId})`;
}

/** A number from a driver value (PostgreSQL answers bigint and numeric as text), null kept. */
export function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** A share as a fraction rounded to 4 decimals, or null when the denominator is 0. */
export function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}
