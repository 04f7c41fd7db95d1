/**
 * `siyu bench loyalty`: the points ledger's postings through the service (lock the account, check
 * the key, expire, consume lots, append, timeline event; one transaction each) against bare inserts
 * of the same rows (entry, event, account) in their own transactions, in the same database and run;
 * `verify` over everything the service wrote; 1,000 concurrent one-point redemptions against one
 * member (issue #17's check, timed); then the expiry job and the earning rules (loyalty-earning.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { postWithRetries, verifyBalances } from '../src/loyalty/index.js';
import { type Database, openDatabase } from '../src/platform/db/database.js';
import type { Kysely } from 'kysely';
import type { DB } from '../src/platform/db/schema.js';
import { newId } from '../src/platform/ids.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import { migrateSiyu } from '../src/server/migrations.js';
import type { BenchOptions, BenchResult } from './types.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { heading, mb, num, percentile, progress, secs, table, targets } from './support/report.js';
import { benchExpiry, benchRules } from './loyalty-earning.js';

const MEMBERS = 1_000;
const NOW = Date.UTC(2026, 10, 1, 4, 0, 0);

/** Runs `clients` loops over the indexes `from` to `to` - 1 (each once); returns the wall time and each operation's latency. */
async function runClients(from: number, to: number, clients: number, op: (i: number) => Promise<void>): Promise<{ ms: number; lat: number[] }> {
  let next = from;
  const lat: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < to; i = next++) {
        const t = performance.now();
        await op(i);
        lat.push(performance.now() - t);
      }
    }),
  );
  return { ms: performance.now() - start, lat };
}

/**
 * Runs the phases over `count` indexes a round of MEMBERS at a time, the phases in turn within each
 * round, and sums each phase's time: on a machine shared with other work, a phase run whole after
 * another met another load (figures moved by 2x between runs); interleaved, the ratios hold.
 */
async function interleaved(count: number, clients: number, phases: ((i: number) => Promise<void>)[], label: string): Promise<{ ms: number; lat: number[] }[]> {
  const out = phases.map(() => ({ ms: 0, lat: [] as number[] }));
  const bar = progress(label);
  for (let from = 0; from < count; from += MEMBERS) {
    for (const [k, op] of phases.entries()) {
      const r = await runClients(from, Math.min(count, from + MEMBERS), clients, op);
      out[k]!.ms += r.ms;
      out[k]!.lat.push(...r.lat);
    }
    bar.update(`${num(Math.min(count, from + MEMBERS))} of ${num(count)}`);
  }
  bar.done();
  return out;
}

