/**
 * Growth metrics in SQL: new profiles (cdp), WeCom contacts added and deleted by channel code
 * (scrm's follows: one row per customer–staff relation, kept after deletion), group joins, quits
 * and active members (the timeline events scrm records, platform/event-names.ts), by local day.
 */
import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { jsonPathText } from '../../platform/db/json-path.js';
import { WECOM_EVENTS, WECOM_PROPS } from '../../platform/event-names.js';
import { dayOfNumber, localDaySql } from './buckets.js';
import { inSegment, num, type Scope } from './scope.js';
import { type MetricTable, tableOf } from './table.js';

/** Profiles created on each local day (merged-away profiles excluded: they are one person with their survivor). */
export async function newProfiles(database: Database, s: Scope): Promise<MetricTable> {
  const day = localDaySql(sql.ref('p.created_at'), s.timeZone, s.from, s.to);
  const res = await sql<{ day: unknown; n: unknown }>`
    select ${day} as day, count(*) as n from profiles p
    where p.workspace_id = ${s.workspaceId} and p.merged_into is null and p.created_at >= ${s.from} and p.created_at < ${s.to}
      and ${inSegment(s, sql.ref('p.id'))}
    group by ${day} order by 1`.execute(database.db);
  const rows = res.rows.map((r) => ({ day: dayOfNumber(num(r.day)!), new_profiles: num(r.n) }));
  return tableOf(['day', 'new_profiles'], rows, { new_profiles: rows.reduce((a, r) => a + (r.new_profiles ?? 0), 0) });
}

/** Follows (customer–staff relations) with the survivor profile of their contact, for segment filters. */
function follows(s: Scope) {
  return sql`select f.state, f.added_at, f.deleted_at, f.deleted_by from scrm_follows f
    join scrm_contacts c on c.workspace_id = f.workspace_id and c.external_userid = f.external_userid
    join profiles p on p.workspace_id = c.workspace_id and p.id = c.profile_id
    where f.workspace_id = ${s.workspaceId} and ${inSegment(s, sql`coalesce(p.merged_into, c.profile_id)`)}
      and ((f.added_at >= ${s.from} and f.added_at < ${s.to}) or (f.deleted_at >= ${s.from} and f.deleted_at < ${s.to}))`;
}

/** WeCom contacts added, deleted (by the customer, by staff) and net growth on each local day. */
export async function contactsByDay(database: Database, s: Scope): Promise<MetricTable> {
  const added = localDaySql(sql.ref('f.added_at'), s.timeZone, s.from, s.to);
  const deleted = localDaySql(sql.ref('f.deleted_at'), s.timeZone, s.from, s.to);
  const res = await sql<{ day: unknown; kind: string; n: unknown }>`
    with f as (${follows(s)})
    select ${added} as day, 'added' as kind, count(*) as n from f where f.added_at >= ${s.from} and f.added_at < ${s.to} group by ${added}
    union all
    select ${deleted} as day, coalesce(f.deleted_by, 'customer') as kind, count(*) as n from f
    where f.deleted_at >= ${s.from} and f.deleted_at < ${s.to} group by ${deleted}, coalesce(f.deleted_by, 'customer')`.execute(database.db);
  const days = new Map<number, Record<string, number>>();
  for (const r of res.rows) {
    const d = days.get(num(r.day)!) ?? { added: 0, deleted_by_customer: 0, deleted_by_staff: 0, deleted_other: 0 };
    const key = r.kind === 'added' ? 'added' : r.kind === 'customer' ? 'deleted_by_customer' : r.kind === 'staff' ? 'deleted_by_staff' : 'deleted_other';
    d[key]! += num(r.n)!;
    days.set(num(r.day)!, d);
  }
  const total = { added: 0, deleted: 0, net: 0 };
  const rows = [...days.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([day, d]) => {
      const del = d.deleted_by_customer! + d.deleted_by_staff! + d.deleted_other!;
      total.added += d.added!;
      total.deleted += del;
      total.net += d.added! - del;
      return { day: dayOfNumber(day), ...d, deleted: del, net: d.added! - del };
    });
  return tableOf(['day', 'added', 'deleted_by_customer', 'deleted_by_staff', 'deleted_other', 'deleted', 'net'], rows, total);
}

/** WeCom contacts added and deleted in the range by the channel code (contact way `state`) they were added through. */
export async function contactsByChannel(database: Database, s: Scope): Promise<MetricTable> {
  const res = await sql<Record<string, unknown>>`
    with f as (${follows(s)})
    select coalesce(f.state, '') as channel_code, max(lc.name) as channel_name,
      coalesce(sum(case when f.added_at >= ${s.from} and f.added_at < ${s.to} then 1 else 0 end), 0) as added,
      coalesce(sum(case when f.deleted_at >= ${s.from} and f.deleted_at < ${s.to} then 1 else 0 end), 0) as deleted
    from f left join scrm_live_codes lc on lc.workspace_id = ${s.workspaceId} and lc.state = f.state
    group by coalesce(f.state, '') order by added desc, channel_code`.execute(database.db);
  const rows = res.rows.map((r) => ({ ...r, added: num(r.added), deleted: num(r.deleted), net: num(r.added)! - num(r.deleted)! }));
  return tableOf(['channel_code', 'channel_name', 'added', 'deleted', 'net'], rows);
}

/** Customer group joins, quits and active members (customers who said something in a group) on each local day. */
export async function groupsByDay(database: Database, s: Scope): Promise<MetricTable> {
  const day = localDaySql(sql.ref('e.timestamp'), s.timeZone, s.from, s.to);
  const room = jsonPathText(database.dialect, 'e.payload', ['properties', WECOM_PROPS.roomId]);
  const names = [WECOM_EVENTS.groupJoined, WECOM_EVENTS.groupLeft, WECOM_EVENTS.messageReceived];
  const res = await sql<{ day: unknown; joins: unknown; quits: unknown; active: unknown }>`
    select ${day} as day,
      coalesce(sum(case when e.event = ${WECOM_EVENTS.groupJoined} then 1 else 0 end), 0) as joins,
      coalesce(sum(case when e.event = ${WECOM_EVENTS.groupLeft} then 1 else 0 end), 0) as quits,
      count(distinct case when e.event = ${WECOM_EVENTS.messageReceived} and ${room} is not null then e.profile_id end) as active
    from events e
    where e.workspace_id = ${s.workspaceId} and e.event in (${sql.join(names)}) and e.timestamp >= ${s.from} and e.timestamp < ${s.to}
      and ${inSegment(s, sql.ref('e.profile_id'))}
    group by ${day} order by 1`.execute(database.db);
  const rows = res.rows.map((r) => ({
    day: dayOfNumber(num(r.day)!),
    joins: num(r.joins),
    quits: num(r.quits),
    net: num(r.joins)! - num(r.quits)!,
    active_members: num(r.active),
  }));
  const sum = (k: 'joins' | 'quits') => rows.reduce((a, r) => a + (r[k] ?? 0), 0);
  return tableOf(['day', 'joins', 'quits', 'net', 'active_members'], rows, { joins: sum('joins'), quits: sum('quits'), net: sum('joins') - sum('quits') });
}
