/**
 * `siyu bench loyalty`: the points ledger's postings through the service (lock the account, check
 * the key, expire, consume lots, append, timeline event; one transaction each) against the floor
 * of the same durability, raw one-row inserts of ledger rows in their own transactions, in the
 * same database and run; then `verify` over everything the service wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { postWithRetries, verifyBalances } from '../src/loyalty/index.js';
import { openDatabase } from '../src/platform/db/database.js';
import type { Kysely } from 'kysely';
import type { DB } from '../src/platform/db/schema.js';
import { newId } from '../src/platform/ids.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import { migrateSiyu } from '../src/server/migrations.js';
import type { BenchOptions, BenchResult } from './types.js';
import { createTempDatabase, describeUrl } from './support/postgres.js';
import { heading, num, percentile, progress, secs, table, targets } from './support/report.js';
import { benchExpiry, benchRules } from './loyalty-earning.js';

const MEMBERS = 1_000;
const NOW = Date.UTC(2026, 10, 1, 4, 0, 0);

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
        ['postings', `${num(o.postings)} (earn and spend alternating per member), ${num(MEMBERS)} members, ${o.concurrency} concurrent clients`],
      ],
      ['l', 'l'],
    );
    const ws = (await createWorkspace(database.db, { name: 'bench loyalty' })).workspace.id;
    const member = (i: number) => `prf_bench${String(i % MEMBERS).padStart(6, '0')}`;
    // Member m's k-th posting: earns on even k, spends half of the last earning on odd k (never short).
    const service = await runClients(
      o.postings,
      o.concurrency,
      async (i) => {
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
      },
      'service postings',
    );
    // Baselines, each one transaction per posting in a workspace of its own: (1) the rows a posting
    // writes, as bare statements (its ledger entry, its timeline event, its account's new balance):
    // the "bare inserts of the same rows", the target's floor; (2) the entry row alone.
    const sameWs = (await createWorkspace(database.db, { name: 'bench loyalty same rows' })).workspace.id;
    const same = await runClients(
      o.postings,
      o.concurrency,
      (i) => database.db.transaction().execute((trx) => bareRows(trx, sameWs, member(i), i, true)),
      'bare rows of a posting',
    );
    const baseWs = (await createWorkspace(database.db, { name: 'bench loyalty baseline' })).workspace.id;
    const raw = await runClients(
      o.postings,
      o.concurrency,
      (i) => database.db.transaction().execute((trx) => bareRows(trx, baseWs, member(i), i, false)),
      'raw inserts',
    );
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
      { target: 'service ≥0.5× bare inserts of the same rows', measured: `${num(rate(service) / rate(same), 2)}×`, pass: rate(service) / rate(same) >= 0.5 },
      { target: 'service vs one-row inserts (information)', measured: `${num(rate(service) / rate(raw), 2)}×`, pass: undefined },
      { target: 'verify finds no mismatch', measured: `${report.mismatches.length} mismatches`, pass: report.mismatches.length === 0 },
    ]);
    const expiry = o.expiryLots > 0 ? await benchExpiry(database, o, NOW + 400 * 86_400_000) : {};
    const rules = o.ruleEvents > 0 ? await benchRules(database, o, NOW + 800 * 86_400_000) : {};
    return {
      ...expiry,
      ...rules,
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
