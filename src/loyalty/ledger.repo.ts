/**
 * The ledger's SQL: the account row (locked by every posting), credits as lots with what remains of
 * them, entries. Every write here runs inside the caller's transaction, after `lockAccount`.
 */
import { type Compilable, type Kysely, sql } from 'kysely';
import { type Dialect, parseJson } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { LoyaltyAccountsTable, LoyaltyEntriesTable, SourceType } from './schema.js';

/** A connection or transaction over the whole database (the module's tables are merged into DB). */
export type Conn = Kysely<DB>;

/** An account as a posting sees it (locked). */
export type AccountRow = LoyaltyAccountsTable;
/** An entry as stored. */
export type EntryRow = LoyaltyEntriesTable;

// pg answers bigint columns as numbers (database.ts), but sums as numeric strings: every number read goes through this.
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** An entry row with its numbers as numbers (sums and bigints may come back as strings). */
export function entryFromRow(r: EntryRow): EntryRow {
  return {
    ...r,
    seq: num(r.seq),
    amount: num(r.amount),
    requested: num(r.requested),
    balance_after: num(r.balance_after),
    remaining: r.remaining === null ? null : num(r.remaining),
    expires_at: r.expires_at === null ? null : num(r.expires_at),
    notified_at: r.notified_at === null ? null : num(r.notified_at),
    created_at: num(r.created_at),
  };
}

/**
 * Creates the account if it is new and locks its row until the transaction ends (`FOR UPDATE` on
 * PostgreSQL; SQLite's single writer already serialises postings). Every posting to one member
 * goes through this lock, so balance checks and lot updates never race.
 */
export async function lockAccount(trx: Conn, dialect: Dialect, ws: string, profileId: string, now: number): Promise<AccountRow> {
  return (await lockRow(trx, dialect, ws, profileId, now)).account;
}

/**
 * {@link lockAccount}, and in the same statement the workspace's tier program in force (its stored
 * definition; null without one): what a credit needs to upgrade the member at once, without a
 * round trip of its own. The program is read from the statement's snapshot: one saved while the
 * lock was awaited is the next posting's (the program-change pass re-qualifies everyone anyway).
 */
export async function lockForPosting(
  trx: Conn,
  dialect: Dialect,
  ws: string,
  profileId: string,
  now: number,
): Promise<{ account: AccountRow; tierProgram: unknown }> {
  const { account, tierProgram } = await lockRow(trx, dialect, ws, profileId, now, { program: true });
  return { account, tierProgram };
}

/**
 * What a posting reads: {@link lockForPosting} and {@link keyAndOpenLots}. On PostgreSQL in one
 * statement when it can be trusted: the key's entry and the open lots come (as JSON) from the
 * statement's snapshot, taken before any wait for the lock, together with the account's `last_seq`
 * as that snapshot saw it. Every write to a member's entries and lots holds this lock and moves
 * `last_seq`, so when the locked row's (the latest) equals the snapshot's, nothing was committed
 * in between and the snapshot's rows are current; otherwise (a posting committed while this one
 * waited) they are read again after the lock. One round trip instead of two per posting.
 */
export async function lockAndRead(
  trx: Conn,
  dialect: Dialect,
  ws: string,
  profileId: string,
  key: string,
  now: number,
): Promise<{ account: AccountRow; tierProgram: unknown; first: EntryRow | undefined; lots: Lot[] }> {
  if (dialect.engine !== 'postgres') {
    const { account, tierProgram } = await lockRow(trx, dialect, ws, profileId, now, { program: true });
    return { account, tierProgram, ...(await keyAndOpenLots(trx, ws, profileId, key)) };
  }
  const { account, tierProgram, seen, entries } = await lockRow(trx, dialect, ws, profileId, now, { program: true, key });
  if (seen === null || num(seen) !== account.last_seq) return { account, tierProgram, ...(await keyAndOpenLots(trx, ws, profileId, key)) };
  return { account, tierProgram, ...keyAndLotsOf(parseJson<EntryRow[]>(entries ?? '[]'), profileId, key) };
}

