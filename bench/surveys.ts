/**
 * `siyu bench surveys`: answers through the whole answer path (check the signed link, read the
 * survey, check the answer, then in one transaction lock the profile, insert the answer, write its
 * traits and timeline events, look for a staff owner) against bare one-row inserts of answer rows
 * in their own transactions; then the survey report (NPS, CSAT, CES by day and by touchpoint) over
 * `--answers` rows against one hand-written aggregate statement over the same rows, checking that
 * both give the same numbers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createSurveyLinkSigner } from '../src/insight/index.js';
import { submitAnswer } from '../src/insight/surveys/answers.service.js';
import { surveyResults } from '../src/insight/surveys/scores.service.js';
import { createSurvey } from '../src/insight/surveys/surveys.service.js';
import { openDatabase } from '../src/platform/db/database.js';
import { newId } from '../src/platform/ids.js';
import { localDay } from '../src/platform/time.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import { createFollowUpTask } from '../src/scrm/index.js';
import { migrateSiyu } from '../src/server/migrations.js';
import type { BenchOptions, BenchResult } from './types.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { createRandom } from './support/random.js';
import { heading, num, percentile, progress, secs, table, targets } from './support/report.js';

const PROFILES = 5_000;
const ZONE = 'Asia/Shanghai';
const START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const TOUCHPOINTS = [
  ['journey', 'jny_a'],
  ['journey', 'jny_b'],
  ['broadcast', 'bc_1'],
  ['store', 'SH-001'],
  ['store', 'BJ-002'],
  ['staff', 'guide01'],
] as const;
const SURVEY = {
  name: 'bench',
  title: { 'zh-CN': '满意度' },
  questions: [
    { id: 'nps', kind: 'nps', text: { 'zh-CN': '推荐' } },
    { id: 'csat', kind: 'csat', text: { 'zh-CN': '满意' } },
    { id: 'ces', kind: 'ces', text: { 'zh-CN': '容易' } },
    { id: 'why', kind: 'text', text: { 'zh-CN': '原因' } },
  ],
  keywords: [{ tag: 'delivery', words: ['快递', 'delivery'] }],
} as const;

/** Runs `count` operations on `clients` loops; wall time and latencies. */
async function runClients(count: number, clients: number, op: (i: number) => Promise<void>, label: string) {
  let next = 0;
  const lat: number[] = [];
  const bar = progress(label);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await op(i);
        lat.push(performance.now() - t);
        if (i % 1000 === 0) bar.update(`${num(i)} of ${num(count)}`);
      }
    }),
  );
  bar.done();
  return { ms: performance.now() - start, lat };
}

/** One generated answer row (the bulk fill and the baseline). */
function answerRow(ws: string, surveyId: string, i: number, r: ReturnType<typeof createRandom>, prefix: string) {
  const at = START + r.int(365) * DAY + r.int(DAY);
  const [kind, id] = r.pick(TOUCHPOINTS);
  return {
    workspace_id: ws,
    id: newId('sva', at),
    survey_id: surveyId,
    survey_version: 1,
    profile_id: `prf_b${String(i % PROFILES).padStart(7, '0')}`,
    send_key: `${prefix}-${i}`,
    touchpoint_kind: kind,
    touchpoint_id: id,
    locale: 'zh-CN',
    answers: '{}',
    nps: r.int(11),
    csat: 1 + r.int(5),
    ces: 1 + r.int(7),
    verbatim: r.chance(0.2) ? '快递很快' : null,
    tags: '[]',
    local_day: localDay(at, ZONE),
    answered_at: at,
  };
}

