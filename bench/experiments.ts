/**
 * `siyu bench experiments`: an experiment's results over --exposed profiles (default 100,000),
 * computed by the insight service (one SQL aggregate per experiment with correlated per-profile
 * subqueries, then the statistics) against a hand-written SQL aggregate of the same numbers (a
 * left join grouped per profile, then per arm) in the same run and database. Two goals: a
 * conversion (an event within 7 days of exposure) and net revenue per profile with a 30-day
 * pre-period covariate (CUPED). The sums of both paths must agree. The baseline's event condition
 * is written as the service's (`coalesce(e.event, '')`) so that SQLite, without statistics, uses
 * the per-profile index for both rather than the per-event-name one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { assignVariant, createExperiment, experimentResults, type InsightDeps } from '../src/insight/index.js';
import { type Database, openDatabase } from '../src/platform/db/database.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import { migrateSiyu } from '../src/server/migrations.js';
import { createRandom } from './support/random.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { heading, num, progress, secs, table, targets } from './support/report.js';
import type { BenchOptions, BenchResult } from './types.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1, 4, 0, 0);
const EXPOSED_AT = NOW - 20 * DAY;
const VARIANTS = [
  { key: 'control', weight: 1 },
  { key: 'treatment', weight: 1 },
];

/** Inserts rows in chunks (each its own statement). */
async function bulk(database: Database, tableName: 'events' | 'orders' | 'insight_experiment_exposures', rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await database.dialect.insertMany(database.db, tableName, rows.slice(i, i + 500));
}

/** Exposures of both experiments, events (conversions and noise) and orders (before and after exposure) for `n` profiles. */
async function generate(database: Database, ws: string, experimentIds: string[], salts: string[], n: number, seed: number): Promise<void> {
  const r = createRandom(seed);
  const bar = progress('generating');
  for (let start = 0; start < n; start += 5000) {
    const exposures: Record<string, unknown>[] = [];
    const events: Record<string, unknown>[] = [];
    const orders: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(n, start + 5000); i++) {
      const p = `prf_bench${String(i).padStart(8, '0')}`;
      experimentIds.forEach((id, k) =>
        exposures.push({ workspace_id: ws, experiment_id: id, profile_id: p, variant: assignVariant(salts[k]!, 0, VARIANTS, p), exposed_at: EXPOSED_AT }),
      );
      const treated = assignVariant(salts[0]!, 0, VARIANTS, p) === 'treatment';
      const ev = (event: string, at: number) =>
        events.push({
          workspace_id: ws,
          message_id: `m${i}-${events.length}`,
          profile_id: p,
          type: 'track',
          event,
          user_id: null,
          anonymous_id: null,
          timestamp: at,
          received_at: at,
          payload: '{}',
        });
      for (let k = 0; k < 3; k++) ev('Page Viewed', EXPOSED_AT + (r.int(40) - 20) * DAY);
      if (r.chance(treated ? 0.12 : 0.1)) ev('Order Completed', EXPOSED_AT + r.int(7 * DAY));
      if (r.chance(0.05)) ev('Order Completed', EXPOSED_AT + 8 * DAY);
      const base = 5000 + r.int(20000);
      const order = (id: string, at: number, fen: number, refunded = 0) =>
        orders.push({
          workspace_id: ws,
          order_id: id,
          profile_id: p,
          message_id: id,
          total_fen: fen,
          currency: 'CNY',
          ordered_at: at,
          status: refunded ? 'partially_refunded' : 'completed',
          refunded_fen: refunded,
          lines: null,
          placed: null,
        });
      if (r.chance(0.3)) {
        order(`pre${i}`, EXPOSED_AT - r.int(30 * DAY) - 1, base);
        if (r.chance(0.6)) order(`post${i}`, EXPOSED_AT + r.int(14 * DAY), Math.round(base * (treated ? 1.05 : 1)), r.chance(0.1) ? 1000 : 0);
      }
    }
    await bulk(database, 'insight_experiment_exposures', exposures);
    await bulk(database, 'events', events);
    await bulk(database, 'orders', orders);
    bar.update(`${num(Math.min(n, start + 5000))} of ${num(n)} profiles`);
  }
  bar.done();
}