/**
 * Reads (creating it if new) and locks the account's row; with `program`, the tier program in force
 * in the same statement; with `key` (PostgreSQL), also `last_seq` as the statement's snapshot saw it
 * and, from that snapshot, the key's entry and the open lots as JSON (see {@link lockAndRead}).
 */
async function lockRow(trx: Conn, dialect: Dialect, ws: string, profileId: string, now: number, extra: { program?: boolean; key?: string } = {}) {
  const { key } = extra;
  const read = () =>
    dialect
      .forUpdate(
        trx
          .selectFrom('loyalty_accounts')
          .selectAll()
          .$if(extra.program === true, (q) =>
            q.select((eb) =>
              eb.selectFrom('loyalty_tier_programs').select('definition').where('workspace_id', '=', ws).orderBy('version', 'desc').limit(1).as('tier_program'),
            ),
          )
          .$if(key !== undefined, (q) =>
            q.select([
              sql<unknown>`(select s.last_seq from loyalty_accounts s where s.workspace_id = ${ws} and s.profile_id = ${profileId})`.as('seen_seq'),
              sql<unknown>`(select coalesce(json_agg(x), '[]'::json) from (
                  select * from loyalty_entries where workspace_id = ${ws} and idempotency_key = ${key}
                  union all
                  select * from loyalty_entries where workspace_id = ${ws} and profile_id = ${profileId} and remaining > 0) x)`.as('entries'),
            ]),
          )
          .where('workspace_id', '=', ws)
          .where('profile_id', '=', profileId),
      )
      .executeTakeFirst();
  // Read first: almost every posting is to an account that exists, and then the lock is one statement
  // (an insert-or-nothing before every read cost a round trip per posting: bench/README.md, `loyalty`).
  let a = await read();
  if (!a) {
    const row = { workspace_id: ws, profile_id: profileId, balance: 0, pending: 0, lifetime_earned: 0, last_seq: 0, created_at: now, updated_at: now };
    await dialect.insertMany(trx, 'loyalty_accounts', [row], { columns: ['workspace_id', 'profile_id'], update: [] });
    a = await read();
    if (!a) throw new Error(`loyalty account of ${profileId} in ${ws} missing right after its insert`);
  }
  const {
    tier_program: tierProgram = null,
    seen_seq: seen = null,
    entries = null,
    ...row
  } = a as typeof a & { tier_program?: unknown; seen_seq?: unknown; entries?: unknown };
  const account = { ...row, balance: num(row.balance), pending: num(row.pending), lifetime_earned: num(row.lifetime_earned), last_seq: num(row.last_seq) };
  return { account, tierProgram, seen, entries };
}

/** The entry posted with an idempotency key in a workspace, if any. */
export async function entryByKey(db: Conn, ws: string, key: string): Promise<EntryRow | undefined> {
  const r = await db.selectFrom('loyalty_entries').selectAll().where('workspace_id', '=', ws).where('idempotency_key', '=', key).executeTakeFirst();
  return r && entryFromRow(r);
}

/**
 * The entry posted with `key` in the workspace (if any) and the member's open lots in openLots'
 * order, in one read: what a posting needs after its lock (two reads before, one round trip more
 * per posting).
 */
export async function keyAndOpenLots(trx: Conn, ws: string, profileId: string, key: string): Promise<{ first: EntryRow | undefined; lots: Lot[] }> {
  // UNION ALL, not OR: each half on its own index whatever the statistics say (loyalty_entries_key;
  // loyalty_entries_seq, the member's entries), where PostgreSQL may plan an OR as a scan of the workspace.
  const rows = await trx
    .selectFrom('loyalty_entries')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('idempotency_key', '=', key)
    .unionAll(trx.selectFrom('loyalty_entries').selectAll().where('workspace_id', '=', ws).where('profile_id', '=', profileId).where('remaining', '>', 0))
    .execute();
  return keyAndLotsOf(rows, profileId, key);
}

