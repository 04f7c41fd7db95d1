/**
 * `siyu bench retention`: the retention job purging --old-events raw events older than the
 * default period (three years) from a workspace that also holds a quarter as many recent events,
 * against a bare `DELETE FROM events WHERE workspace_id = ? AND timestamp < ?` of the same rows
 * (the same generated events, in a second workspace of the same table), in the same run. The job
 * deletes in batches of 2,000 rows, one short transaction each; the bare DELETE is one
 * transaction holding its locks to the end. Both on SQLite, or PostgreSQL with --database-url.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { cdpRetention } from '../src/cdp/index.js';
import { complianceRetention, runRetention } from '../src/compliance/index.js';
import { MESSAGE_DELIVERY_EVENTS, messagingRetention } from '../src/messaging/index.js';
import { type Database, openDatabase } from '../src/platform/db/database.js';
import { WECOM_EVENTS } from '../src/platform/event-names.js';
import type { RetentionPurger } from '../src/platform/retention.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import { migrateSiyu } from '../src/server/migrations.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { createRandom } from './support/random.js';
import { heading, num, secs, table, targets } from './support/report.js';
import type { BenchOptions, BenchResult } from './types.js';

const NOW = Date.UTC(2026, 10, 1, 4, 0, 0);
const DAY = 86_400_000;
const NAMES = ['Product Viewed', 'Page Viewed', 'Product Added', 'Order Completed', 'Coupon Used', 'Signed In', 'Search', 'Checkout Started'];
const ARCHIVE = [WECOM_EVENTS.messageSent, WECOM_EVENTS.messageReceived];

/** Writes `old` events of 2019–2022 and `old / 4` of the last month into workspace `ws`, the same rows for the same seed. */
async function load(database: Database, ws: string, old: number, seed: number): Promise<void> {
  const r = createRandom(seed);
  const total = old + Math.floor(old / 4);
  for (let start = 0; start < total; start += 2_000) {
    const rows: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(total, start + 2_000); i++) {
      const isOld = i < old;
      const at = isOld ? Date.UTC(2019, 0, 1) + r.int(3 * 365) * DAY + r.int(DAY) : NOW - r.int(30) * DAY;
      const person = r.int(20_000);
      const kind = r.int(10);
      const event = kind === 0 ? null : kind === 1 ? r.pick(MESSAGE_DELIVERY_EVENTS) : kind === 2 ? r.pick(ARCHIVE) : r.pick(NAMES);
      rows.push({
        workspace_id: ws,
        message_id: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
        profile_id: `prf_${String(person).padStart(26, '0')}`,
        type: event === null ? 'identify' : 'track',
        event,
        user_id: `u${person}`,
        anonymous_id: null,
        timestamp: at,
        received_at: at + r.int(5_000),
        payload: JSON.stringify({ properties: { sku: `SKU-${r.int(5_000)}`, price: r.int(50_000) / 100, channel: 'mini-program', note: r.hex(120) } }),
      });
    }
    await database.db.transaction().execute((trx) => database.dialect.insertMany(trx, 'events', rows));
  }
}

const count = async (database: Database, ws: string) =>
  Number(
    (
      await database.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', ws)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Purgers timed batch by batch (the longest transaction is the longest time any lock is held). */
function timed(purgers: RetentionPurger[], batches: number[]): RetentionPurger[] {
  return purgers.map((p) => ({
    ...p,
    purgeBatch: async (ws, cutoff, limit) => {
      const t = performance.now();
      const b = await p.purgeBatch(ws, cutoff, limit);
      batches.push(performance.now() - t);
      return b;
    },
  }));
}

/** Runs the benchmark (see the file comment). */
export async function runRetentionBench(o: BenchOptions): Promise<BenchResult> {
  const n = o.oldEvents;
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-retention-'));
  const temp = o.databaseUrl ? await createTempDatabase(o.databaseUrl) : undefined;
  const database = openDatabase({ dataDir, databaseUrl: temp?.url, poolSize: 2 });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    heading(`retention: ${num(n)} old events of ${num(n + Math.floor(n / 4))} on ${o.databaseUrl ? `PostgreSQL at ${describeUrl(o.databaseUrl)}` : 'SQLite'}`);
    const job = (await createWorkspace(database.db, { name: 'bench retention job' })).workspace.id;
    const bare = (await createWorkspace(database.db, { name: 'bench retention bare' })).workspace.id;
    let t = performance.now();
    await load(database, job, n, o.seed);
    await load(database, bare, n, o.seed);
    const loadMs = performance.now() - t;
    if (database.dialect.needsAnalyze) await sql`analyze events`.execute(database.db);

    const batches: number[] = [];
    const now = () => NOW;
    const purgers = timed(
      [
        ...cdpRetention({ database, now }, { delivery: MESSAGE_DELIVERY_EVENTS, archive: ARCHIVE }),
        ...messagingRetention({ database, now }),
        ...complianceRetention({ database }),
      ],
      batches,
    );
    t = performance.now();
    const run = await runRetention({ database, now, log: pino({ level: 'silent' }), purgers }, job, { trigger: 'cli' });
    const jobMs = performance.now() - t;
    const purged = run!.kinds.reduce((a, k) => a + k.rows, 0);

    // The bare DELETE: each kind's cutoff (events 3 years, delivery and archive 1 year), one statement each, in one transaction.
    t = performance.now();
    const bareRows = await database.db.transaction().execute(async (trx) => {
      let rows = 0;
      for (const k of run!.kinds.filter((x) => x.rows > 0)) {
        const names = k.kind === 'deliveryLogs' ? [...MESSAGE_DELIVERY_EVENTS] : k.kind === 'conversationArchive' ? ARCHIVE : undefined;
        let q = trx.deleteFrom('events').where('workspace_id', '=', bare).where('timestamp', '<', Date.parse(k.cutoff!));
        q = names
          ? q.where('event', 'in', names)
          : q.where((eb) => eb.or([eb('event', 'is', null), eb('event', 'not in', [...MESSAGE_DELIVERY_EVENTS, ...ARCHIVE])]));
        rows += Number((await q.executeTakeFirst()).numDeletedRows);
      }
      return rows;
    });
    const bareMs = performance.now() - t;
    const [leftJob, leftBare] = [await count(database, job), await count(database, bare)];
    const longest = Math.max(...batches);
    table(
      [
        ['step', 'rows', 'time', 'rows/s', 'longest transaction'],
        ['load both workspaces (setup)', num(2 * (n + Math.floor(n / 4))), secs(loadMs), '', ''],
        ['baseline: bare DELETE (one transaction)', num(bareRows), secs(bareMs), num((bareRows / bareMs) * 1000), secs(bareMs)],
        [`retention job (${num(batches.length)} batches)`, num(purged), secs(jobMs), num((purged / jobMs) * 1000), secs(longest)],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    );
    const ratio = bareMs / jobMs;
    targets([
      {
        target: 'same rows purged, same rows left',
        measured: `${num(purged)} / ${num(bareRows)}; left ${num(leftJob)} / ${num(leftBare)}`,
        pass: purged === bareRows && leftJob === leftBare,
      },
      { target: 'job ≥ 0.3× the bare DELETE’s rate', measured: `${num(ratio, 2)}×`, pass: ratio >= 0.3 },
      { target: 'no transaction of the job over 1 s', measured: secs(longest), pass: longest < 1_000 },
    ]);
    return { oldEvents: n, purged, bareRows, loadMs, jobMs, bareMs, ratio, batches: batches.length, longestBatchMs: longest };
  } finally {
    await database.close();
    await temp?.drop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
