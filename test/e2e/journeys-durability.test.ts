import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';
import { ENGINES } from '../support/engines.js';
import { createE2eEnvironment, type E2eEnvironment } from '../support/e2e.js';
import pino from 'pino';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServices, journeyDepsOf } from '../../src/server/app.js';
import { createJourney, enterByApi, publishJourney } from '../../src/journeys/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { createWorkspace } from '../../src/platform/workspaces.js';

interface WorkerProcess {
  child: ChildProcess;
  /** Sends the signal (unless the process has already ended) and says how it ended: "exit 0", "signal SIGKILL". */
  stop(signal?: NodeJS.Signals): Promise<string>;
  /** What the process printed (stdout and stderr). */
  output(): string;
}

/** Starts a journey worker process (test/fixtures/journeys/worker.mjs) and waits until it is running. */
async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['test/fixtures/journeys/worker.mjs'], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<string>((r) => child.on('exit', (code, signal) => r(code === null ? `signal ${signal}` : `exit ${code}`)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('journey worker ready')) resolve();
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', () => reject(new Error(`journey worker exited early:\n${out}`)));
  });
  return {
    child,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    output: () => out,
  };
}

const KEY = 'cd'.repeat(32);
const PROFILES = 4_000;

/**
 * Exactly-once sends from the customer's view: a 4,000-profile journey (send, wait, send) runs in
 * a journey worker process (the real services, only the journey worker started) that is killed
 * with SIGKILL at random points and restarted; afterwards every profile has exactly one outbox row
 * per send step (one idempotency key each: what the dispatcher sends, once per key), and every
 * state finished with a gapless step log.
 */
for (const engine of ENGINES) {
  describe(`journey sends survive kill -9 exactly once [${engine}]`, () => {
    let dataDir: string;
    let env: Record<string, string>;
    let place: E2eEnvironment | undefined;
    let worker: WorkerProcess | undefined;
    beforeAll(async () => {
      place = await createE2eEnvironment(engine, {
        prefix: 'journeys',
        encryptionKey: KEY,
        env: { SIYU_LOG_LEVEL: 'warn', SIYU_BOOTSTRAP_WORKSPACE: 'false', SIYU_SEGMENT_WORKER: 'false' },
      });
      ({ dataDir, env } = place);
    });
    afterAll(async () => {
      // A failed or timed-out run must not leave its worker behind.
      if (worker && worker.child.exitCode === null) await worker.stop('SIGKILL');
      await place?.close();
    });

    it('every profile gets each message exactly once across SIGKILLs of the worker process', { timeout: 120_000 }, async () => {
      // Set up in this process: 4,000 profiles, a published journey (send, wait 1 s, send), all entered.
      const services = await createServices(loadConfig({ ...process.env, ...env }), { log: pino({ level: 'silent' }) });
      const { workspace } = await createWorkspace(services.database.db, { name: 'durability' });
      const ws = workspace.id;
      const now = Date.now();
      const rows = Array.from({ length: PROFILES }, (_, i) => ({
        workspace_id: ws,
        id: `prof_dur_${String(i).padStart(5, '0')}`,
        merged_into: null,
        traits: '{}',
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
      await services.database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += 1000) await services.database.dialect.insertMany(trx, 'profiles', rows.slice(i, i + 1000));
      });
      const deps = journeyDepsOf(services);
      const definition = {
        trigger: { type: 'manual' },
        entry: { reentry: 'never' },
        steps: [
          { id: 'first', type: 'send', channel: 'sms', purpose: 'service', content: { templateCode: 'FIRST' }, next: 'pause' },
          { id: 'pause', type: 'wait', duration: { seconds: 1 }, next: 'second' },
          { id: 'second', type: 'send', channel: 'sms', purpose: 'service', content: { templateCode: 'SECOND' } },
        ],
      };
      const journey = await createJourney(deps, ws, { name: 'durability', definition });
      await publishJourney(deps, ws, journey.id);
      for (let i = 0; i < PROFILES; i += 1000) {
        const r = await enterByApi(deps, ws, journey.id, { profileIds: rows.slice(i, i + 1000).map((p) => p.id), key: 'start' });
        expect(r.entered).toBe(1000);
      }
      await services.database.close();

      const progress = async () => {
        const d = openDatabase({ dataDir, databaseUrl: env.DATABASE_URL, poolSize: 1 });
        try {
          const r = await sql<{ states: number; done: number; msgs: number }>`select
            (select count(*) from journey_states) as states,
            (select count(*) from journey_states where status = 'completed') as done,
            (select count(*) from messages where source_kind = 'journey') as msgs`.execute(d.db);
          const x = r.rows[0]!;
          return { states: Number(x.states), done: Number(x.done), msgs: Number(x.msgs) };
        } finally {
          await d.close();
        }
      };

      // Kill the worker at random points while it sends and waits; start a new one each time.
      worker = await startWorker(env);
      const kills: { afterMs: number; at: { states: number; done: number; msgs: number } }[] = [];
      for (let k = 0; k < 5; k++) {
        const afterMs = 200 + Math.floor(Math.random() * 1200);
        await new Promise((r) => setTimeout(r, afterMs));
        await worker.stop('SIGKILL');
        kills.push({ afterMs, at: await progress() });
        worker = await startWorker(env);
      }
      // Let it finish.
      const deadline = Date.now() + 60_000;
      let p = await progress();
      while (p.done < PROFILES && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        p = await progress();
      }
      const last = worker;
      expect(await last.stop('SIGTERM'), last.output()).toBe('exit 0');
      expect(p.done).toBe(PROFILES);
      // At least one kill landed in the middle of the work (entries or sends in progress).
      expect(
        kills.some((k) => k.at.msgs > 0 && k.at.done < PROFILES),
        JSON.stringify(kills),
      ).toBe(true);
      console.log(`[${engine}] kills (progress when killed): ${JSON.stringify(kills)}`);

      const d = openDatabase({ dataDir, databaseUrl: env.DATABASE_URL, poolSize: 1 });
      try {
        const states = await d.db
          .selectFrom('journey_states' as any)
          .select(['subject_id', 'status'])
          .execute();
        expect(states).toHaveLength(PROFILES);
        expect(new Set(states.map((s: any) => s.subject_id)).size).toBe(PROFILES);
        expect(states.filter((s: any) => s.status !== 'completed')).toEqual([]);
        // Exactly one outbox row per (profile, send step), each with its own idempotency key.
        const perStep = await sql<{ source_step: string; profiles: number; rows: number; keys: number }>`
          select source_step, count(distinct profile_id) as profiles, count(*) as rows, count(distinct idempotency_key) as keys
          from messages where source_kind = 'journey' group by source_step order by source_step`.execute(d.db);
        expect(perStep.rows.map((r) => [r.source_step, Number(r.profiles), Number(r.rows), Number(r.keys)])).toEqual([
          ['first', PROFILES, PROFILES, PROFILES],
          ['second', PROFILES, PROFILES, PROFILES],
        ]);
        // And every state's step log is gapless (each step recorded once).
        const log = await sql<{ n: number }>`select count(*) as n from journey_step_log`.execute(d.db);
        expect(Number(log.rows[0]!.n)).toBe(3 * PROFILES);
      } finally {
        await d.close();
      }
    });
  });
}
