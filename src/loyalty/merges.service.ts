/**
 * Points on profile merges: when the CDP merges a profile into another (One ID), the merged-away
 * account's lots move to the survivor — a `transfer` entry on each side per lot, the lot's expiry
 * kept — and its holds and awards follow, so refunds of its orders claw back from the survivor.
 * Idempotent: a moved lot has nothing left, and the entries are keyed by the lot.
 * Found two ways: the survivors of each committed batch (hub, at once), and a sweep over accounts
 * with points whose profile is no longer live (durable: what a crash missed is found there).
 */
import { liveProfileIds, mergedIdsOf } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import { withRetries } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { movePending } from './awards.service.js';
import { type AccountRow, appendEntries, type Conn, findAccount, lockAccount, type NewEntry, num, openLots, emptyLots } from './ledger.repo.js';
import { recordEvents } from './ledger.service.js';

/** What a merge moved. */
export interface MoveReport {
  accounts: number;
  points: number;
  pending: number;
}

/** A transfer entry of a lot on one side (negative out of the merged-away account, positive into the survivor). */
function transfer(account: AccountRow, amount: number, lotId: string, otherProfile: string, expiresAt: number | null, now: number): NewEntry {
  const side = amount < 0 ? 'out' : 'in';
  const key = `siyu:merge:${side}:${lotId}`;
  account.last_seq += 1;
  account.balance += amount;
  return {
    id: newId('pte', now),
    workspace_id: account.workspace_id,
    profile_id: account.profile_id,
    seq: account.last_seq,
    kind: 'transfer',
    amount,
    requested: Math.abs(amount),
    balance_after: account.balance,
    reason: amount < 0 ? `profile merged into ${otherProfile}` : `merged from profile ${otherProfile}`,
    source_type: 'system',
    source_id: amount < 0 ? otherProfile : lotId,
    idempotency_key: key,
    request_hash: key,
    remaining: amount > 0 ? amount : null,
    expires_at: amount > 0 ? expiresAt : null,
    created_at: now,
  };
}

/** Moves one merged-away account to its survivor inside the caller's transaction (both accounts locked, in id order). */
export async function moveAccount(trx: Conn, database: Database, ws: string, fromId: string, intoId: string, now: number): Promise<MoveReport> {
  const [first, second] = fromId < intoId ? [fromId, intoId] : [intoId, fromId];
  const a = await lockAccount(trx, database.dialect, ws, first, now);
  const b = await lockAccount(trx, database.dialect, ws, second, now);
  const [from, into] = first === fromId ? [a, b] : [b, a];
  // appendEntries moves the cached figures from the entries it is given: compute on copies.
  const [fromWork, intoWork] = [{ ...from }, { ...into }];
  const outs: NewEntry[] = [];
  const ins: NewEntry[] = [];
  const lots = await openLots(trx, ws, fromId);
  for (const lot of lots) {
    outs.push(transfer(fromWork, -lot.remaining, lot.id, intoId, null, now));
    ins.push(transfer(intoWork, lot.remaining, lot.id, fromId, lot.expiresAt, now));
  }
  await emptyLots(
    trx,
    ws,
    lots.map((l) => l.id),
  );
  await appendEntries(trx, from, outs, now);
  await appendEntries(trx, into, ins, now);
  await recordEvents(trx, database.dialect, [...outs, ...ins]);
  const held = await trx
    .selectFrom('loyalty_awards')
    .select((eb) => eb.fn.sum<number>(eb('points', '-', eb.ref('clawed'))).as('n'))
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', fromId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  const pending = num(held?.n);
  await trx.updateTable('loyalty_awards').set({ profile_id: intoId }).where('workspace_id', '=', ws).where('profile_id', '=', fromId).execute();
  await movePending(trx, ws, fromId, -pending, now);
  await movePending(trx, ws, intoId, pending, now);
  return { accounts: lots.length > 0 || pending > 0 ? 1 : 0, points: lots.reduce((s, l) => s + l.remaining, 0), pending };
}

/** Moves the accounts of the profiles merged into each of `survivors` (live profile ids of a committed batch). */
export async function moveMergesInto(database: Database, ws: string, survivors: readonly string[], now: () => number): Promise<MoveReport> {
  const report: MoveReport = { accounts: 0, points: 0, pending: 0 };
  for (const into of survivors) {
    for (const from of await mergedIdsOf(database.db, ws, into)) {
      const acc = await findAccount(database.db, ws, from);
      if (!acc || (acc.balance === 0 && acc.pending === 0)) continue;
      add(report, await withRetries(database, () => database.db.transaction().execute((trx) => moveAccount(trx, database, ws, from, into, now()))));
    }
  }
  return report;
}

/** Finds every account with points or holds whose profile was merged away, and moves it to the survivor. */
export async function sweepMerged(database: Database, now: () => number, opts: { workspaceId?: string } = {}): Promise<MoveReport> {
  const report: MoveReport = { accounts: 0, points: 0, pending: 0 };
  let after: [string, string] = ['', ''];
  for (;;) {
    let q = database.db
      .selectFrom('loyalty_accounts')
      .select(['workspace_id', 'profile_id'])
      .where((eb) => eb.or([eb('balance', '>', 0), eb('pending', '>', 0)]))
      .where((eb) => eb.or([eb('workspace_id', '>', after[0]), eb.and([eb('workspace_id', '=', after[0]), eb('profile_id', '>', after[1])])]));
    if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
    const rows = await q.orderBy('workspace_id').orderBy('profile_id').limit(500).execute();
    if (rows.length === 0) return report;
    const byWs = new Map<string, string[]>();
    for (const r of rows) byWs.set(r.workspace_id, [...(byWs.get(r.workspace_id) ?? []), r.profile_id]);
    for (const [ws, ids] of byWs) {
      for (const [from, into] of await liveProfileIds(database.db, ws, ids)) {
        if (from === into) continue;
        add(report, await withRetries(database, () => database.db.transaction().execute((trx) => moveAccount(trx, database, ws, from, into, now()))));
      }
    }
    const last = rows[rows.length - 1]!;
    after = [last.workspace_id, last.profile_id];
  }
}

function add(r: MoveReport, m: MoveReport): void {
  r.accounts += m.accounts;
  r.points += m.points;
  r.pending += m.pending;
}
