/**
 * Retention cohorts in SQL: profiles grouped by the local week or month of their first purchase
 * (cdp's counted orders) or first WeCom contact (scrm's follows), and for each later period the
 * number who purchased again, or did anything at all (their own events: the messages Siyu sent
 * them and its own bookkeeping events do not count as their activity).
 */
import { type RawBuilder, sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { WECOM_EVENTS } from '../../platform/event-names.js';
import { localDaySql, monthIndexSql, monthStarts, weekOfDaySql } from '../metrics/buckets.js';
import { heavyRead } from '../metrics/heavy-read.js';
import { inSegment, num, type Scope } from '../metrics/scope.js';
import { COUNTED } from '../metrics/value.repo.js';

/** A cohort query. */
export interface CohortQuery {
  by: 'first_purchase' | 'first_contact';
  period: 'week' | 'month';
  retainedBy: 'purchase' | 'activity';
}

/** Events that are not the person's activity: what Siyu and staff did to them (messaging's, scrm's). */
export const NOT_ACTIVITY = ['Message Sent', 'Message Delivered', 'Message Failed', WECOM_EVENTS.messageSent];

/** One cohort's size and retained counts by period offset (index 0: the cohort's own period). */
export interface CohortRow {
  bucket: number;
  size: number;
  retained: number[];
}

function firsts(s: Scope, q: CohortQuery): RawBuilder<unknown> {
  if (q.by === 'first_purchase') {
    return sql`select o.profile_id, min(o.ordered_at) as first_at from orders o
      where o.workspace_id = ${s.workspaceId} and o.status in ${COUNTED} and ${inSegment(s, sql.ref('o.profile_id'))}
      group by o.profile_id having min(o.ordered_at) >= ${s.from} and min(o.ordered_at) < ${s.to}`;
  }
  return sql`select coalesce(p.merged_into, c.profile_id) as profile_id, min(f.added_at) as first_at from scrm_follows f
    join scrm_contacts c on c.workspace_id = f.workspace_id and c.external_userid = f.external_userid
    join profiles p on p.workspace_id = c.workspace_id and p.id = c.profile_id
    where f.workspace_id = ${s.workspaceId} and ${inSegment(s, sql`coalesce(p.merged_into, c.profile_id)`)}
    group by coalesce(p.merged_into, c.profile_id) having min(f.added_at) >= ${s.from} and min(f.added_at) < ${s.to}`;
}

function activity(s: Scope, q: CohortQuery): RawBuilder<unknown> {
  if (q.retainedBy === 'purchase') {
    return sql`select o.profile_id, o.ordered_at as t from orders o
      where o.workspace_id = ${s.workspaceId} and o.status in ${COUNTED} and o.ordered_at >= ${s.from} and o.ordered_at < ${s.to}`;
  }
  return sql`select e.profile_id, e.timestamp as t from events e
    where e.workspace_id = ${s.workspaceId} and e.timestamp >= ${s.from} and e.timestamp < ${s.to}
      and e.type in ('track', 'page', 'screen') and e.event not in (${sql.join(NOT_ACTIVITY)})`;
}

/** The period number of a millisecond column (week numbers, or month indexes from the range's first month). */
function bucketOf(s: Scope, q: CohortQuery, col: RawBuilder<unknown>): RawBuilder<number> {
  if (q.period === 'week') return weekOfDaySql(localDaySql(col, s.timeZone, s.from, s.to));
  return monthIndexSql(col, monthStarts(s.from, s.to - 1, s.timeZone));
}

/** Cohort sizes and retained counts per period offset, oldest cohort first. */
export async function runCohorts(database: Database, s: Scope, q: CohortQuery): Promise<CohortRow[]> {
  const cb = bucketOf(s, q, sql.ref('f.first_at'));
  const ab = bucketOf(s, q, sql.ref('x.t'));
  const statement = sql<{ cb: unknown; k: unknown; n: unknown }>`
    with f as (${firsts(s, q)}),
    fb as (select f.profile_id, f.first_at, ${cb} as cb from f),
    a as (select distinct x.profile_id, ${ab} as b from (${activity(s, q)}) x join fb on fb.profile_id = x.profile_id and x.t >= fb.first_at)
    select fb.cb as cb, -1 as k, count(*) as n from fb group by fb.cb
    union all
    select fb.cb as cb, a.b - fb.cb as k, count(*) as n from a join fb on fb.profile_id = a.profile_id group by fb.cb, a.b - fb.cb`;
  const res = await heavyRead(database, (db) => statement.execute(db));
  const rows = new Map<number, CohortRow>();
  for (const r of res.rows) {
    const bucket = num(r.cb)!;
    const row = rows.get(bucket) ?? { bucket, size: 0, retained: [] };
    const k = num(r.k)!;
    if (k < 0) row.size = num(r.n)!;
    else row.retained[k] = num(r.n)!;
    rows.set(bucket, row);
  }
  return [...rows.values()].sort((a, b) => a.bucket - b.bucket);
}
