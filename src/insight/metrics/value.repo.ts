/**
 * Value metrics in SQL over cdp's orders (insight's declared read of every module's tables):
 * GMV gross, refunded and net, orders, buyers, AOV by local day; repurchase; historical LTV.
 * Statuses as cdp's orders.types.ts defines them: an order counts (orders, buyers, purchase
 * times) while `completed` or `partially_refunded`; its amounts count (gross, refunded, net)
 * while also `refunded` (a fully refunded order adds as much to refunded as to gross);
 * `cancelled` and `pending` count nowhere.
 */
import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { DAY_MS } from '../../platform/time.js';
import { dayOfNumber, localDaySql, monthIndexSql, monthStarts } from './buckets.js';
import { inSegment, num, rate, type Scope } from './scope.js';
import { type MetricTable, tableOf } from './table.js';

/** cdp's COUNTED_STATUSES and SPENT_STATUSES (orders.types.ts), as SQL lists. */
export const COUNTED = sql`('completed', 'partially_refunded')`;
export const SPENT = sql`('completed', 'partially_refunded', 'refunded')`;

const counted = sql`case when o.status in ${COUNTED} then 1 else 0 end`;

/** GMV (gross, refunded, net), orders, buyers and AOV of the orders placed on each local day of the range. */
export async function salesByDay(database: Database, s: Scope): Promise<MetricTable> {
  const day = localDaySql(sql.ref('o.ordered_at'), s.timeZone, s.from, s.to);
  const where = sql`o.workspace_id = ${s.workspaceId} and o.ordered_at >= ${s.from} and o.ordered_at < ${s.to} and o.status in ${SPENT} and ${inSegment(s, sql.ref('o.profile_id'))}`;
  const cols = sql`coalesce(sum(o.total_fen), 0) as gross, coalesce(sum(o.refunded_fen), 0) as refunded, coalesce(sum(${counted}), 0) as orders,
    count(distinct case when o.status in ${COUNTED} then o.profile_id end) as buyers`;
  const [byDay, all] = await Promise.all([
    sql<Record<string, unknown>>`select ${day} as day, ${cols} from orders o where ${where} group by ${day} order by 1`.execute(database.db),
    sql<Record<string, unknown>>`select ${cols} from orders o where ${where}`.execute(database.db),
  ]);
  const view = (r: Record<string, unknown>) => {
    const gross = num(r.gross)!;
    const refunded = num(r.refunded)!;
    const orders = num(r.orders)!;
    return {
      gross_fen: gross,
      refunded_fen: refunded,
      net_fen: gross - refunded,
      orders,
      buyers: num(r.buyers),
      aov_fen: orders ? Math.round((gross - refunded) / orders) : null,
    };
  };
  const rows = byDay.rows.map((r) => ({ day: dayOfNumber(num(r.day)!), ...view(r) }));
  return tableOf(['day', 'gross_fen', 'refunded_fen', 'net_fen', 'orders', 'buyers', 'aov_fen'], rows, view(all.rows[0]!));
}

/**
 * Repurchase: of the range's buyers, the share with two or more counted orders in the range; and
 * of first-time buyers (first counted order ever in the range), the share whose second counted
 * order came within 30, 60 and 90 days of the first, over those whose window has fully passed.
 */