/** The benchmark (see the file comment). */
export async function runLoyaltyBench(o: BenchOptions): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-loyalty-'));
  const temp = o.databaseUrl ? await createTempDatabase(o.databaseUrl) : undefined;
  const database = openDatabase({ dataDir, databaseUrl: temp?.url, poolSize: Math.max(2, o.concurrency) });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    heading('siyu bench loyalty');
    table(
      [
        ['setting', 'value'],
        ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
        ['database', o.databaseUrl ? `PostgreSQL at ${describeUrl(o.databaseUrl)}` : 'SQLite (WAL, synchronous=NORMAL)'],
        [
          'postings',
          `${num(o.postings)} (earn and spend alternating per member), ${num(MEMBERS)} members, ${o.concurrency} concurrent clients; service and baselines in turn, 1,000 at a time`,
        ],
      ],
      ['l', 'l'],
    );
    const ws = (await createWorkspace(database.db, { name: 'bench loyalty' })).workspace.id;
    const member = (i: number) => `prf_bench${String(i % MEMBERS).padStart(6, '0')}`;
    // Baselines, each one transaction per posting in a workspace of its own: (1) the rows a posting
    // writes, as bare statements (its ledger entry, its timeline event, its account's new balance):
    // the "bare inserts of the same rows", the target's floor; (2) the entry row alone.
    const sameWs = (await createWorkspace(database.db, { name: 'bench loyalty same rows' })).workspace.id;
    const baseWs = (await createWorkspace(database.db, { name: 'bench loyalty baseline' })).workspace.id;
    // Member m's k-th posting: earns on even k, spends half of the last earning on odd k (never short).
    const post = async (i: number) => {
      const k = Math.floor(i / MEMBERS);
      await postWithRetries(
        database,
        {
          workspaceId: ws,
          profileId: member(i),
          kind: k % 2 === 0 ? 'earn' : 'spend',
          points: k % 2 === 0 ? 100 : 50,
          reason: 'bench',
          source: { type: 'order', id: `o-${i}` },
          idempotencyKey: `bench-${i}`,
          expiresAt: k % 2 === 0 ? NOW + 365 * 86_400_000 : null,
        },
        () => NOW,
      );
    };
    const [service, same, raw] = (await interleaved(
      o.postings,
      o.concurrency,
      [
        post,
        (i) => database.db.transaction().execute((trx) => bareRows(trx, sameWs, member(i), i, true)),
        (i) => database.db.transaction().execute((trx) => bareRows(trx, baseWs, member(i), i, false)),
      ],
      'service postings, bare rows, raw inserts (in turn)',
    )) as [{ ms: number; lat: number[] }, { ms: number; lat: number[] }, { ms: number; lat: number[] }];
    const t = performance.now();
    const report = await verifyBalances(database.db, { workspaceId: ws });
    const verifyMs = performance.now() - t;
    const rate = (r: { ms: number }) => (o.postings / r.ms) * 1000;
    heading('results');
    table([
      ['path', 'time', 'per second', 'p50', 'p99'],
      ...(
        [
          ['service postings', service],
          ['bare rows of a posting (entry, event, account)', same],
          ['raw one-row inserts (entry)', raw],
        ] as const
      ).map(([name, r]) => [name, secs(r.ms), num(rate(r)), `${num(percentile(r.lat, 0.5), 2)} ms`, `${num(percentile(r.lat, 0.99), 2)} ms`]),
      ['verify (every account)', secs(verifyMs), `${num(report.accounts)} accounts`, '', ''],
    ]);
    targets([
      { target: 'service ≥1,000 postings/s (SQLite)', measured: num(rate(service)), pass: o.databaseUrl ? undefined : rate(service) >= 1000 },
      {
        target: 'service ≥0.5× bare inserts of the same rows',
        measured: `${num(rate(service) / rate(same), 2)}× (${num(rate(service))}/s against ${num(rate(same))}/s)`,
        pass: rate(service) / rate(same) >= 0.5,
      },
      {
        target: 'service vs one-row inserts (information)',
        measured: `${num(rate(service) / rate(raw), 2)}× (against ${num(rate(raw))}/s)`,
        pass: undefined,
      },
      { target: 'verify finds no mismatch', measured: `${report.mismatches.length} mismatches`, pass: report.mismatches.length === 0 },
    ]);
    const race = await concurrentRedemptions(database, ws);
    const expiry = o.expiryLots > 0 ? await benchExpiry(database, o, NOW + 400 * 86_400_000) : {};
    const rules = o.ruleEvents > 0 ? await benchRules(database, o, NOW + 800 * 86_400_000) : {};
    const peakRssKb = process.resourceUsage().maxRSS;
    heading('process');
    targets([{ target: 'peak RSS of the process, all phases (information)', measured: mb(peakRssKb), pass: undefined }]);
    return {
      ...race,
      ...expiry,
      ...rules,
      peakRssKb,
      engine: database.dialect.engine,
      postings: o.postings,
      servicePerSecond: rate(service),
      rawPerSecond: rate(raw),
      sameRowsPerSecond: rate(same),
      serviceP99Ms: percentile(service.lat, 0.99),
      verifyMs,
      mismatches: report.mismatches.length,
    };
  } finally {
    await database.close();
    await temp?.drop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

const RACE = { spends: 1000, balance: 500 };

/**
 * Issue #17's check: a member with 500 points, 1,000 one-point spends at once (every tenth key sent
 * twice more, at the same time) through the service; must end with exactly 500 keys spent, one
 * entry per key, a balance of 0 and `verify` clean. Prints its time and PASS/MISS.
 */
async function concurrentRedemptions(database: Database, ws: string): Promise<Record<string, number>> {
  const profileId = 'prf_race';
  const req = { workspaceId: ws, profileId, reason: 'race', source: { type: 'api' as const, id: null } };
  await postWithRetries(database, { ...req, kind: 'earn', points: RACE.balance, idempotencyKey: 'race-seed', expiresAt: null }, () => NOW);
  const keys = [...Array.from({ length: RACE.spends }, (_, i) => `race-${i}`), ...Array.from({ length: RACE.spends / 10 }, (_, i) => `race-${i * 10}`)];
  const t = performance.now();
  const answers = await Promise.all(
    keys.map((key) =>
      postWithRetries(database, { ...req, kind: 'spend', points: 1, idempotencyKey: key }, () => NOW).then(
        (r) => ({ key, id: r.entry.id, code: undefined as string | undefined }),
        (err: { code?: string }) => ({ key, id: undefined, code: err.code ?? String(err) }),
      ),
    ),
  );
  const ms = performance.now() - t;
  const byKey = new Map<string, Set<string>>();
  for (const a of answers) if (a.id) byKey.set(a.key, (byKey.get(a.key) ?? new Set()).add(a.id));
  const refused = answers.filter((a) => !a.id);
  const account = await database.db
    .selectFrom('loyalty_accounts')
    .select('balance')
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', profileId)
    .executeTakeFirstOrThrow();
  const report = await verifyBalances(database.db, { workspaceId: ws });
  const ok =
    byKey.size === RACE.balance &&
    [...byKey.values()].every((ids) => ids.size === 1) &&
    refused.every((a) => a.code === 'INSUFFICIENT_POINTS') &&
    Number(account.balance) === 0 &&
    report.mismatches.length === 0;
  heading(`${num(RACE.spends)} concurrent redemptions against one member (balance ${RACE.balance}, ${RACE.spends / 10} keys sent twice)`);
  targets([
    {
      target: 'never overdrawn, never spent twice, a retried key answers its first answer',
      measured: `${byKey.size} keys spent, ${refused.length} refused, balance ${Number(account.balance)}, ${report.mismatches.length} mismatches, in ${secs(ms)}`,
      pass: ok,
    },
  ]);
  return { raceMs: ms, raceSpent: byKey.size, raceOk: ok ? 1 : 0 };
}

/**
 * What one posting writes, as bare statements in the caller's transaction: the entry row, with
 * `full` also its timeline event and its account's balance (an upsert, as the account's row exists
 * after a member's first posting).
 */
async function bareRows(trx: Kysely<DB>, ws: string, profileId: string, i: number, full: boolean): Promise<void> {
  const id = newId('pte', NOW);
  await trx
    .insertInto('loyalty_entries')
    .values({
      workspace_id: ws,
      id,
      profile_id: profileId,
      seq: Math.floor(i / MEMBERS) + 1,
      kind: 'earn',
      amount: 100,
      requested: 100,
      balance_after: 100,
      reason: 'bench',
      source_type: 'order',
      source_id: `o-${i}`,
      idempotency_key: `raw-${i}`,
      request_hash: 'h',
      remaining: 100,
      expires_at: null,
      notified_at: null,
      created_at: NOW,
    })
    .execute();
  if (!full) return;
  const properties = { points: 100, balance: 100, reason: 'bench', entry_id: id, source_type: 'order', source_id: `o-${i}` };
  await trx
    .insertInto('events')
    .values({
      workspace_id: ws,
      message_id: id,
      profile_id: profileId,
      type: 'track',
      event: 'Points Earned',
      user_id: null,
      anonymous_id: null,
      timestamp: NOW,
      received_at: NOW,
      payload: JSON.stringify({ type: 'track', event: 'Points Earned', properties, messageId: id, timestamp: new Date(NOW).toISOString() }),
    })
    .execute();
  await trx
    .insertInto('loyalty_accounts')
    .values({ workspace_id: ws, profile_id: profileId, balance: 100, pending: 0, lifetime_earned: 100, last_seq: 1, created_at: NOW, updated_at: NOW })
    .onConflict((oc) => oc.columns(['workspace_id', 'profile_id']).doUpdateSet({ balance: 100, last_seq: Math.floor(i / MEMBERS) + 1, updated_at: NOW }))
    .execute();
}
