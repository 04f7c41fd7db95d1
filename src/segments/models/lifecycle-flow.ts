/**
 * The lifecycle flow of a period: how many profiles moved from one stage to another, read from
 * the "Lifecycle Stage Changed" events the lifecycle model records (lifecycle.ts).
 *
 * Per profile that changed stage in the period, the flow counts one move from the stage it had
 * when the period began (the `from` of its first change in the period; null when the model had
 * never staged it) to the stage it had when the period ended (the `to` of its last change). A
 * profile that went away and came back (active → silent → active) counts as staying in its stage,
 * so the flow is a two-column diagram without cycles; `changes` still counts every change.
 * One statement on either engine (window functions over the events' name-and-time index).
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../platform/db/database.js';
import { jsonPathText } from '../../platform/db/json-path.js';
import { addDays, localDate, startOfLocalDate } from '../../platform/time.js';
import { SegmentError } from '../errors.js';
import type { SegmentsSqlDB } from '../schema.js';
import { LIFECYCLE_CHANGED_EVENT } from './lifecycle.js';

/** One arrow of the flow: profiles that were in `from` when the period began and in `to` when it ended. */
export interface LifecycleMove {
  /** Null: the profile had no stage before (its first run). */
  from: string | null;
  to: string;
  profiles: number;
}

/** The lifecycle flow of a period of local dates (both included) in the workspace time zone. */
export interface LifecycleFlow {
  from: string;
  to: string;
  timeZone: string;
  /** Profiles that changed stage at least once in the period. */
  profiles: number;
  /** Stage changes recorded in the period (a profile may change more than once). */
  changes: number;
  /** Moves, largest first; `from === to` when a profile came back to the stage it started in. */
  moves: LifecycleMove[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Longest period one request may cover (two years of daily runs). */
export const MAX_FLOW_DAYS = 731;

/** The period's dates: `to` defaults to today, `from` to 29 days before `to`; checked. */
export function flowPeriod(now: number, tz: string, q: { from?: string; to?: string }): { from: string; to: string } {
  for (const k of ['from', 'to'] as const) {
    const v = q[k];
    if (v !== undefined && (!DATE.test(v) || addDays(v, 0) !== v))
      throw new SegmentError('VALIDATION_FAILED', `${k} must be a date YYYY-MM-DD, got "${v}"`, { field: k });
  }
  const to = q.to ?? localDate(now, tz);
  const from = q.from ?? addDays(to, -29);
  if (from > to) throw new SegmentError('VALIDATION_FAILED', `from (${from}) must not be after to (${to})`, { field: 'from' });
  if (addDays(from, MAX_FLOW_DAYS - 1) < to)
    throw new SegmentError('VALIDATION_FAILED', `the period may cover at most ${MAX_FLOW_DAYS} days; ${from} to ${to} is longer`, { field: 'from' });
  return { from, to };
}

/** The lifecycle flow of workspace `ws` between local dates `from` and `to` (both included). */
export async function lifecycleFlow(
  db: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ws: string,
  period: { from: string; to: string },
  tz: string,
): Promise<LifecycleFlow> {
  const start = startOfLocalDate(period.from, tz);
  const end = startOfLocalDate(addDays(period.to, 1), tz);
  const fromStage = jsonPathText(dialect, 'payload', ['properties', 'from']);
  const toStage = jsonPathText(dialect, 'payload', ['properties', 'to']);
  const rows = await sql<{ from_stage: string | null; to_stage: string; profiles: number | string; changes: number | string }>`
    with ch as (
      select profile_id, ${fromStage} as from_stage, ${toStage} as to_stage,
        row_number() over (partition by profile_id order by timestamp, message_id) as first_rank,
        row_number() over (partition by profile_id order by timestamp desc, message_id desc) as last_rank,
        count(*) over (partition by profile_id) as n
      from events
      where workspace_id = ${ws} and event = ${LIFECYCLE_CHANGED_EVENT} and type = 'track'
        and timestamp >= ${start} and timestamp < ${end}
    )
    select f.from_stage, l.to_stage, count(*) as profiles, sum(f.n) as changes
    from ch f join ch l on l.profile_id = f.profile_id and l.last_rank = 1
    where f.first_rank = 1
    group by f.from_stage, l.to_stage`.execute(db);
  const moves = rows.rows
    .map((r) => ({ from: r.from_stage, to: r.to_stage, profiles: Number(r.profiles) }))
    .sort((a, b) => b.profiles - a.profiles || String(a.from).localeCompare(String(b.from)) || a.to.localeCompare(b.to));
  return {
    ...period,
    timeZone: tz,
    profiles: moves.reduce((s, m) => s + m.profiles, 0),
    changes: rows.rows.reduce((s, r) => s + Number(r.changes), 0),
    moves,
  };
}