// size: one benchmark's setup, two measured phases and their report, read top to bottom.
/** The benchmark (see the file comment). */
export async function runSurveysBench(o: BenchOptions): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-surveys-'));
  const temp = o.databaseUrl ? await createTempDatabase(o.databaseUrl) : undefined;
  const database = openDatabase({ dataDir, databaseUrl: temp?.url, poolSize: Math.max(2, o.concurrency) });
  const submissions = Math.min(o.answers, Math.max(1000, Math.round(o.answers / 5)));
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    heading('siyu bench surveys');
    table(
      [
        ['setting', 'value'],
        ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
        ['database', o.databaseUrl ? `PostgreSQL at ${describeUrl(o.databaseUrl)}` : 'SQLite (WAL, synchronous=NORMAL)'],
        ['answers', `${num(submissions)} through the answer path (${o.concurrency} clients, ${num(PROFILES)} profiles); report over ${num(o.answers)}`],
      ],
      ['l', 'l'],
    );
    const ws = (await createWorkspace(database.db, { name: 'bench surveys' })).workspace.id;
    let now = START;
    const signer = createSurveyLinkSigner(Buffer.alloc(32, 3));
    const deps = {
      database,
      now: () => now,
      timeZoneOf: async () => ZONE,
      surveys: { signer, resolveProfile: async (_w: string, ref: string) => ref, followUpTask: createFollowUpTask },
    };
    const survey = await createSurvey(deps, ws, structuredClone(SURVEY) as never);
    // Profiles as cdp stores them (the answer path locks them and writes their traits).
    for (let i = 0; i < PROFILES; i += 500) {
      const rows = Array.from({ length: Math.min(500, PROFILES - i) }, (_, k) => ({
        workspace_id: ws,
        id: `prf_b${String(i + k).padStart(7, '0')}`,
        merged_into: null,
        traits: '{}',
        trait_times: '{}',
        consent: '{}',
        first_seen_at: START,
        last_seen_at: START,
        order_count: 0,
        total_spent_fen: 0,
        first_purchase_at: null,
        last_purchase_at: null,
        created_at: START,
        updated_at: START,
      }));
      await database.db.insertInto('profiles').values(rows).execute();
    }
    const r = createRandom(o.seed);
    // Answers spread over a year; each link made when it is answered (links last the survey's 30 days).
    const at = (i: number) => START + Math.floor((i * 365 * DAY) / submissions);
    const tokens = Array.from({ length: submissions }, (_, i) => {
      const [kind, id] = r.pick(TOUCHPOINTS);
      return signer.sign({
        workspaceId: ws,
        surveyId: survey.id,
        profileId: `prf_b${String(i % PROFILES).padStart(7, '0')}`,
        sendKey: `s-${i}`,
        touchpoint: { kind, id },
        issuedAt: at(i),
      });
    });
    const service = await runClients(
      submissions,
      o.concurrency,
      async (i) => {
        now = at(i);
        const answers = { nps: i % 11, csat: 1 + (i % 5), ces: 1 + (i % 7), ...(i % 5 === 0 ? { why: '快递太慢了' } : {}) };
        const res = await submitAnswer(deps, tokens[i]!, answers, 'zh-CN');
        if (res.duplicate) throw new Error(`answer ${i} was taken for a duplicate`);
      },
      'answers through the answer path',
    );
    const br = createRandom(o.seed + 1);
    const raw = await runClients(
      submissions,
      o.concurrency,
      async (i) => {
        await database.db.transaction().execute((trx) =>
          trx
            .insertInto('insight_survey_answers')
            .values(answerRow(ws, 'srv_baseline', i, br, 'raw'))
            .execute(),
        );
      },
      'bare one-row inserts',
    );
    // Fill the survey to --answers rows for the report.
    const fr = createRandom(o.seed + 2);
    for (let i = submissions; i < o.answers; i += 1000) {
      const rows = Array.from({ length: Math.min(1000, o.answers - i) }, (_, k) => answerRow(ws, survey.id, i + k, fr, 'fill'));
      await database.dialect.insertMany(database.db, 'insight_survey_answers', rows);
    }
    if (database.dialect.needsAnalyze) await sql`analyze insight_survey_answers`.execute(database.db);
    const report = await timeBest(5, () => surveyResults(deps, ws, survey.id, { interval: 'month' }));
    const hand = await timeBest(5, () => handAggregate(database, ws, survey.id));
    const same =
      report.value.totals.responses === hand.value.n &&
      report.value.totals.nps?.promoters === hand.value.promoters &&
      report.value.totals.nps?.detractors === hand.value.detractors &&
      report.value.totals.csat?.satisfied === hand.value.satisfied &&
      report.value.totals.ces?.easy === hand.value.easy;
    const rate = (x: { ms: number }) => (submissions / x.ms) * 1000;
    heading('results');
    table([
      ['path', 'time', 'per second', 'p50', 'p99'],
      ...(
        [
          ['answer path (link, checks, answer, traits, events)', service],
          ['bare one-row inserts', raw],
        ] as const
      ).map(([name, x]) => [name, secs(x.ms), num(rate(x)), `${num(percentile(x.lat, 0.5), 2)} ms`, `${num(percentile(x.lat, 0.99), 2)} ms`]),
      [`report over ${num(o.answers)} answers (by day, touchpoint)`, `${num(report.ms, 1)} ms`, '', '', ''],
      ['hand-written aggregates (by day, by touchpoint)', `${num(hand.ms, 1)} ms`, '', '', ''],
    ]);
    targets([
      { target: 'answers ≥500/s (SQLite)', measured: num(rate(service)), pass: o.databaseUrl ? undefined : rate(service) >= 500 },
      { target: 'answer path vs bare inserts (information)', measured: `${num(rate(service) / rate(raw), 2)}×`, pass: undefined },
      { target: 'report ≤ 1.5× the hand-written aggregates', measured: `${num(report.ms / hand.ms, 2)}×`, pass: report.ms <= 1.5 * hand.ms },
      { target: 'report and aggregate agree', measured: same ? 'same counts' : 'DIFFERENT', pass: same },
    ]);
    return {
      engine: database.dialect.engine,
      submissions,
      answers: o.answers,
      answersPerSecond: rate(service),
      rawPerSecond: rate(raw),
      answerP99Ms: percentile(service.lat, 0.99),
      reportMs: report.ms,
      handAggregateMs: hand.ms,
      agree: same,
    };
  } finally {
    await database.close();
    await temp?.drop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The best of `n` runs (the first warms caches). */
async function timeBest<T>(n: number, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    value = await fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, value };
}