/** The key's entry and the member's open lots (in openLots' order) among rows read by key or as open lots. */
function keyAndLotsOf(rows: readonly EntryRow[], profileId: string, key: string): { first: EntryRow | undefined; lots: Lot[] } {
  let first: EntryRow | undefined;
  const open = new Map<string, EntryRow>();
  for (const raw of rows) {
    const r = entryFromRow(raw);
    if (r.idempotency_key === key) first = r;
    // The entry of the key may be an open lot of the member too, and then comes twice.
    if (r.profile_id === profileId && r.remaining !== null && r.remaining > 0) open.set(r.id, r);
  }
  return { first, lots: [...open.values()].sort(lotOrder).map(toLot) };
}

/** openLots' order: the earliest-expiring first, lots that never expire last, then by posting order. */
function lotOrder(a: EntryRow, b: EntryRow): number {
  return Number(a.expires_at === null) - Number(b.expires_at === null) || (a.expires_at ?? 0) - (b.expires_at ?? 0) || a.seq - b.seq;
}

function toLot(r: EntryRow): Lot {
  return { id: r.id, remaining: r.remaining ?? 0, expiresAt: r.expires_at, sourceType: r.source_type, sourceId: r.source_id };
}

/** An entry to append: a ledger row before any notice (its seq and balance_after are given by the posting that computed them). */
export type NewEntry = Omit<LoyaltyEntriesTable, 'notified_at'>;

/**
 * Appends entries and moves the account's cached balance, lifetime earnings and last seq with them.
 * With `dialect`, the entries go in through its bulk insert: on SQLite a cached prepared statement
 * instead of a query built and compiled per posting (bench/README.md, `loyalty`).
 */
export async function appendEntries(trx: Conn, account: AccountRow, entries: readonly NewEntry[], now: number, dialect?: Dialect): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({ ...e, notified_at: null }));
  if (dialect) await dialect.insertMany(trx, 'loyalty_entries', rows);
  else await trx.insertInto('loyalty_entries').values(rows).execute();
  const last = entries[entries.length - 1]!;
  const earned = entries.reduce((s, e) => s + (e.amount > 0 ? e.amount : 0), 0);
  await trx
    .updateTable('loyalty_accounts')
    .set({ balance: last.balance_after, lifetime_earned: account.lifetime_earned + earned, last_seq: last.seq, updated_at: now })
    .where('workspace_id', '=', account.workspace_id)
    .where('profile_id', '=', account.profile_id)
    .execute();
  account.balance = last.balance_after;
  account.lifetime_earned += earned;
  account.last_seq = last.seq;
}

/**
 * PostgreSQL: what {@link setRemaining}, {@link appendEntries} and the entries' timeline events
 * (`events`, a statement not yet run) write, as one statement of writable CTEs: one round trip
 * instead of three or four per posting (bench/README.md, `loyalty`). Every part touches other rows
 * (new entries, the lots taken, the account, the events), as a CTE's parts must.
 */
export async function appendTogether(
  trx: Conn,
  account: AccountRow,
  entries: readonly NewEntry[],
  lots: readonly { id: string; remaining: number }[],
  events: Compilable,
  now: number,
): Promise<void> {
  if (entries.length === 0) return;
  const last = entries[entries.length - 1]!;
  const earned = entries.reduce((s, e) => s + (e.amount > 0 ? e.amount : 0), 0);
  const parts = [
    sql`e as (${trx.insertInto('loyalty_entries').values(entries.map((e) => ({ ...e, notified_at: null })))})`,
    sql`a as (${trx
      .updateTable('loyalty_accounts')
      .set({ balance: last.balance_after, lifetime_earned: account.lifetime_earned + earned, last_seq: last.seq, updated_at: now })
      .where('workspace_id', '=', account.workspace_id)
      .where('profile_id', '=', account.profile_id)})`,
    sql`v as (${events})`,
  ];
  // A spend over more lots than one statement should carry (rare) sets them on their own first.
  if (lots.length > 500) await setRemaining(trx, account.workspace_id, lots);
  else if (lots.length > 0) parts.push(sql`l as (${remainingUpdate(trx, account.workspace_id, lots)})`);
  await sql`with ${sql.join(parts)} select 1`.execute(trx);
  account.balance = last.balance_after;
  account.lifetime_earned += earned;
  account.last_seq = last.seq;
}

