/**
 * The expiry job's set-based step: the due lots of a batch of claimed accounts of one workspace
 * expired with a few statements for the whole batch (one read of the lots, one update emptying
 * them, the entries and their timeline events inserted together, the accounts in one update)
 * instead of a handful per account. The same entries as the ledger's per-account `expireLots`: one
 * `expire` entry per lot keyed `siyu:expire:<lot>`, in the order debits consume lots.
 */
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { sql } from 'kysely';
import { type AccountRow, type Conn, emptyLots, type NewEntry, num } from './ledger.repo.js';
import { recordEvents } from './ledger.service.js';

/** Expires the due lots of `accounts` (claimed, all of workspace `ws`) at `now`; returns the entries written. */
export async function expireAccounts(trx: Conn, dialect: Dialect, ws: string, accounts: readonly AccountRow[], now: number): Promise<NewEntry[]> {
  if (accounts.length === 0) return [];
  const lots = await trx
    .selectFrom('loyalty_entries')
    .select(['id', 'profile_id', 'remaining', 'expires_at'])
    .where('workspace_id', '=', ws)
    .where(
      'profile_id',
      'in',
      accounts.map((a) => a.profile_id),
    )
    .where('remaining', '>', 0)
    .where('expires_at', '<=', now)
    .orderBy('profile_id')
    .orderBy('expires_at')
    .orderBy('seq')
    .execute();
  if (lots.length === 0) return [];
  const byProfile = new Map(accounts.map((a) => [a.profile_id, { ...a }]));
  const entries: NewEntry[] = [];
  for (const lot of lots) {
    const a = byProfile.get(lot.profile_id)!;
    const remaining = num(lot.remaining);
    a.balance -= remaining;
    a.last_seq += 1;
    const key = `siyu:expire:${lot.id}`;
    entries.push({
      id: newId('pte', now),
      workspace_id: ws,
      profile_id: lot.profile_id,
      seq: a.last_seq,
      kind: 'expire',
      amount: -remaining,
      requested: remaining,
      balance_after: a.balance,
      reason: `points of ${lot.id} expired`,
      source_type: 'system',
      source_id: lot.id,
      idempotency_key: key,
      request_hash: key,
      remaining: null,
      expires_at: null,
      created_at: now,
    });
  }
  await emptyLots(
    trx,
    ws,
    lots.map((l) => l.id),
  );
  await dialect.insertMany(
    trx,
    'loyalty_entries',
    entries.map((e) => ({ ...e, notified_at: null })),
  );
  await moveAccounts(
    trx,
    ws,
    accounts.map((a) => byProfile.get(a.profile_id)!).filter((a, i) => a.last_seq !== accounts[i]!.last_seq),
    now,
  );
  await recordEvents(trx, dialect, entries);
  return entries;
}

/**
 * Sets the cached balance and last seq of the batch's expired accounts in one statement per 500
 * (a `case` over the profile ids): one update per account was most of a batch's round trips on
 * PostgreSQL (bench/README.md, `loyalty`: expiry).
 */
async function moveAccounts(trx: Conn, ws: string, accounts: readonly AccountRow[], now: number): Promise<void> {
  for (let i = 0; i < accounts.length; i += 500) {
    const part = accounts.slice(i, i + 500);
    const pick = (value: (a: AccountRow) => number) =>
      sql<number>`case ${sql.ref('profile_id')} ${sql.join(
        part.map((a) => sql`when ${a.profile_id} then cast(${value(a)} as bigint)`),
        sql` `,
      )} end`;
    await trx
      .updateTable('loyalty_accounts')
      .set({ balance: pick((a) => a.balance), last_seq: pick((a) => a.last_seq), updated_at: now })
      .where('workspace_id', '=', ws)
      .where(
        'profile_id',
        'in',
        part.map((a) => a.profile_id),
      )
      .execute();
  }
}
