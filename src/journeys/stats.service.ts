import { type Kysely, sql } from 'kysely';
import { countMessagesByStepAndStatus } from '../messaging/index.js';
import { parseJson } from '../platform/db/database.js';
import { journeysDb } from './db.js';
import type { JourneyDeps } from './deps.js';
import type { JourneysDB } from './schema.js';
import { iso, journeyRow } from './journeys.service.js';

/** Per-journey statistics (see docs/journeys.md for each figure). */
export interface JourneyStats {
  entered: number;
  active: number;
  completed: number;
  converted: number;
  exited: number;
  failed: number;
  conversionRate: number;
  /** Active states per current step. */
  inStep: Record<string, number>;
  /** Steps that did their job, per step (from the step log). */
  passed: Record<string, number>;
  /** Steps that could not do their job and were passed over (no loyalty module, no profile, no date trait), per step. */
  skipped: Record<string, number>;
  /** Steps that failed (a refused send, which ends the state; a refused award; an error after the last retry), per step. */
  failedSteps: Record<string, number>;
  /** Per step, how many times each skipped or failed outcome happened (`"skipped: no loyalty module": 3`). */
  reasons: Record<string, Record<string, number>>;
  messages: { sent: number; held: number; suppressed: number; failed: number; pending: number; byStep: Record<string, Record<string, number>> };
  /** Per A/B split step: per branch, states assigned, converted and the rate. */
  splits: Record<string, Record<string, { assigned: number; converted: number; conversionRate: number }>>;
}

/** Message counts by outcome (sent, held, suppressed, failed, pending) and per step and status. */
function messageStats(msgs: { step: string | null; status: string; count: number }[]): JourneyStats['messages'] {
  const messages: JourneyStats['messages'] = { sent: 0, held: 0, suppressed: 0, failed: 0, pending: 0, byStep: {} };
  for (const m of msgs) {
    const n = m.count;
    const bucket =
      m.status === 'sent' || m.status === 'delivered'
        ? 'sent'
        : m.status === 'held'
          ? 'held'
          : m.status === 'suppressed'
            ? 'suppressed'
            : m.status === 'failed' || m.status === 'unknown'
              ? 'failed'
              : 'pending';
    messages[bucket] += n;
    const step = (messages.byStep[m.step ?? '-'] ??= {});
    step[m.status] = (step[m.status] ?? 0) + n;
  }
  return messages;
}

/** Per A/B split step and branch: states assigned, converted and the rate (optionally for one version's states). */
async function splitStats(db: Kysely<JourneysDB>, ws: string, id: string, version: number | undefined): Promise<JourneyStats['splits']> {
  const splits: JourneyStats['splits'] = {};
  const rows = await sql<{ step_id: string; branch: string; assigned: number; converted: number }>`
    select a.step_id, a.branch, count(*) as assigned, sum(case when s.status = 'converted' then 1 else 0 end) as converted
    from journey_assignments as a join journey_states as s on s.workspace_id = a.workspace_id and s.id = a.state_id
    where a.workspace_id = ${ws} and a.journey_id = ${id} ${version !== undefined ? sql`and s.version = ${version}` : sql``}
    group by a.step_id, a.branch order by a.step_id, a.branch`.execute(db);
  for (const x of rows.rows) {
    const assigned = Number(x.assigned);
    const conv = Number(x.converted);
    (splits[x.step_id] ??= {})[x.branch] = { assigned, converted: conv, conversionRate: assigned ? conv / assigned : 0 };
  }
  return splits;
}

/** The step log's outcomes as results (work.ts `stepResult`, in SQL): `skipped...`, `failed...`, else passed. */
const RESULT = sql<string>`case when outcome like 'skipped%' then 'skipped' when outcome like 'failed%' then 'failed' else 'passed' end`;

