import { createHub } from '../src/platform/hub.js';
/**
 * `siyu bench coupons`: bulk code generation (one request: the template's lock, stock check,
 * ON CONFLICT on the unique code, 5,000 rows a statement) against bare insertMany of the same rows;
 * then issues and redemptions through the service (one transaction each: template or order and
 * coupon locks, idempotency key, limits, timeline event) against bare inserts/updates of the same
 * rows in their own transactions, in the same database and run (each service phase followed by
 * its baseline, after the bulk writes have settled).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { createTemplate, generateCodes, issueCoupon, type LoyaltyDeps, randomCodes, redeemCoupon } from '../src/loyalty/index.js';
import { createTokenSigner } from '../src/platform/crypto.js';
import { openDatabase } from '../src/platform/db/database.js';
import { newId } from '../src/platform/ids.js';
import { createWorkspace, type KeyResolver } from '../src/platform/workspaces.js';
import { migrateSiyu } from '../src/server/migrations.js';
import type { BenchOptions, BenchResult } from './types.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { heading, mb, num, percentile, progress, secs, table, targets } from './support/report.js';

const MEMBERS = 1_000;
const NOW = Date.UTC(2026, 10, 3, 4, 0, 0);
const TARGET = { generateMs: 10_000, ratio: 0.5 };

/** Runs `clients` loops over `count` indexes (each index once); returns the wall time and each operation's latency. */
async function runClients(count: number, clients: number, op: (i: number) => Promise<void>, label: string): Promise<{ ms: number; lat: number[] }> {
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

/** A coupon row as the baseline writes it (the columns the service writes). */
function couponRow(ws: string, templateId: string, code: string, profileId: string | null) {
  return {
    workspace_id: ws,
    id: newId('cpn', NOW),
    template_id: templateId,
    code,
    profile_id: profileId,
    status: profileId ? ('issued' as const) : ('unassigned' as const),
    channel: profileId ? ('api' as const) : ('generated' as const),
    issue_key: null,
    batch_id: null,
    reason: null,
    issued_at: profileId ? NOW : null,
    valid_from: null,
    valid_until: NOW + 30 * 86_400_000,
    redemption_id: null,
    created_at: NOW,
    updated_at: NOW,
  };
}

/** The benchmark (see the file comment). */
// size: one benchmark's phases in order, each a few lines, with its report
export async function runCouponsBench(o: BenchOptions): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-coupons-'));
  const temp = o.databaseUrl ? await createTempDatabase(o.databaseUrl) : undefined;
  const database = openDatabase({ dataDir, databaseUrl: temp?.url, poolSize: Math.max(2, o.concurrency) });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    heading('siyu bench coupons');
    table(
      [
        ['setting', 'value'],
        ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
        ['database', o.databaseUrl ? `PostgreSQL at ${describeUrl(o.databaseUrl)}` : 'SQLite (WAL, synchronous=NORMAL)'],
        ['work', `${num(o.codes)} codes in one request; ${num(o.redemptions)} issues then redemptions over ${num(MEMBERS)} members, ${o.concurrency} clients`],
      ],
      ['l', 'l'],
    );
    const ws = (await createWorkspace(database.db, { name: 'bench coupons' })).workspace.id;
    const deps: LoyaltyDeps = {
      database,
      now: () => NOW,
      log: pino({ level: 'silent' }),
      keys: {} as KeyResolver,
      resolveProfile: async (_ws, ref) => ref,
      defaultTimeZone: 'Asia/Shanghai',
      claimTokens: createTokenSigner(Buffer.alloc(32, 3), 'bench'),
      memberTokens: (w) => createTokenSigner(Buffer.alloc(32, 1), `member:${w}`),
      timeZoneOf: async () => 'Asia/Shanghai',
      hub: createHub(pino({ level: 'silent' })),
    };
    const bulk = await createTemplate(deps, ws, { key: 'bulk', name: 'printed', kind: 'fixed', amountFen: 500, validity: { days: 30 } });
    let t = performance.now();
    await generateCodes(deps, ws, bulk.id, { count: o.codes, idempotencyKey: 'bench' });
    const generateMs = performance.now() - t;
    const stored = await database.db
      .selectFrom('coupons')
      .select((eb) => eb.fn.count<number>('code').distinct().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();

    // Baseline: the same number of rows, bare insertMany 5,000 a statement in one transaction, no conflict handling, no lock.
    const baseWs = (await createWorkspace(database.db, { name: 'bench coupons baseline' })).workspace.id;
    t = performance.now();
    await database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < o.codes; i += 5000) {
        const codes = randomCodes(Math.min(5000, o.codes - i));
        await database.dialect.insertMany(
          trx,
          'coupons',
          codes.map((c) => couponRow(baseWs, 'cpt_base', c, null)),
        );
      }
    });
    const bareGenerateMs = performance.now() - t;

    // The bulk writes settle before the per-operation phases, so neither side pays for the other's
    // (SQLite: the WAL of 2 × codes rows checkpointed; PostgreSQL: statistics of the grown tables).
    if (database.dialect.engine === 'sqlite') await sql`pragma wal_checkpoint(truncate)`.execute(database.db);
    else await sql`analyze`.execute(database.db);

    await createTemplate(deps, ws, { key: 'r', name: '¥10 off ¥50', kind: 'threshold', amountFen: 1000, thresholdFen: 5000, validity: { days: 30 } });
    const member = (i: number) => `prf_bench${String(i % MEMBERS).padStart(6, '0')}`;
    const codes: string[] = new Array(o.redemptions);
    const issues = await runClients(
      o.redemptions,
      o.concurrency,
      async (i) => {
        codes[i] = (await issueCoupon(deps, ws, { template: 'r', profile: member(i), idempotencyKey: `issue-${i}` })).coupon.code;
      },
      'service issues',
    );
    // Baselines: one bare insert of a coupon row per transaction; one redemption row inserted and its coupon updated per transaction.
    const baseIds: string[] = new Array(o.redemptions);
    const bareIssues = await runClients(
      o.redemptions,
      o.concurrency,
      async (i) => {
        const row = couponRow(baseWs, 'cpt_base_r', `R${randomCodes(1)[0]}`, member(i));
        baseIds[i] = row.id;
        await database.db.transaction().execute((trx) => trx.insertInto('coupons').values(row).execute());
      },
      'bare issue inserts',
    );
    const redemptions = await runClients(
      o.redemptions,
      o.concurrency,
      async (i) => {
        await redeemCoupon(deps, ws, { code: codes[i]!, profile: member(i), orderId: `o-${i}`, orderAmountFen: 8800, idempotencyKey: `redeem-${i}` });
      },
      'service redemptions',
    );
    const bareRedemptions = await runClients(
      o.redemptions,
      o.concurrency,
      async (i) => {
        await database.db.transaction().execute(async (trx) => {
          const id = newId('cpr', NOW);
          await trx
            .insertInto('coupon_redemptions')
            .values({
              workspace_id: baseWs,
              id,
              coupon_id: baseIds[i]!,
              template_id: 'cpt_base_r',
              profile_id: member(i),
              order_id: `o-${i}`,
              order_amount_fen: 8800,
              discount_fen: 1000,
              idempotency_key: `redeem-${i}`,
              request_hash: 'h',
              redeemed_at: NOW,
              reversed_at: null,
              reverse_reason: null,
            })
            .execute();
          await trx
            .updateTable('coupons')
            .set({ status: 'redeemed', redemption_id: id, updated_at: NOW })
            .where('workspace_id', '=', baseWs)
            .where('id', '=', baseIds[i]!)
            .execute();
        });
      },
      'bare redemption writes',
    );
    const peakRssKb = process.resourceUsage().maxRSS;
    const per = (n: number, ms: number) => (n / ms) * 1000;
    const line = (name: string, n: number, r: { ms: number; lat: number[] }) => [
      name,
      secs(r.ms),
      num(per(n, r.ms)),
      `${num(percentile(r.lat, 0.5), 2)} ms`,
      `${num(percentile(r.lat, 0.99), 2)} ms`,
    ];
    heading('results');
    table([
      ['path', 'time', 'per second', 'p50', 'p99'],
      ['bulk generation (service, one request)', secs(generateMs), num(per(o.codes, generateMs)), '', ''],
      ['bulk generation (bare insertMany)', secs(bareGenerateMs), num(per(o.codes, bareGenerateMs)), '', ''],
      line('issues (service)', o.redemptions, issues),
      line('issues (bare insert)', o.redemptions, bareIssues),
      line('redemptions (service)', o.redemptions, redemptions),
      line('redemptions (bare insert + update)', o.redemptions, bareRedemptions),
    ]);
    const ratio = bareRedemptions.ms / redemptions.ms;
    targets([
      { target: `${num(o.codes)} codes generated < ${secs(TARGET.generateMs)}`, measured: secs(generateMs), pass: generateMs < TARGET.generateMs },
      { target: 'every generated code distinct and stored', measured: `${num(Number(stored.n))} of ${num(o.codes)}`, pass: Number(stored.n) === o.codes },
      { target: `redemptions ≥${TARGET.ratio}× bare writes`, measured: `${num(ratio, 2)}×`, pass: ratio >= TARGET.ratio },
      { target: 'issues vs bare inserts (information)', measured: `${num(bareIssues.ms / issues.ms, 2)}×`, pass: undefined },
      { target: 'peak RSS of the process (information)', measured: mb(peakRssKb), pass: undefined },
    ]);
    return {
      engine: database.dialect.engine,
      codes: o.codes,
      generateMs,
      bareGenerateMs,
      redemptions: o.redemptions,
      issuesPerSecond: per(o.redemptions, issues.ms),
      bareIssuesPerSecond: per(o.redemptions, bareIssues.ms),
      redemptionsPerSecond: per(o.redemptions, redemptions.ms),
      bareRedemptionsPerSecond: per(o.redemptions, bareRedemptions.ms),
      redemptionRatio: ratio,
      peakRssKb,
    };
  } finally {
    await database.close();
    await temp?.drop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
