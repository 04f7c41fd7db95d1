/**
 * The earning side of `siyu bench loyalty`: the expiry job over many due lots against a bare
 * UPDATE of as many rows (same run, same database), and the earning rules engine's awards against
 * as many bare ledger postings.
 */
import { recordSystemEvents } from '../src/cdp/index.js';
import { createRule, postWithRetries, runExpiry, runRules, verifyBalances } from '../src/loyalty/index.js';
import type { Database } from '../src/platform/db/database.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import type { BenchOptions } from './types.js';
import { heading, num, progress, secs, table, targets } from './support/report.js';

const LOTS_PER_ACCOUNT = 10;

/** Writes `lots` due lots (earnings past their expiry, untouched) over lots/10 accounts of a new workspace; returns it. */
async function seedDueLots(database: Database, lots: number, now: number, label: string): Promise<string> {
  const ws = (await createWorkspace(database.db, { name: label })).workspace.id;
  const accounts = Math.ceil(lots / LOTS_PER_ACCOUNT);
  const bar = progress(`seeding ${label}`);
  for (let a0 = 0; a0 < accounts; a0 += 100) {
    const accountRows: Record<string, unknown>[] = [];
    const entryRows: Record<string, unknown>[] = [];
    for (let a = a0; a < Math.min(accounts, a0 + 100); a++) {
      const profile = `prf_x${String(a).padStart(8, '0')}`;
      const n = Math.min(LOTS_PER_ACCOUNT, lots - a * LOTS_PER_ACCOUNT);
      for (let k = 0; k < n; k++) {
        const key = `seed-${a}-${k}`;
        entryRows.push({
          workspace_id: ws,
          id: `pte_${label}_${a}_${k}`,
          profile_id: profile,
          seq: k + 1,
          kind: 'earn',
          amount: 10,
          requested: 10,
          balance_after: 10 * (k + 1),
          reason: 'seed',
          source_type: 'api',
          source_id: null,
          idempotency_key: key,
          request_hash: key,
          remaining: 10,
          expires_at: now - 1000 - k,
          notified_at: now - 86_400_000,
          created_at: now - 86_400_000,
        });
      }
      accountRows.push({
        workspace_id: ws,
        profile_id: profile,
        balance: 10 * n,
        pending: 0,
        lifetime_earned: 10 * n,
        last_seq: n,
        created_at: now,
        updated_at: now,
      });
    }
    await database.db.transaction().execute(async (trx) => {
      await database.dialect.insertMany(trx, 'loyalty_accounts', accountRows);
      await database.dialect.insertMany(trx, 'loyalty_entries', entryRows);
    });
    if (a0 % 10_000 === 0) bar.update(`${num(a0 * LOTS_PER_ACCOUNT)} of ${num(lots)}`);
  }
  bar.done();
  return ws;
}

/** Expiry over `o.expiryLots` due lots against a bare UPDATE of the same number of rows. */
export async function benchExpiry(database: Database, o: BenchOptions, now: number): Promise<Record<string, number>> {
  const lots = o.expiryLots;
  const ws = await seedDueLots(database, lots, now, 'expiry');
  const baseWs = await seedDueLots(database, lots, now, 'baseline');
  // The baseline first: its rows then leave the open-lots index the job reads (same expiry times, so they would interleave).
  let t = performance.now();
  await database.db
    .transaction()
    .execute((trx) =>
      trx
        .updateTable('loyalty_entries')
        .set({ remaining: 0 })
        .where('workspace_id', '=', baseWs)
        .where('remaining', '>', 0)
        .where('expires_at', '<=', now)
        .execute(),
    );
  const bareMs = performance.now() - t;
  t = performance.now();
  const r = await runExpiry(database, now, { workspaceId: ws });
  const jobMs = performance.now() - t;
  const report = await verifyBalances(database.db, { workspaceId: ws });
  heading(`expiry job, ${num(lots)} due lots over ${num(Math.ceil(lots / LOTS_PER_ACCOUNT))} accounts`);
  table([
    ['path', 'time', 'lots per second'],
    ['expiry job (entry + timeline event per lot, 200 accounts a transaction)', secs(jobMs), num((r.lots / jobMs) * 1000)],
    ['bare UPDATE of the same rows (one statement)', secs(bareMs), num((lots / bareMs) * 1000)],
  ]);
  targets([
    { target: 'every due lot expired once', measured: `${num(r.lots)} of ${num(lots)}`, pass: r.lots === lots },
    { target: 'expiry job vs bare UPDATE (information)', measured: `${num(bareMs / jobMs, 3)}×`, pass: undefined },
    { target: 'verify finds no mismatch', measured: `${report.mismatches.length} mismatches`, pass: report.mismatches.length === 0 },
  ]);
  return {
    expiryLots: lots,
    expiryLotsPerSecond: (r.lots / jobMs) * 1000,
    bareUpdateRowsPerSecond: (lots / bareMs) * 1000,
    expiryMismatches: report.mismatches.length,
  };
}

/** The rules engine over `o.ruleEvents` interaction events (one award each) against as many bare ledger postings, both sequential. */
export async function benchRules(database: Database, o: BenchOptions, now: number): Promise<Record<string, number>> {
  const n = o.ruleEvents;
  const ws = (await createWorkspace(database.db, { name: 'rules' })).workspace.id;
  await createRule(database.db, ws, { name: 'reviews', kind: 'event', definition: { event: 'Review Posted', points: 5 } }, now - 60_000);
  const profile = (i: number) => `prf_r${String(i % 1000).padStart(6, '0')}`;
  for (let i = 0; i < n; i += 1000) {
    const events = Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
      workspaceId: ws,
      profileId: profile(i + k),
      event: 'Review Posted',
      properties: {},
      at: now - 1000 + ((i + k) % 1000),
      eventId: `rev-${i + k}`,
    }));
    await database.db.transaction().execute((trx) => recordSystemEvents(trx, database.dialect, events));
  }
  let t = performance.now();
  const r = await runRules({ database, now: () => now, timeZoneOf: async () => 'Asia/Shanghai' }, { workspaceId: ws });
  const engineMs = performance.now() - t;
  const baseWs = (await createWorkspace(database.db, { name: 'rules baseline' })).workspace.id;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    const req = {
      workspaceId: baseWs,
      profileId: profile(i),
      kind: 'earn' as const,
      points: 5,
      reason: 'bench',
      source: { type: 'event' as const, id: `rev-${i}` },
    };
    await postWithRetries(database, { ...req, idempotencyKey: `bare-${i}` }, () => now);
  }
  const bareMs = performance.now() - t;
  heading(`earning rules engine, ${num(n)} events`);
  table([
    ['path', 'time', 'awards per second'],
    ['rules engine (read events, award row, ledger posting; 500 a transaction)', secs(engineMs), num((r.awards / engineMs) * 1000)],
    ['bare ledger postings (one transaction each)', secs(bareMs), num((n / bareMs) * 1000)],
  ]);
  targets([
    { target: 'every event awarded once', measured: `${num(r.awards)} of ${num(n)}`, pass: r.awards === n },
    { target: 'engine vs bare postings (information)', measured: `${num(bareMs / engineMs, 2)}×`, pass: undefined },
  ]);
  return { ruleEvents: n, ruleAwardsPerSecond: (r.awards / engineMs) * 1000, barePostingsPerSecond: (n / bareMs) * 1000 };
}