/** Steps taken per step by result, and the skipped and failed outcomes per step (all versions, from the step log). */
async function stepStats(db: Kysely<JourneysDB>, ws: string, id: string): Promise<Pick<JourneyStats, 'passed' | 'skipped' | 'failedSteps' | 'reasons'>> {
  const out: Pick<JourneyStats, 'passed' | 'skipped' | 'failedSteps' | 'reasons'> = { passed: {}, skipped: {}, failedSteps: {}, reasons: {} };
  const byResult = await sql<{ step_id: string; result: string; n: number }>`
    select step_id, ${RESULT} as result, count(*) as n from journey_step_log
    where workspace_id = ${ws} and journey_id = ${id} group by step_id, ${RESULT}`.execute(db);
  const bucket = { passed: out.passed, skipped: out.skipped, failed: out.failedSteps } as Record<string, Record<string, number>>;
  for (const x of byResult.rows) bucket[x.result]![x.step_id] = Number(x.n);
  const reasons = await db
    .selectFrom('journey_step_log')
    .select(['step_id', 'outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .where((eb) => eb.or([eb('outcome', 'like', 'skipped%'), eb('outcome', 'like', 'failed%')]))
    .groupBy(['step_id', 'outcome'])
    .execute();
  for (const x of reasons) (out.reasons[x.step_id] ??= {})[x.outcome] = Number(x.n);
  return out;
}

/** Computes a journey's statistics (optionally for one version's states). */
export async function journeyStats(deps: JourneyDeps, ws: string, id: string, version?: number): Promise<JourneyStats> {
  const db = journeysDb(deps.database.db);
  await journeyRow(deps.database.db, ws, id);
  let states = db.selectFrom('journey_states').where('workspace_id', '=', ws).where('journey_id', '=', id);
  if (version !== undefined) states = states.where('version', '=', version);
  const byStatus = await states
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const count = (s: string) => Number(byStatus.find((x) => x.status === s)?.n ?? 0);
  const entered = byStatus.reduce((a, x) => a + Number(x.n), 0);
  const inStep: Record<string, number> = {};
  for (const x of await states
    .select(['step_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'active')
    .groupBy('step_id')
    .execute())
    inStep[x.step_id ?? '-'] = Number(x.n);
  const steps = await stepStats(db, ws, id);
  const messages = messageStats(await countMessagesByStepAndStatus(deps.database.db, ws, { kind: 'journey', id }));
  const splits = await splitStats(db, ws, id, version);
  const converted = count('converted');
  return {
    entered,
    active: count('active'),
    completed: count('completed'),
    converted,
    exited: count('exited'),
    failed: count('failed'),
    conversionRate: entered ? converted / entered : 0,
    inStep,
    ...steps,
    messages,
    splits,
  };
}

/** A subject's journey states (newest first), for support and tests. */
export async function statesOf(
  deps: JourneyDeps,
  ws: string,
  id: string,
  q: { status?: string; subjectId?: string; limit: number; cursor?: string },
): Promise<{ data: Record<string, unknown>[]; nextCursor: string | null }> {
  let s = journeysDb(deps.database.db).selectFrom('journey_states').selectAll().where('workspace_id', '=', ws).where('journey_id', '=', id);
  if (q.status) s = s.where('status', '=', q.status);
  if (q.subjectId) s = s.where('subject_id', '=', q.subjectId);
  if (q.cursor) s = s.where('id', '<', q.cursor);
  const found = await s
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const rows = found.slice(0, q.limit);
  const nextCursor = found.length > q.limit ? rows[rows.length - 1]!.id : null;
  const data = rows.map((r) => ({
    id: r.id,
    version: r.version,
    subjectKind: r.subject_kind,
    subjectId: r.subject_id,
    entryKey: r.entry_key,
    entryNo: r.entry_no,
    stepId: r.step_id,
    status: r.status,
    wakeAt: r.wake_at === null ? null : iso(r.wake_at),
    endReason: r.end_reason,
    enteredAt: iso(r.entered_at),
    endedAt: r.ended_at === null ? null : iso(r.ended_at),
    context: parseJson(r.context),
  }));
  return { data, nextCursor };
}
