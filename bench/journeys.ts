/**
 * Journeys benchmark: N profiles through a 4-step journey (wait 1 h, branch on a trait, send,
 * wait for "Order Completed" with a 1-day timeout) under a virtual clock, on SQLite and (with
 * --database-url) PostgreSQL with one worker and with two worker processes. Baseline in the same
 * run: as many bare single-row UPDATEs of journey_states (batched like the executor) as steps.
 *
 * Phases per run: entry (each state's first visit: the wait sets its timer), +1 h (wait ends,
 * branch, send, wait-for-event starts: 3 steps and a send per profile), +1 day (timeout: 1 step).
 * steps/s counts the 4 steps per profile over the time of all three phases.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import pino from 'pino';
import { createExecutor, createJourney, type Definition, type JourneysHub, publishJourney } from '../src/journeys/index.js';
import { enterSubjects, lockTriggers } from '../src/journeys/enter.js';
import { createHub } from '../src/platform/hub.js';
import { type Database, openDatabase } from '../src/platform/db/database.js';
import { migrateSiyu } from '../src/server/migrations.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import type { BenchOptions, BenchResult } from './types.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { heading, num, secs, table, targets } from './support/report.js';

const T0 = Date.UTC(2026, 10, 3, 4, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BATCH = 200;
const MAX_PROFILES = 100_000;
const TARGET_SQLITE_STEPS = 5_000;
const TARGET_TWO_WORKERS = 1.6;

const DEFINITION = {
  trigger: { type: 'manual' },
  entry: { reentry: 'never' },
  steps: [
    { id: 'wait', type: 'wait', duration: { hours: 1 }, next: 'branch' },
    {
      id: 'branch',
      type: 'branch',
      branches: [{ name: 'vip', rule: { type: 'trait', key: 'vip', op: 'eq', value: true }, next: 'send_vip' }],
      defaultNext: 'send',
    },
    { id: 'send_vip', type: 'send', channel: 'sms', purpose: 'service', content: { templateCode: 'VIP' }, next: 'order' },
    { id: 'send', type: 'send', channel: 'sms', purpose: 'service', content: { templateCode: 'STD' }, next: 'order' },
    { id: 'order', type: 'wait_for_event', event: 'Order Completed', timeout: { days: 1 } },
  ],
};

interface PhaseResult {
  claimed: number;
  steps: number;
  sends: number;
  ms: number;
}

const quietLog = pino({ level: 'silent' });
/** A hub nobody listens to (no dispatcher or worker runs here). */
const hub: JourneysHub = createHub(quietLog);

/** Inserts N profiles, creates and publishes the journey, enters everyone (not timed). */
async function setup(database: Database, n: number, clock: { now: number }): Promise<{ ws: string; journeyId: string }> {
  const { workspace } = await createWorkspace(database.db, { name: `bench-${Date.now()}` });
  const ws = workspace.id;
  const now = clock.now;
  for (let i = 0; i < n; i += 5000) {
    const rows = Array.from({ length: Math.min(5000, n - i) }, (_, k) => ({
      workspace_id: ws,
      id: `prf_${String(i + k).padStart(8, '0')}`,
      merged_into: null,
      traits: JSON.stringify({ vip: (i + k) % 3 === 0 }),
      trait_times: '{}',
      consent: '{}',
      first_seen_at: now,
      last_seen_at: now,
      order_count: 0,
      total_spent_fen: 0,
      first_purchase_at: null,
      last_purchase_at: null,
      created_at: now,
      updated_at: now,
    }));
    await database.db.transaction().execute((trx) => database.dialect.insertMany(trx, 'profiles', rows));
  }
  const deps = { database, now: () => clock.now, log: quietLog, defaultTimeZone: 'Asia/Shanghai', hub };
  const j = await createJourney(deps, ws, { name: 'bench', definition: DEFINITION });
  await publishJourney(deps, ws, j.id);
  const def = DEFINITION as unknown as Definition;
  for (let i = 0; i < n; i += 5000) {
    const cs = Array.from({ length: Math.min(5000, n - i) }, (_, k) => ({
      subjectId: `prf_${String(i + k).padStart(8, '0')}`,
      kind: 'profile' as const,
      entryKey: 'bench',
      context: {},
    }));
    await database.db.transaction().execute(async (trx) => {
      await lockTriggers(trx, database.dialect, ws, now);
      await enterSubjects(trx, database.dialect, { workspaceId: ws, journeyId: j.id, version: 1, definition: def }, cs, now);
    });
  }
  if (database.dialect.engine === 'postgres') await sql`analyze`.execute(database.db);
  return { ws, journeyId: j.id };
}

