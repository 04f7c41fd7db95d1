/**
 * Funnels in SQL over cdp's events, the same statement on both engines: step 1 is each profile's
 * first matching event in the range; step k is the profile's first matching event after step k−1
 * (at or after it, strictly after when both steps name the same event) and within the window of
 * step 1. One chain of CTEs, each joining the previous step's profiles to their events through the
 * (workspace, profile, timestamp) index.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Database, Dialect } from '../../platform/db/database.js';
import { jsonPathText } from '../../platform/db/json-path.js';
import { DAY_MS } from '../../platform/time.js';
import { firstChannelCodes } from '../metrics/attribution.repo.js';
import { heavyRead } from '../metrics/heavy-read.js';
import { inSegment, type Scope } from '../metrics/scope.js';

/** A funnel step. */
export interface FunnelStep {
  event: string;
  properties?: Record<string, string | number | boolean>;
}

/** What a funnel is broken down by. */
export type Breakdown = { kind: 'trait'; trait: string } | { kind: 'channel' } | { kind: 'segment'; segments: string[] };

/** A funnel query. */
export interface FunnelQuery {
  steps: FunnelStep[];
  windowDays: number;
  breakdown?: Breakdown;
}

/** One (group, step) of the answer: profiles reaching it and the median time from the previous step. */
export interface FunnelCell {
  group: string;
  step: number;
  profiles: number;
  medianMs: number | null;
}

function stepFilter(dialect: Dialect, st: FunnelStep): RawBuilder<unknown> {
  const props = Object.entries(st.properties ?? {}).map(([k, v]) => sql`and ${jsonPathText(dialect, 'e.payload', ['properties', k])} = ${String(v)}`);
  return sql`e.event = ${st.event} ${sql.join(props, sql` `)}`;
}

/**
 * The step CTEs: `s1(profile_id, t1)`, `s2(profile_id, t1, t2)`, ... each carrying the earlier
 * steps' times, so counts and gaps come straight from them.
 */
function stepTimes(dialect: Dialect, s: Scope, q: FunnelQuery): RawBuilder<unknown> {
  const w = q.windowDays * DAY_MS;
  const ctes: RawBuilder<unknown>[] = [
    sql`s1 as (select e.profile_id, min(e.timestamp) as t1 from events e
      where e.workspace_id = ${s.workspaceId} and e.timestamp >= ${s.from} and e.timestamp < ${s.to} and ${stepFilter(dialect, q.steps[0]!)}
        and ${inSegment(s, sql.ref('e.profile_id'))}
      group by e.profile_id)`,
  ];
  for (let i = 2; i <= q.steps.length; i++) {
    const prev = sql.ref(`s${i - 1}`);
    const keep = sql.join(Array.from({ length: i - 1 }, (_, k) => sql.ref(`s${i - 1}.t${k + 1}`)));
    const strict = q.steps[i - 1]!.event === q.steps[i - 2]!.event ? sql`>` : sql`>=`;
    ctes.push(sql`${sql.ref(`s${i}`)} as (select ${prev}.profile_id, ${keep}, min(e.timestamp) as ${sql.ref(`t${i}`)}
      from ${prev} join events e on e.workspace_id = ${s.workspaceId} and e.profile_id = ${prev}.profile_id
        and e.timestamp ${strict} ${sql.ref(`s${i - 1}.t${i - 1}`)} and e.timestamp <= ${prev}.t1 + ${sql.lit(w)} and ${stepFilter(dialect, q.steps[i - 1]!)}
        and e.timestamp >= ${s.from} and e.timestamp <= ${s.to + w}
      group by ${prev}.profile_id, ${keep})`);
  }
  return sql.join(ctes, sql`, `);
}

/** The breakdown key of each profile reaching step 1, as `bk(profile_id, k)` (a profile may have several: segments). */
function keys(dialect: Dialect, s: Scope, b: Breakdown): RawBuilder<unknown> {
  if (b.kind === 'trait') {
    const trait = jsonPathText(dialect, 'p.traits', [b.trait]);
    return sql`bk as (select s1.profile_id, coalesce(${trait}, '') as k from s1 join profiles p on p.workspace_id = ${s.workspaceId} and p.id = s1.profile_id)`;
  }
  if (b.kind === 'channel') {
    return sql`ch as (${firstChannelCodes(s.workspaceId)}), bk as (select s1.profile_id, coalesce(ch.state, '') as k from s1 left join ch on ch.profile_id = s1.profile_id)`;
  }
  return sql`bk as (select s1.profile_id, sm.segment_id as k from s1
    join segment_members sm on sm.workspace_id = ${s.workspaceId} and sm.profile_id = s1.profile_id and sm.segment_id in (${sql.join(b.segments)}))`;
}

/** The funnel's one statement: rows `(k, i, c, median)` per group and step (exported for the benchmark's plans). */
export function funnelStatement(database: Database, s: Scope, q: FunnelQuery) {
  const n = q.steps.length;
  const src = (i: number) => sql.ref(`s${i}`);
  const gap = (i: number) => sql`${sql.ref(`s${i}.t${i}`)} - ${sql.ref(`s${i}.t${i - 1}`)}`;
  const steps = Array.from({ length: n }, (_, j) => j + 1);
  const counts = steps.map((i) => sql`select '*' as k, ${sql.lit(i)} as i, count(*) as c from ${src(i)}`);
  const gaps = steps.slice(1).map((i) => sql`select '*' as k, ${sql.lit(i)} as i, ${gap(i)} as d from ${src(i)}`);
  const ctes = [stepTimes(database.dialect, s, q)];
  if (q.breakdown) {
    ctes.push(keys(database.dialect, s, q.breakdown));
    const on = (i: number) => sql`join bk on bk.profile_id = ${sql.ref(`s${i}.profile_id`)}`;
    counts.push(...steps.map((i) => sql`select bk.k, ${sql.lit(i)}, count(*) from ${src(i)} ${on(i)} group by bk.k`));
    gaps.push(...steps.slice(1).map((i) => sql`select bk.k, ${sql.lit(i)}, ${gap(i)} from ${src(i)} ${on(i)}`));
  }
  // The median as the mean of the middle one or two gaps (SQLite has no percentile function).
  return sql<{ k: string; i: unknown; c: unknown; median: unknown }>`
    with ${sql.join(ctes, sql`, `)},
    cnt as (${sql.join(counts, sql` union all `)}),
    d as (${sql.join(gaps, sql` union all `)}),
    m as (select k, i, avg(d) as median from (
        select k, i, d, row_number() over (partition by k, i order by d) as rn, count(*) over (partition by k, i) as c from d) r
      where rn = (c + 1) / 2 or rn = (c + 2) / 2 group by k, i)
    select cnt.k, cnt.i, cnt.c, m.median from cnt left join m on m.k = cnt.k and m.i = cnt.i`;
}

/** Runs a funnel: profiles per step and median time between steps, for everyone (`*`) and per breakdown group. */
export async function runFunnel(database: Database, s: Scope, q: FunnelQuery): Promise<FunnelCell[]> {
  const res = await heavyRead(database, (db) => funnelStatement(database, s, q).execute(db));
  return res.rows
    .map((r) => ({
      group: String(r.k),
      step: Number(r.i),
      profiles: Number(r.c),
      medianMs: r.median === null || r.median === undefined ? null : Math.round(Number(r.median)),
    }))
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.step - b.step));
}