export async function repurchase(database: Database, s: Scope): Promise<MetricTable> {
  const seg = inSegment(s, sql.ref('o.profile_id'));
  const inRange = await sql<{ buyers: unknown; repeat: unknown }>`
    select count(*) as buyers, coalesce(sum(case when n >= 2 then 1 else 0 end), 0) as repeat from (
      select o.profile_id, count(*) as n from orders o
      where o.workspace_id = ${s.workspaceId} and o.ordered_at >= ${s.from} and o.ordered_at < ${s.to} and o.status in ${COUNTED} and ${seg}
      group by o.profile_id) x`.execute(database.db);
  const windows = [30, 60, 90];
  const sums = windows.map(
    (d) => sql`coalesce(sum(case when f.first_at + ${sql.lit(d * DAY_MS)} <= ${s.now} then 1 else 0 end), 0) as ${sql.ref(`matured_${d}`)},
      coalesce(sum(case when f.first_at + ${sql.lit(d * DAY_MS)} <= ${s.now} and f.second_at <= f.first_at + ${sql.lit(d * DAY_MS)} then 1 else 0 end), 0) as ${sql.ref(`repeat_${d}`)}`,
  );
  // Each buyer's first two counted orders in one pass (a window), then the first-time buyers of the range.
  const firsts = await sql<Record<string, unknown>>`
    with ranked as (
      select o.profile_id, o.ordered_at, row_number() over (partition by o.profile_id order by o.ordered_at) as rn from orders o
      where o.workspace_id = ${s.workspaceId} and o.status in ${COUNTED} and ${seg}),
    f as (select profile_id, max(case when rn = 1 then ordered_at end) as first_at, max(case when rn = 2 then ordered_at end) as second_at
      from ranked where rn <= 2 group by profile_id having max(case when rn = 1 then ordered_at end) >= ${s.from}
        and max(case when rn = 1 then ordered_at end) < ${s.to})
    select count(*) as first_time, ${sql.join(sums)} from f`.execute(database.db);
  const r = firsts.rows[0]!;
  const buyers = num(inRange.rows[0]!.buyers)!;
  const rep = num(inRange.rows[0]!.repeat)!;
  const rows: Record<string, unknown>[] = [{ basis: 'range', customers: buyers, repurchased: rep, rate: rate(rep, buyers) }];
  for (const d of windows) {
    const m = num(r[`matured_${d}`])!;
    const n = num(r[`repeat_${d}`])!;
    rows.push({ basis: `first_purchase_${d}d`, customers: m, repurchased: n, rate: rate(n, m) });
  }
  return tableOf(['basis', 'customers', 'repurchased', 'rate'], rows, { first_time_buyers: num(r.first_time) });
}

/**
 * Per buyer whose first counted purchase falls in the range, in one pass over their orders: first
 * and last counted purchase, counted orders and net value to date (`v(profile_id, first_at, last_at, orders, net)`).
 */
function lifetimeValues(s: Scope) {
  return sql`select o.profile_id, min(case when o.status in ${COUNTED} then o.ordered_at end) as first_at,
      max(case when o.status in ${COUNTED} then o.ordered_at end) as last_at, sum(${counted}) as orders, sum(o.total_fen - o.refunded_fen) as net
    from orders o where o.workspace_id = ${s.workspaceId} and o.status in ${SPENT} and ${inSegment(s, sql.ref('o.profile_id'))}
    group by o.profile_id
    having min(case when o.status in ${COUNTED} then o.ordered_at end) >= ${s.from} and min(case when o.status in ${COUNTED} then o.ordered_at end) < ${s.to}`;
}

/** Historical LTV per cohort: buyers by the local month of their first purchase, with their net value to date. */
export async function ltvByCohort(database: Database, s: Scope): Promise<MetricTable> {
  const months = monthStarts(s.from, s.to - 1, s.timeZone);
  const idx = monthIndexSql(sql.ref('v.first_at'), months);
  const res = await sql<{ m: unknown; buyers: unknown; net: unknown; orders: unknown }>`
    with v as (${lifetimeValues(s)})
    select ${idx} as m, count(*) as buyers, coalesce(sum(v.net), 0) as net, coalesce(sum(v.orders), 0) as orders
    from v group by ${idx} order by 1`.execute(database.db);
  const rows = res.rows.map((r) => {
    const buyers = num(r.buyers)!;
    const net = num(r.net)!;
    return { cohort: months[num(r.m)!]!.label, buyers, orders: num(r.orders), net_fen: net, ltv_fen: buyers ? Math.round(net / buyers) : null };
  });
  return tableOf(['cohort', 'buyers', 'orders', 'net_fen', 'ltv_fen'], rows);
}

/** One page of historical LTV per profile (first purchase in the range), highest net value first. */
export async function ltvByProfile(database: Database, s: Scope, page: { limit: number; after: [number, string] | null }): Promise<Record<string, unknown>[]> {
  const after = page.after ? sql`where (v.net, v.profile_id) < (${page.after[0]}, ${page.after[1]})` : sql``;
  const res = await sql<Record<string, unknown>>`
    with v as (${lifetimeValues(s)})
    select * from v ${after} order by v.net desc, v.profile_id desc limit ${page.limit + 1}`.execute(database.db);
  return res.rows.map((r) => ({
    profile_id: r.profile_id,
    orders: num(r.orders),
    net_fen: num(r.net),
    first_purchase_at: num(r.first_at),
    last_purchase_at: num(r.last_at),
  }));
}