/** Runs executor passes until nothing is due at `now`. */
async function drain(database: Database, now: number): Promise<PhaseResult> {
  const executor = createExecutor({ database, now: () => now, log: quietLog, defaultTimeZone: 'Asia/Shanghai', hub });
  const out: PhaseResult = { claimed: 0, steps: 0, sends: 0, ms: 0 };
  const t = performance.now();
  for (let pass = 1; ; pass++) {
    const s = await executor.runOnce({ batchSize: BATCH });
    out.claimed += s.claimed;
    out.steps += s.steps;
    out.sends += s.sends;
    if (s.claimed === 0) break;
    // As autovacuum would while the outbox grows (see analyze()); its time counts in the phase.
    if (pass % 25 === 0) await analyze(database);
  }
  out.ms = performance.now() - t;
  return out;
}

const PHASES = [T0, T0 + HOUR, T0 + HOUR + DAY + 1000];

/**
 * PostgreSQL: refresh planner statistics before a phase and every 25 batches, as autovacuum would
 * while tables grow (this server runs with it off or late). Without it, a workspace that had no
 * messages when last analysed gets `messages_source` + filter for the outbox's idempotency-key
 * look-up instead of the unique index: measured 53 ms per look-up at 91,000 rows, ~130 states/s.
 */
async function analyze(database: Database): Promise<void> {
  if (database.dialect.engine === 'postgres') await sql`analyze journey_states, messages, journey_step_log`.execute(database.db);
}

function sum(ps: PhaseResult[]): PhaseResult {
  return ps.reduce((a, p) => ({ claimed: a.claimed + p.claimed, steps: a.steps + p.steps, sends: a.sends + p.sends, ms: a.ms + p.ms }), {
    claimed: 0,
    steps: 0,
    sends: 0,
    ms: 0,
  });
}

/** Bare row updates: as many single-row UPDATEs of journey_states as steps, BATCH per transaction. */
async function baseline(database: Database, ws: string, count: number): Promise<number> {
  const ids = (
    await database.db
      .selectFrom('journey_states' as any)
      .select('id')
      .where('workspace_id', '=', ws)
      .orderBy('id')
      .execute()
  ).map((r: any) => r.id as string);
  const t = performance.now();
  let done = 0;
  while (done < count) {
    await database.db.transaction().execute(async (trx) => {
      for (let k = 0; k < BATCH && done < count; k++, done++) {
        await sql`update journey_states set updated_at = ${done} where workspace_id = ${ws} and id = ${ids[done % ids.length]}`.execute(trx);
      }
    });
  }
  return performance.now() - t;
}

interface EngineRun {
  phases: PhaseResult[];
  total: PhaseResult;
  stepsPerSec: number;
  sendsPerSec: number;
  baselineUpdatesPerSec: number;
  messages: number;
}

async function runEngine(database: Database, n: number, label: string): Promise<EngineRun> {
  const clock = { now: T0 };
  process.stdout.write(`${label}: setting up ${num(n)} profiles and entries...\n`);
  const { ws, journeyId } = await setup(database, n, clock);
  const phases: PhaseResult[] = [];
  for (const now of PHASES) {
    await analyze(database);
    phases.push(await drain(database, now));
  }
  const total = sum(phases);
  const messages = Number(
    (await sql<{ n: number }>`select count(*) as n from messages where workspace_id = ${ws} and source_id = ${journeyId}`.execute(database.db)).rows[0]!.n,
  );
  const baseMs = await baseline(database, ws, total.steps);
  return {
    phases,
    total,
    stepsPerSec: (total.steps / total.ms) * 1000,
    sendsPerSec: (total.sends / phases[1]!.ms) * 1000,
    baselineUpdatesPerSec: (total.steps / baseMs) * 1000,
    messages,
  };
}

/** A worker child process for the multi-process run: runs a phase when told, answers with its counts. */
async function childMain(): Promise<void> {
  const database = openDatabase({ databaseUrl: process.env.SIYU_JOURNEY_BENCH_DB!, dataDir: '.', poolSize: 2 });
  const rl = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of rl) {
    if (line === 'quit') break;
    const now = Number(line);
    const r = await drain(database, now);
    process.stdout.write(JSON.stringify(r) + '\n');
  }
  await database.close();
}

