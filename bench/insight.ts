/**
 * `siyu bench insight`: the insight module's queries over a generated year of data — the metric
 * set (sales by day, repurchase, LTV by cohort, new profiles), a 4-step funnel (Page Viewed →
 * Product Viewed → Added to Cart → Order Completed, 7-day window, with medians) and monthly
 * retention cohorts (first purchase, retained by any activity) — each timed against a
 * hand-written SQL query for the same numbers (bench/support/insight-baselines.ts) in the same
 * database and run, and checked to give the same numbers. The queries are timed as the API runs
 * them, without the cache (a cached answer is one primary-key read).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { runCohorts, NOT_ACTIVITY } from '../src/insight/cohorts/cohorts.repo.js';
import { cohortTable } from '../src/insight/cohorts/cohorts.service.js';
import { runFunnel } from '../src/insight/funnels/funnels.repo.js';
import { newProfiles } from '../src/insight/metrics/growth.repo.js';
import { resolveScope, type Scope } from '../src/insight/metrics/scope.js';
import type { MetricTable } from '../src/insight/metrics/table.js';
import { ltvByCohort, repurchase, salesByDay } from '../src/insight/metrics/value.repo.js';
import { type Database, openDatabase } from '../src/platform/db/database.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import { migrateSiyu } from '../src/server/migrations.js';
import type { BenchOptions, BenchResult } from './types.js';
import { type BaselineScope, handCohorts, handFunnel, handLtvCohorts, handNewProfiles, handRepurchase, handSales } from './support/insight-baselines.js';
import { DAY, generatePopulation, NOW } from './support/population.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { heading, num, progress, secs, table, targets, type TargetResult } from './support/report.js';

const TARGET_FACTOR = 1.5;
const TARGET_PG_MS = 2_000;
const RUNS = 3;
const FUNNEL = ['Page Viewed', 'Product Viewed', 'Added to Cart', 'Order Completed'];
const TIME_ZONE = 'Asia/Shanghai';

/** One compared query: Siyu's (normalised) and the hand-written one. */
interface Case {
  name: string;
  siyu: () => Promise<unknown>;
  hand: () => Promise<unknown>;
}

const objects = (t: MetricTable) => t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])) as Record<string, number | string | null>);
/** Rows without trailing zero cells (a triangle's later empty periods), keeping label and size. */
const trimZeros = (rows: unknown[][]): unknown[][] =>
  rows.map((r) => {
    let end = r.length;
    while (end > 2 && r[end - 1] === 0) end--;
    return r.slice(0, end);
  });

/** The compared queries over one scope. */
function cases(database: Database, s: Scope, b: BaselineScope): Case[] {
  return [
    {
      name: 'metric: sales by day',
      siyu: async () => {
        const t = await salesByDay(database, s);
        const tot = t.totals!;
        return {
          rows: objects(t).map((r) => [r.day, r.gross_fen, r.refunded_fen, r.orders, r.buyers]),
          totals: [tot.gross_fen, tot.refunded_fen, tot.orders, tot.buyers],
        };
      },
      hand: () => handSales(database, b),
    },
    {
      name: 'metric: repurchase',
      siyu: async () => {
        const t = await repurchase(database, s);
        const r = objects(t);
        return [r[0]!.customers, r[0]!.repurchased, t.totals!.first_time_buyers, ...r.slice(1).flatMap((x) => [x.customers, x.repurchased])];
      },
      hand: () => handRepurchase(database, b),
    },
    {
      name: 'metric: LTV by cohort',
      siyu: async () => objects(await ltvByCohort(database, s)).map((r) => [r.cohort, r.buyers, r.orders, r.net_fen]),
      hand: () => handLtvCohorts(database, b),
    },
    {
      name: 'metric: new profiles by day',
      siyu: async () => objects(await newProfiles(database, s)).map((r) => [r.day, r.new_profiles]),
      hand: () => handNewProfiles(database, b),
    },
    {
      name: 'funnel: 4 steps, 7 days',
      siyu: async () => {
        const cells = (await runFunnel(database, s, { steps: FUNNEL.map((event) => ({ event })), windowDays: 7 })).filter((c) => c.group === '*');
        return [...cells.map((c) => c.profiles), ...cells.slice(1).map((c) => c.medianMs)];
      },
      hand: () => handFunnel(database, b, FUNNEL, 7 * DAY),
    },
    {
      name: 'cohorts: monthly, by activity',
      siyu: async () => {
        const q = { by: 'first_purchase', period: 'month', retainedBy: 'activity' } as const;
        const t = cohortTable(s, q, await runCohorts(database, s, q));
        const periods = t.columns.filter((c) => /^p\d+$/.test(c)).length;
        return trimZeros(
          objects(t).map((r) => [r.cohort, r.size, ...Array.from({ length: periods }, (_, k) => r[`p${k}`]).filter((v) => v !== null && v !== undefined)]),
        );
      },
      hand: async () => trimZeros(await handCohorts(database, b, NOT_ACTIVITY)),
    },
  ];
}

