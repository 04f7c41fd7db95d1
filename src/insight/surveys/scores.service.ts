/**
 * Survey scores: NPS = % promoters (9–10) − % detractors (0–6); CSAT = % of answers 4–5; CES
 * average and % of answers 5–7. One aggregate statement per breakdown, grouped by the answer's
 * workspace-local day (stored with it, so both engines group the same integers) or by touchpoint;
 * weeks (Monday first) and months are rolled up from days here, and totals are sums of the days,
 * so every figure is computed from the same counts.
 */
import { type Expression, type SqlBool, sql } from 'kysely';
import { dayString } from '../../platform/time.js';
import type { InsightDeps } from '../deps.js';
import { getSurvey } from './surveys.service.js';
import type { SurveysDb } from './surveys.repo.js';

/** The counts one score needs, and the score. */
export interface ScoreSummary {
  responses: number;
  nps: { n: number; promoters: number; passives: number; detractors: number; score: number } | null;
  csat: { n: number; satisfied: number; score: number } | null;
  ces: { n: number; average: number; easy: number; easyShare: number } | null;
}

/** Raw counts of a group of answers. */
export interface Counts {
  responses: number;
  npsN: number;
  promoters: number;
  detractors: number;
  csatN: number;
  satisfied: number;
  cesN: number;
  cesSum: number;
  easy: number;
}

const ZERO: Counts = { responses: 0, npsN: 0, promoters: 0, detractors: 0, csatN: 0, satisfied: 0, cesN: 0, cesSum: 0, easy: 0 };
const pct = (a: number, n: number) => Math.round((a / n) * 10_000) / 100;

/** The scores of some counts (null for a score nobody gave). */
export function summarise(c: Counts): ScoreSummary {
  return {
    responses: c.responses,
    nps: c.npsN
      ? {
          n: c.npsN,
          promoters: c.promoters,
          passives: c.npsN - c.promoters - c.detractors,
          detractors: c.detractors,
          score: Math.round(((c.promoters - c.detractors) / c.npsN) * 10_000) / 100,
        }
      : null,
    csat: c.csatN ? { n: c.csatN, satisfied: c.satisfied, score: pct(c.satisfied, c.csatN) } : null,
    ces: c.cesN ? { n: c.cesN, average: Math.round((c.cesSum / c.cesN) * 100) / 100, easy: c.easy, easyShare: pct(c.easy, c.cesN) } : null,
  };
}

function add(a: Counts, b: Counts): Counts {
  const out = { ...a };
  for (const k of Object.keys(ZERO) as (keyof Counts)[]) out[k] += b[k];
  return out;
}

/** Filters of a results query. */
export interface ResultsQuery {
  from?: number;
  to?: number;
  interval: 'day' | 'week' | 'month';
  segmentId?: string;
}

const when = (cond: Expression<SqlBool>) => sql<number>`sum(case when ${cond} then 1 else 0 end)`;

/** The aggregate over a survey's answers, filtered; the caller adds its grouping. */
export function countsQuery(db: SurveysDb, ws: string, surveyId: string, q: Omit<ResultsQuery, 'interval'>) {
  let query = db
    .selectFrom('insight_survey_answers as a')
    .where('a.workspace_id', '=', ws)
    .where('a.survey_id', '=', surveyId)
    .select((eb) => [
      eb.fn.countAll<number>().as('responses'),
      eb.fn.count<number>('a.nps').as('npsN'),
      when(eb('a.nps', '>=', 9)).as('promoters'),
      when(eb('a.nps', '<=', 6)).as('detractors'),
      eb.fn.count<number>('a.csat').as('csatN'),
      when(eb('a.csat', '>=', 4)).as('satisfied'),
      eb.fn.count<number>('a.ces').as('cesN'),
      eb.fn.sum<number>('a.ces').as('cesSum'),
      when(eb('a.ces', '>=', 5)).as('easy'),
    ]);
  if (q.from !== undefined) query = query.where('a.answered_at', '>=', q.from);
  if (q.to !== undefined) query = query.where('a.answered_at', '<', q.to);
  // Insight's declared read of segments' tables: today's members of the segment.
  if (q.segmentId)
    query = query.where(
      sql<SqlBool>`a.profile_id in (select m.profile_id from segment_members m where m.workspace_id = ${ws} and m.segment_id = ${q.segmentId})`,
    );
  return query;
}

/** Counts from a row of the aggregate (PostgreSQL answers bigint sums as strings, sums over no rows as null). */
export function countsOf(r: Record<keyof Counts, unknown>): Counts {
  const out = { ...ZERO };
  for (const k of Object.keys(ZERO) as (keyof Counts)[]) out[k] = Number(r[k] ?? 0);
  return out;
}

/** The period a local day falls in: the day, its week's Monday, or its month (YYYY-MM). */
export function periodOf(day: number, interval: ResultsQuery['interval']): string {
  if (interval === 'day') return dayString(day);
  if (interval === 'week') return dayString(day - ((day + 3) % 7)); // day 0, 1970-01-01, was a Thursday
  return dayString(day).slice(0, 7);
}

/** A survey's results: totals, the trend by period and the breakdown by touchpoint. */
export async function surveyResults(deps: Pick<InsightDeps, 'database' | 'now' | 'timeZoneOf'>, ws: string, surveyId: string, q: ResultsQuery) {
  const survey = await getSurvey(deps, ws, surveyId);
  const db: SurveysDb = deps.database.db;
  const days = await countsQuery(db, ws, surveyId, q).select('a.local_day').groupBy('a.local_day').orderBy('a.local_day').execute();
  const periods = new Map<string, Counts>();
  let total = ZERO;
  for (const r of days) {
    const c = countsOf(r);
    const p = periodOf(Number(r.local_day), q.interval);
    periods.set(p, add(periods.get(p) ?? ZERO, c));
    total = add(total, c);
  }
  const tps = await countsQuery(db, ws, surveyId, q)
    .select(['a.touchpoint_kind', 'a.touchpoint_id'])
    .groupBy(['a.touchpoint_kind', 'a.touchpoint_id'])
    .orderBy('a.touchpoint_kind')
    .orderBy('a.touchpoint_id')
    .execute();
  return {
    surveyId: survey.id,
    timeZone: await deps.timeZoneOf(ws),
    interval: q.interval,
    totals: summarise(total),
    trend: [...periods].map(([period, c]) => ({ period, ...summarise(c) })),
    byTouchpoint: tps.map((r) => ({ kind: r.touchpoint_kind, id: r.touchpoint_id, ...summarise(countsOf(r)) })),
  };
}