/** An open lot: a credit with points left. */
export interface Lot {
  id: string;
  remaining: number;
  expiresAt: number | null;
  sourceType: SourceType;
  sourceId: string | null;
}

/**
 * The account's open lots in the order debits consume them: the earliest-expiring first, lots that
 * never expire last, then by posting order; with `prefer`, the lots of that source come first (a
 * claw back takes back the points of the order it reverses before any other).
 */
export async function openLots(trx: Conn, ws: string, profileId: string, prefer?: { type: SourceType; id: string | null }): Promise<Lot[]> {
  let q = trx
    .selectFrom('loyalty_entries')
    .select(['id', 'remaining', 'expires_at', 'source_type', 'source_id'])
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', profileId)
    .where('remaining', '>', 0);
  if (prefer && prefer.id !== null) {
    q = q.orderBy(sql`case when source_type = ${prefer.type} and source_id = ${prefer.id} then 0 else 1 end`);
  }
  // NULLs sort first on SQLite and last on PostgreSQL: order by "never expires" explicitly.
  const rows = await q
    .orderBy(sql`case when expires_at is null then 1 else 0 end`)
    .orderBy('expires_at')
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    remaining: num(r.remaining),
    expiresAt: r.expires_at === null ? null : num(r.expires_at),
    sourceType: r.source_type,
    sourceId: r.source_id,
  }));
}

/** Sets what remains of lots (each a credit of the locked account), in one statement per 500 lots. */
export async function setRemaining(trx: Conn, ws: string, changes: readonly { id: string; remaining: number }[]): Promise<void> {
  for (let i = 0; i < changes.length; i += 500) await remainingUpdate(trx, ws, changes.slice(i, i + 500)).execute();
}

/** The update of what remains of `part`'s lots (one statement, whatever their number). */
function remainingUpdate(trx: Conn, ws: string, part: readonly { id: string; remaining: number }[]) {
  const value =
    part.length === 1
      ? sql<number>`cast(${part[0]!.remaining} as bigint)`
      : sql<number>`case ${sql.ref('id')} ${sql.join(
          part.map((c) => sql`when ${c.id} then cast(${c.remaining} as bigint)`),
          sql` `,
        )} end`;
  return trx
    .updateTable('loyalty_entries')
    .set({ remaining: value })
    .where('workspace_id', '=', ws)
    .where(
      'id',
      'in',
      part.map((c) => c.id),
    );
}

/** Empties lots (each a credit of the locked account) in one statement: what the expiry and a merge do to every lot they take. */
export async function emptyLots(trx: Conn, ws: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await trx
      .updateTable('loyalty_entries')
      .set({ remaining: 0 })
      .where('workspace_id', '=', ws)
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
  }
}

/** The account of a member, if it has one (not locked: for reads). */
export async function findAccount(db: Conn, ws: string, profileId: string): Promise<AccountRow | undefined> {
  const a = await db.selectFrom('loyalty_accounts').selectAll().where('workspace_id', '=', ws).where('profile_id', '=', profileId).executeTakeFirst();
  return a && { ...a, balance: num(a.balance), pending: num(a.pending), lifetime_earned: num(a.lifetime_earned), last_seq: num(a.last_seq) };
}

export { num };
