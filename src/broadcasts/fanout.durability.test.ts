import { type ChildProcess, spawn } from 'node:child_process';
import { sql } from 'kysely';
import pino from 'pino';
import { openDatabase } from '../platform/db/database.js';
import { createBroadcastWorker } from './worker.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { messagingTestApp } from '../messaging/test-kit.js';
import { recomputeSegment } from '../segments/index.js';
import type { Kysely } from 'kysely';
import type { MessagingDB } from '../messaging/index.js';
import type { BroadcastsDB } from './schema.js';
import { runChunk } from './fanout.js';

/** The test reads broadcasts' and messaging's tables side by side. */
const bdb = (db: unknown) => db as Kysely<BroadcastsDB & MessagingDB>;

const PROFILES = 2_000;

/**
 * A worker process killed with SIGKILL at random moments of a fan-out, again and again, then
 * left to finish: every member of the audience ends with exactly one outbox message, and the
 * broadcast's counters match the outbox.
 */
describeEngines('broadcast fan-out survives kill -9', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let segmentId: string;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    for (let from = 0; from < PROFILES; from += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) => ({ type: 'identify', userId: `u${from + j}`, traits: { plan: 'vip' }, messageId: `m${from + j}` }));
      const res = await k.t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(k.t.writeKey) }, payload: { batch } });
      expect(res.statusCode).toBe(200);
    }
    const seg = await k.api('POST', '/v1/segments', { name: 'VIP', rule: { type: 'trait', key: 'plan', op: 'eq', value: 'vip' } });
    segmentId = seg.body.id;
    await recomputeSegment(k.t.services.membership, k.t.workspaceId, segmentId, { lagMs: 0 });
  });
  afterAll(async () => k?.close());

  it('resumes after repeated kill -9 with one message per member, no gaps, no duplicates', async () => {
    const b = await k.api('POST', '/v1/broadcasts', { name: 'crash', channel: 'webhook', segmentId, holdoutPercent: 10, content: { body: { hi: 'x' } } });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect((await k.api('POST', `/v1/broadcasts/${b.body.id}/send-now`, {})).status).toBe(200);

    const db = bdb(k.t.database.db);
    const progress = async () =>
      await db.selectFrom('broadcasts').select(['enqueued', 'holdout_count', 'status']).where('id', '=', b.body.id).executeTakeFirstOrThrow();
    const searchPath = engine === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(k.t.database.db)).rows[0]!.s : undefined;
    const arg = JSON.stringify({
      dataDir: (k.t.database as { dataDir?: string }).dataDir,
      databaseUrl: engine === 'postgres' ? process.env.SIYU_TEST_POSTGRES_URL : undefined,
      searchPath,
      now: k.t.clock.now(),
      chunkSize: 20,
    });
    const start = (): { child: ChildProcess; exited: Promise<number | null> } => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/broadcasts/fanout.child.ts', arg], {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((r) =>
        child.on('exit', (code) => {
          if (code) process.stderr.write(`fanout child exited ${code}:\n${err}\n`);
          r(code);
        }),
      );
      return { child, exited };
    };

    // Kill three times, each at a random moment after the fan-out made progress in this run.
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const before = (await progress()).enqueued;
      const { child, exited } = start();
      const deadline = Date.now() + 30_000;
      while ((await progress()).enqueued === before && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await exited;
      if ((await progress()).status === 'sent') break;
    }
    expect(kills, 'the fan-out finished before it could be interrupted').toBeGreaterThan(0);
    // Left to finish (a round after the last kill may already have finished it: bulk enqueue
    // made chunks fast, so that is timing, not a failure).
    if ((await progress()).status === 'sending') {
      const last = start();
      expect(await last.exited).toBe(0);
    }

    const final = await progress();
    const counts = await db
      .selectFrom('messages')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.count('profile_id').distinct().as('people')])
      .where('workspace_id', '=', k.t.workspaceId)
      .where('source_kind', '=', 'broadcast')
      .where('source_id', '=', b.body.id)
      .executeTakeFirstOrThrow();
    expect(final.status).toBe('sent');
    expect(final.holdout_count).toBeGreaterThan(0);
    expect(final.enqueued + final.holdout_count).toBe(PROFILES);
    expect([Number(counts.n), Number(counts.people)]).toEqual([final.enqueued, final.enqueued]);
    // The snapshot names every member once: a message for each outside the holdout, none inside.
    const snap = await db
      .selectFrom('broadcast_recipients as r')
      .leftJoin('messages as m', (j) => j.onRef('m.workspace_id', '=', 'r.workspace_id').onRef('m.id', '=', 'r.message_id'))
      .select((eb) => ['r.holdout', eb.fn.countAll().as('n'), eb.fn.count('m.id').as('messages')])
      .where('r.broadcast_id', '=', b.body.id)
      .groupBy('r.holdout')
      .orderBy('r.holdout')
      .execute();
    expect(snap.map((r) => [Number(r.holdout), Number(r.n), Number(r.messages)])).toEqual([
      [0, final.enqueued, final.enqueued],
      [1, final.holdout_count, 0],
    ]);
  }, 60_000);

  it('lets several workers share fan-outs without double enqueues (row lock, SKIP LOCKED on PostgreSQL)', async () => {
    const ids: string[] = [];
    for (const name of ['parallel A', 'parallel B']) {
      const b = await k.api('POST', '/v1/broadcasts', { name, channel: 'webhook', segmentId, content: { body: { hi: 'x' } } });
      await k.api('POST', `/v1/broadcasts/${b.body.id}/send-now`, {});
      ids.push(b.body.id);
    }
    // PostgreSQL: a second connection pool, as a second process would have. SQLite runs one
    // worker per process; two in one process share its single connection.
    const second =
      engine === 'postgres'
        ? openDatabase({
            dataDir: (k.t.database as { dataDir?: string }).dataDir!,
            databaseUrl: process.env.SIYU_TEST_POSTGRES_URL,
            searchPath: (await sql<{ s: string }>`select current_schema() as s`.execute(k.t.database.db)).rows[0]!.s,
            poolSize: 2,
          })
        : undefined;
    const log = pino({ level: 'silent' });
    try {
      if (second) {
        // While another process holds a broadcast's row, a worker skips it at once instead of waiting.
        await k.t.database.db.transaction().execute(async (trx) => {
          await sql`select id from broadcasts where id = ${ids[0]} for update`.execute(trx);
          expect(await runChunk({ database: second, now: () => k.t.clock.now(), log, hub: k.t.services.hub }, k.t.workspaceId, ids[0]!)).toMatchObject({
            state: 'skipped',
          });
        });
      }
      const workers = [k.t.database, second ?? k.t.database].map((database) =>
        createBroadcastWorker({ database, now: () => k.t.clock.now(), log, hub: k.t.services.hub }, { chunkSize: 50 }),
      );
      const totals = { enqueued: 0, duplicates: 0, chunks: 0 };
      for (let round = 0; round < 20; round++) {
        for (const p of await Promise.all(workers.map((w) => w.runOnce()))) {
          totals.enqueued += p.enqueued;
          totals.duplicates += p.duplicates;
          totals.chunks += p.chunks;
        }
        const open = await bdb(k.t.database.db).selectFrom('broadcasts').select('id').where('id', 'in', ids).where('status', '!=', 'sent').execute();
        if (open.length === 0) break;
      }
      for (const id of ids)
        expect((await k.api('GET', `/v1/broadcasts/${id}`)).body).toMatchObject({ status: 'sent', progress: { enqueued: PROFILES, total: PROFILES } });
      // Every chunk committed once: 2,000 profiles in chunks of 50, plus the empty closing chunk, per broadcast.
      expect(totals).toEqual({ enqueued: 2 * PROFILES, duplicates: 0, chunks: 2 * (PROFILES / 50 + 1) });
      for (const id of ids) {
        const n = await bdb(k.t.database.db)
          .selectFrom('messages')
          .select((eb) => [eb.fn.countAll().as('n'), eb.fn.count('profile_id').distinct().as('p')])
          .where('source_id', '=', id)
          .executeTakeFirstOrThrow();
        expect([Number(n.n), Number(n.p)]).toEqual([PROFILES, PROFILES]);
      }
    } finally {
      await second?.close();
    }
  });
});
