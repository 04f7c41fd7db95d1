/**
 * The second phase of `siyu bench clv`: the whole scheduled job on a database (SQLite, or
 * PostgreSQL with --database-url) over the simulated histories, written straight into cdp's
 * profiles and orders tables (the benchmark measures the CLV job, not ingestion): read the orders,
 * fit, store the predictions, write the three traits on every buyer. Baseline in the same run:
 * reading the order rows alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { InsightDeps } from '../src/insight/index.js';
import { fitWorkspaceClv } from '../src/insight/index.js';
import { readOrders } from '../src/insight/clv/clv.repo.js';
import { openDatabase } from '../src/platform/db/database.js';
import { createHub } from '../src/platform/hub.js';
import { createKeyResolver, createWorkspace } from '../src/platform/workspaces.js';
import { migrateSiyu } from '../src/server/migrations.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { heading, num, secs, table } from './support/report.js';
import type { BenchOptions } from './types.js';

/** A simulated customer's history: T weeks observed; purchase times in weeks after the first (0 first) and values in dollars. */
export interface History {
  T: number;
  times: number[];
  values: number[];
}

const NOW = Date.UTC(2026, 10, 1, 4, 0, 0);
const WEEK = 7 * 86_400_000;
const profileId = (i: number) => `prf_0C${String(i).padStart(24, '0')}`;

/** Writes the histories as profiles and orders (the first purchase T weeks before NOW), in chunk transactions. */
async function load(database: ReturnType<typeof openDatabase>, ws: string, histories: History[]): Promise<number> {
  let orders = 0;
  for (let start = 0; start < histories.length; start += 2_000) {
    const profiles: Record<string, unknown>[] = [];
    const rows: Record<string, unknown>[] = [];
    histories.slice(start, start + 2_000).forEach((h, k) => {
      const i = start + k;
      const first = Math.round(NOW - h.T * WEEK);
      const times = h.times.map((t) => first + Math.round(t * WEEK));
      const fen = h.values.map((v) => Math.max(1, Math.round(v * 100)));
      profiles.push({
        workspace_id: ws,
        id: profileId(i),
        merged_into: null,
        traits: '{}',
        trait_times: '{}',
        consent: '{}',
        first_seen_at: first,
        last_seen_at: times[times.length - 1],
        order_count: times.length,
        total_spent_fen: fen.reduce((a, v) => a + v, 0),
        first_purchase_at: first,
        last_purchase_at: times[times.length - 1],
        created_at: first,
        updated_at: times[times.length - 1],
      });
      times.forEach((at, j) => {
        const id = `o${i}-${j}`;
        rows.push({ workspace_id: ws, order_id: id, profile_id: profileId(i), message_id: `m-${id}`, total_fen: fen[j], currency: 'CNY', ordered_at: at });
      });
    });
    await database.db.transaction().execute(async (trx) => {
      await database.dialect.insertMany(trx, 'profiles', profiles);
      await database.dialect.insertMany(trx, 'orders', rows);
    });
    orders += rows.length;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return orders;
}

/** Runs the job phase (see the file comment); returns its figures. */
export async function runClvJobBench(o: BenchOptions, histories: History[]): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-clv-'));
  const temp = o.databaseUrl ? await createTempDatabase(o.databaseUrl) : undefined;
  const database = openDatabase({ dataDir, databaseUrl: temp?.url, poolSize: 2 });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    heading(`the scheduled job on ${o.databaseUrl ? `PostgreSQL at ${describeUrl(o.databaseUrl)}` : 'SQLite'}`);
    const ws = (await createWorkspace(database.db, { name: 'bench clv' })).workspace.id;
    let t = performance.now();
    const orders = await load(database, ws, histories);
    const loadMs = performance.now() - t;
    const log = pino({ level: 'silent' });
    const deps: InsightDeps = {
      database,
      now: () => NOW,
      log,
      hub: createHub(log),
      keys: createKeyResolver(database.db),
      timeZoneOf: async () => 'Asia/Shanghai',
      resolveProfile: async () => {
        throw new Error('not used by the job');
      },
    };
    t = performance.now();
    const read = await readOrders(database.db, ws, 'CNY');
    const readMs = performance.now() - t;
    t = performance.now();
    const report = await fitWorkspaceClv(deps, ws);
    const jobMs = performance.now() - t;
    const computeMs = report.model.durationMs;
    table(
      [
        ['step', 'time', 'vs reading the orders'],
        [`load ${num(histories.length)} profiles and ${num(orders)} orders (setup)`, secs(loadMs), ''],
        [`baseline: read the ${num(read.length)} order rows`, secs(readMs), '1×'],
        ['job: read, prepare, fit both models, predict', secs(computeMs), `${num(computeMs / readMs, 1)}×`],
        [`job: store predictions, write traits on ${num(report.traitsWritten)} profiles`, secs(jobMs - computeMs), `${num((jobMs - computeMs) / readMs, 1)}×`],
        ['job: total', secs(jobMs), `${num(jobMs / readMs, 1)}×`],
      ],
      ['l', 'r', 'r'],
    );
    return { orders, loadMs, readMs, computeMs, jobMs, traitsWritten: report.traitsWritten };
  } finally {
    await database.close();
    await temp?.drop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