/** The baseline: the same per-arm sums by hand-written SQL (left join per profile, then per arm). */
async function baseline(
  database: Database,
  ws: string,
  id: string,
  goal: 'conversion' | 'revenue',
): Promise<Map<string, { n: number; sum: number; pre: number }>> {
  const q =
    goal === 'conversion'
      ? sql<{ variant: string; n: unknown; s: unknown; pre: unknown }>`
        select variant, count(*) as n, sum(c) as s, 0 as pre from (
          select x.profile_id, x.variant, max(case when e.message_id is null then 0 else 1 end) as c
          from insight_experiment_exposures x
          left join events e on e.workspace_id = x.workspace_id and e.profile_id = x.profile_id and coalesce(e.event, '') = 'Order Completed'
            and e.timestamp >= x.exposed_at and e.timestamp < x.exposed_at + ${7 * DAY}
          where x.workspace_id = ${ws} and x.experiment_id = ${id}
          group by x.profile_id, x.variant) t group by variant`
      : sql<{ variant: string; n: unknown; s: unknown; pre: unknown }>`
        select variant, count(*) as n, sum(y) as s, sum(x) as pre from (
          select x.profile_id, x.variant,
            coalesce(sum(case when o.ordered_at >= x.exposed_at then o.total_fen - o.refunded_fen end), 0) as y,
            coalesce(sum(case when o.ordered_at < x.exposed_at then o.total_fen - o.refunded_fen end), 0) as x
          from insight_experiment_exposures x
          left join orders o on o.workspace_id = x.workspace_id and o.profile_id = x.profile_id and o.status <> 'cancelled'
            and o.ordered_at >= x.exposed_at - ${30 * DAY} and o.ordered_at < x.exposed_at + ${14 * DAY}
          where x.workspace_id = ${ws} and x.experiment_id = ${id}
          group by x.profile_id, x.variant) t group by variant`;
  const rows = (await q.execute(database.db)).rows;
  return new Map(rows.map((r) => [r.variant, { n: Number(r.n), sum: Number(r.s), pre: Number(r.pre) }]));
}

/** Best of `runs` timings of `fn`, with its last answer. */
async function timed<T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = await fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, value: value! };
}

/** The benchmark (see the file comment). */
export async function runExperimentsBench(o: BenchOptions): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-experiments-'));
  const temp = o.databaseUrl ? await createTempDatabase(o.databaseUrl) : undefined;
  const database = openDatabase({ dataDir, databaseUrl: temp?.url, poolSize: 2 });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    heading('siyu bench experiments');
    const n = o.exposed;
    table(
      [
        ['setting', 'value'],
        ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
        ['database', o.databaseUrl ? `PostgreSQL at ${describeUrl(o.databaseUrl)}` : 'SQLite (WAL, synchronous=NORMAL)'],
        ['data', `${num(n)} exposed profiles per experiment, ~${num(n * 3.2)} events, ~${num(n * 0.48)} orders`],
      ],
      ['l', 'l'],
    );
    const ws = (await createWorkspace(database.db, { name: 'bench experiments' })).workspace.id;
    // The service reads only the database and the clock; the other deps (HTTP keys, hub, log) are not used on this path.
    const deps = { database, now: () => NOW } as unknown as InsightDeps;
    const make = async (key: string, goal: object, covariateDays?: number) =>
      (
        await createExperiment(deps, ws, {
          key,
          name: key,
          subject: { kind: 'coupon', id: 'cpn' },
          variants: VARIANTS,
          goal,
          ...(covariateDays ? { covariateDays } : {}),
        })
      ).experiment;
    const conv = await make('bench-conversion', { kind: 'conversion', event: 'Order Completed', windowDays: 7 });
    const rev = await make('bench-revenue', { kind: 'revenue', windowDays: 14 }, 30);
    await generate(database, ws, [conv.id, rev.id], ['experiment:bench-conversion', 'experiment:bench-revenue'], n, o.seed);
    if (database.dialect.engine === 'postgres') await sql`analyze`.execute(database.db);

    const rows: string[][] = [['goal', 'service (SQL + statistics)', 'hand-written SQL', 'ratio', 'sums agree']];
    const out: Record<string, unknown> = { engine: database.dialect.engine, exposed: n };
    let worst = 0;
    let agree = true;
    for (const [name, e, goal] of [
      ['conversion (7 days)', conv, 'conversion'],
      ['net revenue + CUPED', rev, 'revenue'],
    ] as const) {
      const service = await timed(3, () => experimentResults(deps, ws, e.id));
      const hand = await timed(3, () => baseline(database, ws, e.id, goal));
      const same = service.value.table.rows.every((r) => {
        const b = hand.value.get(r.key);
        return b !== undefined && b.n === r.n && Math.abs(b.sum - r.mean * r.n) <= 1e-6 * Math.max(1, b.sum);
      });
      agree &&= same;
      worst = Math.max(worst, service.ms / hand.ms);
      rows.push([name, secs(service.ms), secs(hand.ms), `${num(service.ms / hand.ms, 2)}×`, same ? 'yes' : 'NO']);
      out[goal] = { serviceMs: service.ms, baselineMs: hand.ms, verdict: service.value.verdict.code };
    }
    heading('results (best of 3)');
    table(rows);
    targets([
      { target: 'service within 1.5× of the hand-written SQL', measured: `${num(worst, 2)}×`, pass: worst <= 1.5 },
      { target: 'both paths count the same profiles and sums', measured: agree ? 'yes' : 'no', pass: agree },
    ]);
    return out;
  } finally {
    await database.close();
    await temp?.drop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
