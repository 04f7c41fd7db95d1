/**
 * `siyu loyalty verify`: recomputes every balance from the ledger and reports where the cache
 * differs. Three numbers must agree per account: the cached balance, the sum of the entries'
 * amounts, and the sum of what remains of its credits (the lots debits consume); and its cached
 * pending points must equal what its held order awards still hold.
 */
import type { Conn } from './ledger.repo.js';
import { num } from './ledger.repo.js';

/** One account whose numbers disagree. */
export interface BalanceMismatch {
  workspaceId: string;
  profileId: string;
  /** The cached balance (null: entries without an account row). */
  cached: number | null;
  /** The sum of the account's entries. */
  entries: number;
  /** What remains of its credits. */
  lots: number;
  /** Its last seq against the number of its entries (a gap or a lost entry shows here). */
  lastSeq: number | null;
  entryCount: number;
  /** Present when they differ: the cached pending points, and what the account's held order awards still hold (points less claw backs). */
  pending?: number;
  held?: number;
}

/** The outcome of a verify pass. */
export interface VerifyReport {
  accounts: number;
  mismatches: BalanceMismatch[];
}

/** Recomputes every account's balance of one workspace (or of all) from its entries; lists the accounts that disagree. */
export async function verifyBalances(db: Conn, opts: { workspaceId?: string } = {}): Promise<VerifyReport> {
  let sums = db
    .selectFrom('loyalty_entries')
    .select((eb) => [
      'workspace_id',
      'profile_id',
      eb.fn.sum<number>('amount').as('entries'),
      eb.fn.sum<number>(eb.fn.coalesce('remaining', eb.lit(0))).as('lots'),
      eb.fn.countAll<number>().as('n'),
      eb.fn.max<number>('seq').as('max_seq'),
    ])
    .groupBy(['workspace_id', 'profile_id']);
  let accounts = db.selectFrom('loyalty_accounts').select(['workspace_id', 'profile_id', 'balance', 'last_seq', 'pending']);
  let holds = db
    .selectFrom('loyalty_awards')
    .select((eb) => ['workspace_id', 'profile_id', eb.fn.sum<number>(eb('points', '-', eb.ref('clawed'))).as('held')])
    .where('status', '=', 'pending')
    .groupBy(['workspace_id', 'profile_id']);
  if (opts.workspaceId) {
    sums = sums.where('workspace_id', '=', opts.workspaceId);
    accounts = accounts.where('workspace_id', '=', opts.workspaceId);
    holds = holds.where('workspace_id', '=', opts.workspaceId);
  }
  const heldBy = new Map((await holds.execute()).map((h) => [`${h.workspace_id}\u0000${h.profile_id}`, num(h.held)]));
  const byAccount = new Map((await sums.execute()).map((s) => [`${s.workspace_id}\u0000${s.profile_id}`, s]));
  const mismatches: BalanceMismatch[] = [];
  const rows = await accounts.execute();
  for (const a of rows) {
    const k = `${a.workspace_id}\u0000${a.profile_id}`;
    const s = byAccount.get(k);
    byAccount.delete(k);
    const entries = num(s?.entries);
    const lots = num(s?.lots);
    const n = num(s?.n);
    const cached = num(a.balance);
    const lastSeq = num(a.last_seq);
    const [pending, held] = [num(a.pending), heldBy.get(k) ?? 0];
    if (cached !== entries || cached !== lots || cached < 0 || lastSeq !== n || num(s?.max_seq) !== n || pending !== held) {
      mismatches.push({
        workspaceId: a.workspace_id,
        profileId: a.profile_id,
        cached,
        entries,
        lots,
        lastSeq,
        entryCount: n,
        ...(pending !== held ? { pending, held } : {}),
      });
    }
  }
  // Entries of an account that has no row: a balance nobody can see.
  for (const s of byAccount.values()) {
    mismatches.push({
      workspaceId: s.workspace_id,
      profileId: s.profile_id,
      cached: null,
      entries: num(s.entries),
      lots: num(s.lots),
      lastSeq: null,
      entryCount: num(s.n),
    });
  }
  return { accounts: rows.length, mismatches };
}