/** Runs the three phases with `workers` child processes on one PostgreSQL database (wall time per phase). */
async function runProcesses(
  url: string,
  n: number,
  workers: number,
): Promise<{ phases: PhaseResult[]; total: PhaseResult; stepsPerSec: number; sendsPerSec: number; messages: number }> {
  const database = openDatabase({ databaseUrl: url, dataDir: '.', poolSize: 4 });
  let ws: string;
  try {
    process.stdout.write(`postgres, ${workers} worker process(es): setting up ${num(n)} profiles and entries...\n`);
    ({ ws } = await setup(database, n, { now: T0 }));
  } finally {
    await database.close();
  }
  const children = await Promise.all(
    Array.from({ length: workers }, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/journeys.ts'], {
        env: { ...process.env, SIYU_JOURNEY_BENCH_CHILD: '1', SIYU_JOURNEY_BENCH_DB: url },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const first = await lines.next();
      if (first.value !== 'ready') throw new Error(`journey bench worker did not start: ${String(first.value)}`);
      return { child, lines };
    }),
  );
  const phases: PhaseResult[] = [];
  const admin = openDatabase({ databaseUrl: url, dataDir: '.', poolSize: 1 });
  for (const now of PHASES) {
    await analyze(admin);
    const t = performance.now();
    const results = await Promise.all(
      children.map(async (c) => {
        c.child.stdin!.write(`${now}\n`);
        return JSON.parse((await c.lines.next()).value as string) as PhaseResult;
      }),
    );
    phases.push({ ...sum(results), ms: performance.now() - t });
  }
  await admin.close();
  for (const c of children) c.child.stdin!.end('quit\n');
  const total = sum(phases);
  // No double work: one message per profile, whatever the number of workers.
  const check = openDatabase({ databaseUrl: url, dataDir: '.', poolSize: 1 });
  const messages = Number((await sql<{ n: number }>`select count(*) as n from messages where workspace_id = ${ws}`.execute(check.db)).rows[0]!.n);
  await check.close();
  return { phases, total, stepsPerSec: (total.steps / total.ms) * 1000, sendsPerSec: (total.sends / phases[1]!.ms) * 1000, messages };
}

/** The benchmark (`npm run bench -- journeys [--profiles N] [--database-url URL]`). */
export async function runJourneysBench(o: BenchOptions): Promise<BenchResult> {
  const n = Math.min(o.profiles, MAX_PROFILES);
  const result: BenchResult = { profiles: n };
  const dir = mkdtempSync(join(o.tmpDir, 'siyu-bench-journeys-'));
  try {
    const sqlite = openDatabase({ dataDir: dir });
    await migrateSiyu(sqlite.db, 'sqlite');
    try {
      result.sqlite = await runEngine(sqlite, n, 'sqlite');
    } finally {
      await sqlite.close();
    }
    if (o.databaseUrl) {
      const temp = await createTempDatabase(o.databaseUrl, 'siyu_bench_journeys');
      try {
        const pg = openDatabase({ databaseUrl: temp.url, dataDir: dir, poolSize: 4 });
        await migrateSiyu(pg.db, 'postgres');
        try {
          result.postgres = await runEngine(pg, n, 'postgres');
        } finally {
          await pg.close();
        }
        result.postgresTwoWorkers = await runProcesses(temp.url, n, 2);
        result.postgresOneWorkerProcess = await runProcesses(temp.url, n, 1);
        result.database = describeUrl(o.databaseUrl);
      } finally {
        await temp.drop();
      }
    }
  } finally {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  report(result);
  return result;
}

function report(r: BenchResult): void {
  heading(
    `Journeys: ${num(r.profiles as number)} profiles x 4 steps (wait, branch, send, wait-for-event with timeout), virtual clock, ${BATCH} states per transaction`,
  );
  const rows: string[][] = [['run', 'entry', '+1 h (3 steps + send)', '+1 day (timeout)', 'steps/s', 'sends/s', 'bare updates/s']];
  for (const [name, key] of [
    ['SQLite, 1 worker', 'sqlite'],
    ['PostgreSQL, 1 worker (in-process)', 'postgres'],
    ['PostgreSQL, 1 worker process', 'postgresOneWorkerProcess'],
    ['PostgreSQL, 2 worker processes', 'postgresTwoWorkers'],
  ] as const) {
    const e = r[key] as (EngineRun & { baselineUpdatesPerSec?: number }) | undefined;
    if (!e) continue;
    rows.push([
      name,
      secs(e.phases[0]!.ms),
      secs(e.phases[1]!.ms),
      secs(e.phases[2]!.ms),
      num(e.stepsPerSec),
      num(e.sendsPerSec),
      e.baselineUpdatesPerSec ? num(e.baselineUpdatesPerSec) : '-',
    ]);
  }
  table(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']);
  const s = r.sqlite as EngineRun;
  const t = [{ target: `≥ ${num(TARGET_SQLITE_STEPS)} steps/s on SQLite`, measured: num(s.stepsPerSec), pass: s.stepsPerSec >= TARGET_SQLITE_STEPS }];
  const one = r.postgresOneWorkerProcess as EngineRun | undefined;
  const two = r.postgresTwoWorkers as EngineRun | undefined;
  if (one && two)
    t.push({
      target: `2 worker processes ≥ ${TARGET_TWO_WORKERS}× one (PostgreSQL)`,
      measured: `${(two.stepsPerSec / one.stepsPerSec).toFixed(2)}×`,
      pass: two.stepsPerSec / one.stepsPerSec >= TARGET_TWO_WORKERS,
    });
  targets(t);
  for (const key of ['sqlite', 'postgres', 'postgresOneWorkerProcess', 'postgresTwoWorkers'] as const) {
    const e = r[key] as EngineRun | undefined;
    if (e && e.messages !== (r.profiles as number)) process.stdout.write(`WARNING: ${key}: ${e.messages} messages for ${r.profiles} profiles\n`);
  }
}

if (process.env.SIYU_JOURNEY_BENCH_CHILD === '1') {
  await childMain();
}