/** Median wall time of `RUNS` runs of `fn` (after one warm-up), and its last answer. */
async function measure(fn: () => Promise<unknown>): Promise<{ ms: number; value: unknown }> {
  let value = await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    value = await fn();
    times.push(performance.now() - t);
  }
  return { ms: times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!, value };
}

/** The benchmark (see the file comment). */
export async function runInsightBench(o: BenchOptions): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-insight-'));
  const temp = o.databaseUrl ? await createTempDatabase(o.databaseUrl) : undefined;
  const database = openDatabase({ dataDir, databaseUrl: temp?.url, poolSize: 4 });
  const pg = !!o.databaseUrl;
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    heading('siyu bench insight');
    const events = o.insightProfiles * o.eventsPerProfile;
    table(
      [
        ['setting', 'value'],
        ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
        ['database', pg ? `PostgreSQL at ${describeUrl(o.databaseUrl!)}` : 'SQLite (WAL, synchronous=NORMAL)'],
        ['data', `${num(o.insightProfiles)} profiles, ${num(events)} events over the year before 2026-11-01 (45% buyers), seed ${o.seed}`],
        ['timing', `median of ${RUNS} runs after a warm-up, each query alone`],
      ],
      ['l', 'l'],
    );
    const ws = (await createWorkspace(database.db, { name: 'bench insight' })).workspace.id;
    const bar = progress('generating');
    const gen = await generatePopulation(database, ws, {
      profiles: o.insightProfiles,
      eventsPerProfile: o.eventsPerProfile,
      seed: o.seed,
      onProgress: (p, e) => bar.update(`${num(p)} profiles, ${num(e)} events`),
    });
    bar.done();
    process.stdout.write(
      `generated ${num(gen.profiles)} profiles, ${num(gen.events)} events, ${num(gen.orders)} orders in ${secs(gen.insertMs + gen.indexMs + gen.analyzeMs)}\n`,
    );

    const s = await resolveScope(database, ws, TIME_ZONE, NOW, { from: '2025-11-01', to: '2026-10-31' });
    const b: BaselineScope = { ws, from: s.from, to: s.to, now: NOW };
    const rows: string[][] = [['query', 'Siyu', 'hand-written', 'ratio', 'same numbers']];
    const results: Record<string, unknown>[] = [];
    const tr: TargetResult[] = [];
    let metricSiyu = 0;
    let metricHand = 0;
    for (const c of cases(database, s, b)) {
      const p = progress(c.name);
      const siyu = await measure(c.siyu);
      const hand = await measure(c.hand);
      p.done();
      const same = JSON.stringify(siyu.value) === JSON.stringify(hand.value);
      if (!same)
        process.stdout.write(
          `${c.name}: numbers differ\n  Siyu: ${JSON.stringify(siyu.value).slice(0, 400)}\n  hand: ${JSON.stringify(hand.value).slice(0, 400)}\n`,
        );
      const ratio = siyu.ms / hand.ms;
      rows.push([c.name, secs(siyu.ms), secs(hand.ms), num(ratio, 2), same ? 'yes' : 'NO']);
      results.push({ name: c.name, siyuMs: Math.round(siyu.ms), handMs: Math.round(hand.ms), ratio, same });
      if (c.name.startsWith('metric')) {
        metricSiyu += siyu.ms;
        metricHand += hand.ms;
      } else tr.push({ target: `${c.name} ≤ ${TARGET_FACTOR}× hand-written`, measured: `${num(ratio, 2)}×`, pass: ratio <= TARGET_FACTOR && same });
      if (!c.name.startsWith('metric'))
        tr.push({ target: `${c.name} < 2 s (PostgreSQL)`, measured: secs(siyu.ms), pass: pg ? siyu.ms < TARGET_PG_MS : undefined });
    }
    rows.push(['metric set (sum of the four)', secs(metricSiyu), secs(metricHand), num(metricSiyu / metricHand, 2), '']);
    table(rows, ['l', 'r', 'r', 'r', 'l']);
    heading('targets');
    tr.unshift(
      {
        target: `metric set ≤ ${TARGET_FACTOR}× hand-written`,
        measured: `${num(metricSiyu / metricHand, 2)}×`,
        pass: metricSiyu / metricHand <= TARGET_FACTOR && results.every((r) => r.same),
      },
      { target: 'metric set < 2 s (PostgreSQL)', measured: secs(metricSiyu), pass: pg ? metricSiyu < TARGET_PG_MS : undefined },
    );
    targets(tr);
    return { engine: database.dialect.engine, profiles: gen.profiles, events: gen.events, orders: gen.orders, queries: results };
  } finally {
    await database.close();
    if (temp) await temp.drop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
