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

/** The per-profile step times: `per(profile_id, t1, t2, ...)`, null where a step was not reached. */
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
    const prevT = sql.ref(`s${i - 1}.t${i - 1}`);
    const strict = q.steps[i - 1]!.event === q.steps[i - 2]!.event ? sql`>` : sql`>=`;
    ctes.push(sql`${sql.ref(`s${i}`)} as (select ${prev}.profile_id, ${prev}.t1, min(e.timestamp) as ${sql.ref(`t${i}`)}
      from ${prev} join events e on e.workspace_id = ${s.workspaceId} and e.profile_id = ${prev}.profile_id
        and e.timestamp ${strict} ${prevT} and e.timestamp <= ${prev}.t1 + ${sql.lit(w)} and ${stepFilter(dialect, q.steps[i - 1]!)}
      group by ${prev}.profile_id, ${prev}.t1)`);
  }
  const cols = q.steps.slice(1).map((_, j) => sql.ref(`s${j + 2}.t${j + 2}`));
  const joins = q.steps.slice(1).map((_, j) => sql`left join ${sql.ref(`s${j + 2}`)} on ${sql.ref(`s${j + 2}.profile_id`)} = s1.profile_id`);
  ctes.push(sql`per as (select s1.profile_id, s1.t1, ${sql.join(cols)} from s1 ${sql.join(joins, sql` `)})`);
  return sql.join(ctes, sql`, `);
}

/** The breakdown key of each `per` row, as `keyed(profile_id, k, t1, ...)`. */
function keyed(dialect: Dialect, s: Scope, q: FunnelQuery, tcols: RawBuilder<unknown>): RawBuilder<unknown> {
  const b = q.breakdown;
  if (!b) return sql`keyed as (select per.profile_id, '*' as k, ${tcols} from per where 1 = 0)`;
  if (b.kind === 'trait') {
    const trait = jsonPathText(dialect, 'p.traits', [b.trait]);
    return sql`keyed as (select per.profile_id, coalesce(${trait}, '') as k, ${tcols} from per
      join profiles p on p.workspace_id = ${s.workspaceId} and p.id = per.profile_id)`;
  }
  if (b.kind === 'channel') {
    return sql`ch as (${firstChannelCodes(s.workspaceId)}),
      keyed as (select per.profile_id, coalesce(ch.state, '') as k, ${tcols} from per left join ch on ch.profile_id = per.profile_id)`;
  }
  return sql`keyed as (select per.profile_id, sm.segment_id as k, ${tcols} from per
    join segment_members sm on sm.workspace_id = ${s.workspaceId} and sm.profile_id = per.profile_id and sm.segment_id in (${sql.join(b.segments)}))`;
}

/** Runs a funnel: profiles per step and median time between steps, for everyone (`*`) and per breakdown group. */
export async function runFunnel(database: Database, s: Scope, q: FunnelQuery): Promise<FunnelCell[]> {
  const n = q.steps.length;
  const ts = Array.from({ length: n }, (_, i) => sql.ref(`per.t${i + 1}`));
  const counts = (src: string) => Array.from({ length: n }, (_, i) => sql`count(${sql.ref(`${src}.t${i + 1}`)}) as ${sql.ref(`c${i + 1}`)}`);
  const diffs = (src: string, k: RawBuilder<unknown>) =>
    Array.from({ length: n - 1 }, (_, j) => {
      const [a, b] = [sql.ref(`${src}.t${j + 1}`), sql.ref(`${src}.t${j + 2}`)];
      return sql`select ${k} as k, ${sql.lit(j + 2)} as i, ${b} - ${a} as d from ${sql.ref(src)} where ${b} is not null`;
    });
  const res = await sql<Record<string, unknown>>`
    with ${stepTimes(database.dialect, s, q)}, ${keyed(database.dialect, s, q, sql.join(ts))},
    d as (${sql.join([...diffs('per', sql`'*'`), ...diffs('keyed', sql`keyed.k`)], sql` union all `)}),
    m as (select k, i, avg(d) as median from (
        select k, i, d, row_number() over (partition by k, i order by d) as rn, count(*) over (partition by k, i) as c from d) r
      where rn = (c + 1) / 2 or rn = (c + 2) / 2 group by k, i),
    c as (select '*' as k, ${sql.join(counts('per'))} from per
      union all select keyed.k, ${sql.join(counts('keyed'))} from keyed group by keyed.k)
    select c.*, ${sql.join(Array.from({ length: n - 1 }, (_, j) => sql`(select m.median from m where m.k = c.k and m.i = ${sql.lit(j + 2)}) as ${sql.ref(`m${j + 2}`)}`))}
    from c`.execute(database.db);
  const out: FunnelCell[] = [];
  for (const r of res.rows) {
    for (let i = 1; i <= n; i++) {
      const m = i === 1 ? null : r[`m${i}`];
      out.push({ group: String(r.k), step: i, profiles: Number(r[`c${i}`]), medianMs: m === null || m === undefined ? null : Math.round(Number(m)) });
    }
  }
  return out;
}