/**
 * The baseline: the same two breakdowns the report gives (the score counts by local day, and by
 * touchpoint), each one statement written by hand; the totals summed from the days.
 */
async function handAggregate(database: ReturnType<typeof openDatabase>, ws: string, surveyId: string) {
  const counts = sql`count(*) as n, count(nps) as nps_n,
      sum(case when nps >= 9 then 1 else 0 end) as promoters, sum(case when nps <= 6 then 1 else 0 end) as detractors,
      count(csat) as csat_n, sum(case when csat >= 4 then 1 else 0 end) as satisfied,
      count(ces) as ces_n, sum(ces) as ces_sum, sum(case when ces >= 5 then 1 else 0 end) as easy`;
  const days = await sql<Record<string, number | string>>`
    select local_day, ${counts} from insight_survey_answers
    where workspace_id = ${ws} and survey_id = ${surveyId} group by local_day order by local_day`.execute(database.db);
  await sql`
    select touchpoint_kind, touchpoint_id, ${counts} from insight_survey_answers
    where workspace_id = ${ws} and survey_id = ${surveyId} group by touchpoint_kind, touchpoint_id order by 1, 2`.execute(database.db);
  const out = { n: 0, promoters: 0, detractors: 0, satisfied: 0, easy: 0 };
  for (const r of days.rows) for (const k of Object.keys(out) as (keyof typeof out)[]) out[k] += Number(r[k]);
  return out;
}
