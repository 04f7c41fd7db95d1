/**
 * The insight benchmark's baselines: for each of Siyu's insight queries, the SQL a person would
 * write by hand for the same numbers on each engine, using the engine's own date functions for
 * the fixed Asia/Shanghai offset (SQLite's date()/strftime(), PostgreSQL's to_timestamp() AT TIME
 * ZONE, percentile_cont), and answers normalised to compare with Siyu's.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Database } from '../../src/platform/db/database.js';

const COUNTED = sql.raw(`('completed', 'partially_refunded')`);
const SPENT = sql.raw(`('completed', 'partially_refunded', 'refunded')`);
const DAY = 86_400_000;

/** What every baseline query is over. */
export interface BaselineScope {
  ws: string;
  from: number;
  to: number;
  now: number;
}

/** Local date (YYYY-MM-DD) and month number (year × 12 + month − 1) of a millisecond column, in Asia/Shanghai, written per engine. */
function dates(database: Database) {
  const pg = database.dialect.engine === 'postgres';
  return {
    day: (col: string): RawBuilder<string> =>
      sql.raw(pg ? `to_char(to_timestamp(${col} / 1000.0) at time zone 'Asia/Shanghai', 'YYYY-MM-DD')` : `date((${col} + 28800000) / 1000, 'unixepoch')`),
    month: (col: string): RawBuilder<number> =>
      sql.raw(
        pg
          ? `(extract(year from to_timestamp(${col} / 1000.0) at time zone 'Asia/Shanghai')::int * 12 + extract(month from to_timestamp(${col} / 1000.0) at time zone 'Asia/Shanghai')::int - 1)`
          : `(cast(strftime('%Y', (${col} + 28800000) / 1000, 'unixepoch') as integer) * 12 + cast(strftime('%m', (${col} + 28800000) / 1000, 'unixepoch') as integer) - 1)`,
      ),
  };
}

