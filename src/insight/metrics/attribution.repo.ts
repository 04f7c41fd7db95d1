/**
 * Revenue attributed to WeCom channel codes and to journeys, in SQL over cdp's orders, scrm's
 * follows and contacts, and messaging's messages. Attribution rules (docs/insight-metrics.md):
 * - channel code: the `state` of the contact way (live code) through which the buyer first added
 *   a staff member, whenever that was; buyers who never came through one are under ''.
 * - journey: last touch — the journey of the newest message sent to the buyer (status sent or
 *   delivered) at or before the order and less than N days before it; else ''.
 */
import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { DAY_MS } from '../../platform/time.js';
import { inSegment, num, type Scope } from './scope.js';
import { COUNTED, SPENT } from './value.repo.js';
import { type MetricTable, tableOf } from './table.js';

const orderCols = sql`coalesce(sum(case when o.status in ${COUNTED} then 1 else 0 end), 0) as orders,
  coalesce(sum(o.total_fen - o.refunded_fen), 0) as net, count(distinct case when o.status in ${COUNTED} then o.profile_id end) as buyers`;

/**
 * Each profile's first channel code: the earliest follow with a state, through its contact (a
 * contact's profile may since have merged: the survivor is `merged_into`, which merges flatten).
 */
export function firstChannelCodes(workspaceId: string) {
  return sql`select profile_id, state from (
      select coalesce(p.merged_into, c.profile_id) as profile_id, f.state,
        row_number() over (partition by coalesce(p.merged_into, c.profile_id) order by f.added_at, f.state) as rn
      from scrm_follows f
      join scrm_contacts c on c.workspace_id = f.workspace_id and c.external_userid = f.external_userid
      join profiles p on p.workspace_id = c.workspace_id and p.id = c.profile_id
      where f.workspace_id = ${workspaceId} and f.state is not null and f.state <> '') ranked
    where rn = 1`;
}

/** Net revenue, orders and buyers of the range's orders by the buyer's first channel code, with the live code's name. */
export async function revenueByChannel(database: Database, s: Scope): Promise<MetricTable> {
  const res = await sql<Record<string, unknown>>`
    with ch as (${firstChannelCodes(s.workspaceId)})
    select coalesce(ch.state, '') as channel_code, max(lc.name) as channel_name, ${orderCols}
    from orders o
    left join ch on ch.profile_id = o.profile_id
    left join scrm_live_codes lc on lc.workspace_id = o.workspace_id and lc.state = ch.state
    where o.workspace_id = ${s.workspaceId} and o.ordered_at >= ${s.from} and o.ordered_at < ${s.to} and o.status in ${SPENT}
      and ${inSegment(s, sql.ref('o.profile_id'))}
    group by coalesce(ch.state, '') order by net desc, channel_code`.execute(database.db);
  const rows = res.rows.map((r) => ({
    channel_code: r.channel_code,
    channel_name: r.channel_name,
    orders: num(r.orders),
    net_fen: num(r.net),
    buyers: num(r.buyers),
  }));
  return tableOf(['channel_code', 'channel_name', 'orders', 'net_fen', 'buyers'], rows);
}

/** Net revenue, orders and buyers of the range's orders by last-touch journey within `days` days. */
export async function revenueByJourney(database: Database, s: Scope, days: number): Promise<MetricTable> {
  const res = await sql<Record<string, unknown>>`
    select coalesce(o.journey_id, '') as journey_id, max(j.name) as journey_name, ${orderCols}
    from (select o.*, (select m.source_id from messages m
        where m.workspace_id = o.workspace_id and m.profile_id = o.profile_id and m.source_kind = 'journey' and m.status in ('sent', 'delivered')
          and m.sent_at <= o.ordered_at and m.sent_at > o.ordered_at - ${sql.lit(days * DAY_MS)}
        order by m.sent_at desc limit 1) as journey_id
      from orders o
      where o.workspace_id = ${s.workspaceId} and o.ordered_at >= ${s.from} and o.ordered_at < ${s.to} and o.status in ${SPENT}
        and ${inSegment(s, sql.ref('o.profile_id'))}) o
    left join journeys j on j.workspace_id = o.workspace_id and j.id = o.journey_id
    group by coalesce(o.journey_id, '') order by net desc, journey_id`.execute(database.db);
  const rows = res.rows.map((r) => ({
    journey_id: r.journey_id,
    journey_name: r.journey_name,
    orders: num(r.orders),
    net_fen: num(r.net),
    buyers: num(r.buyers),
  }));
  return tableOf(['journey_id', 'journey_name', 'orders', 'net_fen', 'buyers'], rows, undefined, { attribution: 'last_touch', attribution_days: days });
}