/** `YYYY-MM` of a month number. */
export const monthLabel = (m: number) => `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Sales by day and in total: [day, gross, refunded, orders, buyers] rows and the totals. */
export async function handSales(database: Database, s: BaselineScope) {
  const day = dates(database).day('ordered_at');
  const where = sql`workspace_id = ${s.ws} and ordered_at >= ${s.from} and ordered_at < ${s.to} and status in ${SPENT}`;
  const cols = sql`sum(total_fen) as gross, sum(refunded_fen) as refunded, sum(case when status in ${COUNTED} then 1 else 0 end) as orders,
    count(distinct case when status in ${COUNTED} then profile_id end) as buyers`;
  const [rows, total] = await Promise.all([
    sql<Record<string, unknown>>`select ${day} as day, ${cols} from orders where ${where} group by 1 order by 1`.execute(database.db),
    sql<Record<string, unknown>>`select ${cols} from orders where ${where}`.execute(database.db),
  ]);
  const view = (r: Record<string, unknown>) => [n(r.gross) ?? 0, n(r.refunded) ?? 0, n(r.orders) ?? 0, n(r.buyers)];
  return { rows: rows.rows.map((r) => [r.day, ...view(r)]), totals: view(total.rows[0]!) };
}

/** Repurchase: [range buyers, repeat buyers, first-time buyers, then matured and repurchased for 30, 60, 90 days]. */
export async function handRepurchase(database: Database, s: BaselineScope) {
  const range = await sql<Record<string, unknown>>`select count(*) as buyers, sum(case when c >= 2 then 1 else 0 end) as rep from (
      select profile_id, count(*) as c from orders where workspace_id = ${s.ws} and status in ${COUNTED} and ordered_at >= ${s.from} and ordered_at < ${s.to}
      group by profile_id) x`.execute(database.db);
  const win = [30, 60, 90].map(
    (d) => sql`sum(case when first_at + ${sql.lit(d * DAY)} <= ${s.now} then 1 else 0 end) as ${sql.raw(`m${d}`)},
      sum(case when first_at + ${sql.lit(d * DAY)} <= ${s.now} and second_at <= first_at + ${sql.lit(d * DAY)} then 1 else 0 end) as ${sql.raw(`r${d}`)}`,
  );
  const first = await sql<Record<string, unknown>>`
    with ranked as (select profile_id, ordered_at, row_number() over (partition by profile_id order by ordered_at) as rn
      from orders where workspace_id = ${s.ws} and status in ${COUNTED}),
    f as (select profile_id, max(case when rn = 1 then ordered_at end) as first_at, max(case when rn = 2 then ordered_at end) as second_at
      from ranked where rn <= 2 group by profile_id)
    select count(*) as n, ${sql.join(win)} from f where first_at >= ${s.from} and first_at < ${s.to}`.execute(database.db);
  const r = Object.values(first.rows[0]!).map((v) => n(v) ?? 0);
  return [n(range.rows[0]!.buyers), n(range.rows[0]!.rep) ?? 0, ...r];
}

/** LTV by month of first purchase: [month, buyers, orders, net]. */
export async function handLtvCohorts(database: Database, s: BaselineScope) {
  const month = dates(database).month('first_at');
  const res = await sql<Record<string, unknown>>`
    with p as (select profile_id, min(case when status in ${COUNTED} then ordered_at end) as first_at, sum(total_fen - refunded_fen) as net,
        sum(case when status in ${COUNTED} then 1 else 0 end) as orders
      from orders where workspace_id = ${s.ws} and status in ${SPENT} group by profile_id)
    select ${month} as m, count(*) as buyers, sum(orders) as orders, sum(net) as net from p
    where first_at >= ${s.from} and first_at < ${s.to} group by 1 order by 1`.execute(database.db);
  return res.rows.map((r) => [monthLabel(n(r.m)!), n(r.buyers), n(r.orders), n(r.net)]);
}

/** New profiles by day: [day, count]. */
export async function handNewProfiles(database: Database, s: BaselineScope) {
  const day = dates(database).day('created_at');
  const res = await sql<Record<string, unknown>>`select ${day} as day, count(*) as c from profiles
    where workspace_id = ${s.ws} and merged_into is null and created_at >= ${s.from} and created_at < ${s.to} group by 1 order by 1`.execute(database.db);
  return res.rows.map((r) => [r.day, n(r.c)]);
}

/** A funnel of `steps` (distinct event names) within `windowMs`: profiles per step, then the median ms between consecutive steps. */
export async function handFunnel(database: Database, s: BaselineScope, steps: string[], windowMs: number) {
  const ctes = [
    sql`s1 as (select profile_id, min(timestamp) as t1 from events where workspace_id = ${s.ws} and event = ${steps[0]}
      and timestamp >= ${s.from} and timestamp < ${s.to} group by profile_id)`,
  ];
  for (let i = 2; i <= steps.length; i++) {
    const p = sql.raw(`s${i - 1}`);
    const prevT = sql.raw(`s${i - 1}.t${i - 1}`);
    const keep = sql.raw(Array.from({ length: i - 1 }, (_, k) => `s${i - 1}.t${k + 1}`).join(', '));
    ctes.push(sql`${sql.raw(`s${i}`)} as (select ${p}.profile_id, ${keep}, min(e.timestamp) as ${sql.raw(`t${i}`)}
      from ${p} join events e on e.workspace_id = ${s.ws} and e.profile_id = ${p}.profile_id and e.event = ${steps[i - 1]}
        and e.timestamp >= ${prevT} and e.timestamp <= ${p}.t1 + ${sql.lit(windowMs)}
      group by ${p}.profile_id, ${keep})`);
  }
  const counts = steps.map((_, i) => sql`(select count(*) from ${sql.raw(`s${i + 1}`)}) as ${sql.raw(`c${i + 1}`)}`);
  const pg = database.dialect.engine === 'postgres';
  const medians = steps.slice(1).map((_, j) => {
    const src = sql.raw(`s${j + 2}`);
    const d = sql.raw(`t${j + 2} - t${j + 1}`);
    const as = sql.raw(`m${j + 2}`);
    return pg
      ? sql`(select percentile_cont(0.5) within group (order by ${d}) from ${src}) as ${as}`
      : sql`(select avg(d) from (select d, row_number() over (order by d) as rn, count(*) over () as c from (select ${d} as d from ${src}) x) y
          where rn = (c + 1) / 2 or rn = (c + 2) / 2) as ${as}`;
  });
  const res = await sql<Record<string, unknown>>`with ${sql.join(ctes)} select ${sql.join([...counts, ...medians])}`.execute(database.db);
  const vals = Object.values(res.rows[0]!).map((v) => n(v));
  return [...vals.slice(0, steps.length), ...vals.slice(steps.length).map((v) => (v === null ? null : Math.round(v)))];
}

/** Monthly cohorts of first purchase retained by activity: [month, size, retained at +0, +1, ...]. */
export async function handCohorts(database: Database, s: BaselineScope, notActivity: string[]) {
  const d = dates(database);
  const res = await sql<Record<string, unknown>>`
    with f as (select profile_id, min(ordered_at) as first_at from orders where workspace_id = ${s.ws} and status in ${COUNTED}
        group by profile_id having min(ordered_at) >= ${s.from} and min(ordered_at) < ${s.to}),
      fm as (select profile_id, first_at, ${d.month('first_at')} as m from f),
      a as (select distinct e.profile_id, ${d.month('e.timestamp')} as m from events e join fm on fm.profile_id = e.profile_id
        where e.workspace_id = ${s.ws} and e.timestamp >= fm.first_at and e.timestamp < ${s.to}
          and e.type in ('track', 'page', 'screen') and e.event not in (${sql.join(notActivity)}))
    select fm.m as m, -1 as k, count(*) as c from fm group by fm.m
    union all select fm.m, a.m - fm.m, count(*) from a join fm on fm.profile_id = a.profile_id group by fm.m, a.m - fm.m`.execute(database.db);
  const rows = new Map<number, (number | null)[]>();
  for (const r of res.rows) {
    const m = n(r.m)!;
    const row = rows.get(m) ?? [0];
    const k = n(r.k)!;
    if (k < 0) row[0] = n(r.c);
    else row[k + 1] = n(r.c);
    rows.set(m, row);
  }
  return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([m, row]) => [monthLabel(m), ...Array.from({ length: row.length }, (_, i) => row[i] ?? 0)]);
}
