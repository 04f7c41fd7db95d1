/**
 * The points ledger's rules: earn, spend, adjust, claw back and expire, each inside one transaction
 * that holds the member's account row. Points are never lost, created from nothing or spent twice:
 * every change is an entry, the cached balance moves with it, a balance never goes below zero, and
 * a request retried with its idempotency key has one effect and gets the first answer.
 */
import { createHash } from 'node:crypto';
import { recordSystemEvents, type SystemEvent, systemEventsInsert } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { LoyaltyError } from './errors.js';
import { POINTS_EVENTS } from './event-names.js';
import {
  type AccountRow,
  appendEntries,
  appendTogether,
  type Conn,
  type EntryRow,
  type Lot,
  lockAccount,
  lockAndRead,
  type NewEntry,
  openLots,
  setRemaining,
} from './ledger.repo.js';
import { upgradeWith } from './tiers.recheck.js';
import type { EntryKind, SourceType } from './schema.js';

/** The largest number of points one request may move (a balance stays within safe integers too). */
export const MAX_POINTS = 1_000_000_000_000;

/** Where an entry came from. */
export interface PointsSource {
  type: SourceType;
  id: string | null;
}

/** One posting asked of the ledger. */
export interface PostingRequest {
  workspaceId: string;
  /** The live profile whose account it is. */
  profileId: string;
  kind: Exclude<EntryKind, 'expire' | 'transfer'>;
  /** Positive, except for `adjust` (signed, not zero). */
  points: number;
  reason: string;
  source: PointsSource;
  idempotencyKey: string;
  /** Credits (earn, a positive adjust): when the points expire, epoch ms; null for never; absent: `defaultExpiresAt`. */
  expiresAt?: number | null;
  /**
   * The expiry the workspace's policy gives a credit posted now, used when `expiresAt` is absent.
   * Not part of the request's fingerprint: a retry after the policy (or the year) changed is the same request.
   */
  defaultExpiresAt?: number | null;
  /** The profile as the request named it (for the request's fingerprint); default the profile id. */
  profileRef?: string;
}

/** An entry as the API answers it. */
export interface EntryView {
  id: string;
  profileId: string;
  seq: number;
  kind: EntryKind;
  /** Signed: positive for credits, negative for debits. */
  points: number;
  /** Points asked for; a claw back's shortfall is `requested - |points|`. */
  requested: number;
  balanceAfter: number;
  reason: string;
  source: PointsSource;
  idempotencyKey: string;
  expiresAt: string | null;
  createdAt: string;
}

/** The answer of a posting: its entry, and whether it is the first answer given again (a retried key). */
export interface PostingResult {
  entry: EntryView;
  replayed: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An entry row as the API shows it. */
export function entryView(r: EntryRow): EntryView {
  return {
    id: r.id,
    profileId: r.profile_id,
    seq: r.seq,
    kind: r.kind,
    points: r.amount,
    requested: r.requested,
    balanceAfter: r.balance_after,
    reason: r.reason,
    source: { type: r.source_type, id: r.source_id },
    idempotencyKey: r.idempotency_key,
    expiresAt: iso(r.expires_at),
    createdAt: iso(r.created_at)!,
  };
}

/** The request's fingerprint: the same key with another fingerprint is IDEMPOTENCY_CONFLICT. */
function fingerprint(req: PostingRequest): string {
  const parts = [req.kind, req.profileRef ?? req.profileId, req.points, req.reason, req.source.type, req.source.id, req.expiresAt ?? null];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

/** Checks what a caller outside HTTP validation (a port, a test) could pass wrong. */
function checkRequest(req: PostingRequest): void {
  const p = req.points;
  if (!Number.isSafeInteger(p) || Math.abs(p) > MAX_POINTS || p === 0 || (req.kind !== 'adjust' && p < 0)) {
    const what = req.kind === 'adjust' ? 'a non-zero integer' : 'a positive integer';
    throw new LoyaltyError('VALIDATION_FAILED', `points must be ${what} of at most ${MAX_POINTS} in magnitude, got ${p}`, { field: 'points' });
  }
}

/**
 * Posts one entry inside the caller's transaction `trx` (which it locks the account in): the first
 * posting of a key writes its entry and answers it; the same request again answers that same entry
 * (`replayed`), a different request with the key is IDEMPOTENCY_CONFLICT. Lots past their expiry
 * are expired first, so a spend never takes expired points. Records the timeline event. A credit
 * (earn, a positive adjust) upgrades the member's tier at once, in this transaction (account
 * lock, then the member's, as everywhere): whatever path posts it (the points API, a rule, a
 * referral, a check-in, a lottery prize, a group-buy, the journeys' award step).
 */
export async function postEntry(trx: Conn, dialect: Dialect, req: PostingRequest, now: number): Promise<PostingResult> {
  checkRequest(req);
  const hash = fingerprint(req);
  // Under the lock: a concurrent request with this key for this member has committed or not begun.
  // The lock reads the tier program in force (for the upgrade), the key's entry and the open lots (the
  // expiry and the debit) too: one statement on PostgreSQL unless a posting committed while it waited.
  const { account, tierProgram, first, lots } = await lockAndRead(trx, dialect, req.workspaceId, req.profileId, req.idempotencyKey, now);
  if (first) {
    if (first.request_hash !== hash) {
      throw new LoyaltyError(
        'IDEMPOTENCY_CONFLICT',
        `idempotency key "${req.idempotencyKey}" was used by a different request (entry ${first.id}); use a new key for a new request`,
        {
          entryId: first.id,
        },
      );
    }
    return { entry: entryView(first), replayed: true };
  }
  // Checked after the replay: a retried earn answers its first answer even once its expiry has passed.
  if (req.expiresAt != null && req.expiresAt <= now) {
    throw new LoyaltyError('VALIDATION_FAILED', `expiresAt must be in the future, got ${new Date(req.expiresAt).toISOString()}`, { field: 'expiresAt' });
  }
  // What is due expires first; a spend's lots are those the expiry leaves. Everything is computed
  // first and written together (one statement on PostgreSQL).
  const due = dueLots(lots, now);
  const expired = expiryEntries(account, due, now);
  const last = expired[expired.length - 1];
  const before = last ? { ...account, balance: last.balance_after, last_seq: last.seq } : account;
  const { entry, taken } = post(
    before,
    req,
    hash,
    now,
    lots.filter((l) => !due.includes(l)),
  );
  const emptied = due.map((l) => ({ id: l.id, remaining: 0 }));
  await writeEntries(trx, dialect, account, [...expired, entry], [...emptied, ...taken], now);
  if (entry.amount > 0 && (req.kind === 'earn' || req.kind === 'adjust')) await upgradeWith(trx, dialect, req.workspaceId, [req.profileId], now, tierProgram);
  return { entry: entryView({ ...entry, notified_at: null }), replayed: false };
}

/**
 * Writes a locked account's new entries, what remains of the lots they took or emptied, the cached
 * balance and the entries' timeline events: on PostgreSQL as one statement (writable CTEs: one
 * round trip instead of four), on SQLite one after another (no writable CTEs there; its prepared
 * statements cost no round trip).
 */
async function writeEntries(
  trx: Conn,
  dialect: Dialect,
  account: AccountRow,
  entries: readonly NewEntry[],
  lots: readonly { id: string; remaining: number }[],
  now: number,
): Promise<void> {
  if (entries.length === 0) return;
  // The events' ids are the entries' (just generated, inserted in the same statement): no conflict clause needed.
  if (dialect.engine === 'postgres') return appendTogether(trx, account, entries, lots, systemEventsInsert(trx, pointsEvents(entries), { fresh: true }), now);
  await setRemaining(trx, account.workspace_id, lots);
  await appendEntries(trx, account, entries, now, dialect);
  await recordEvents(trx, dialect, entries);
}

/** Computes the entry of a posting on the locked account and, for a debit, what remains of the lots it takes. */
function post(
  account: AccountRow,
  req: PostingRequest,
  hash: string,
  now: number,
  lots: readonly Lot[],
): { entry: NewEntry; taken: { id: string; remaining: number }[] } {
  const base = {
    id: newId('pte', now),
    workspace_id: req.workspaceId,
    profile_id: req.profileId,
    seq: account.last_seq + 1,
    kind: req.kind,
    requested: Math.abs(req.points),
    reason: req.reason,
    source_type: req.source.type,
    source_id: req.source.id,
    idempotency_key: req.idempotencyKey,
    request_hash: hash,
    created_at: now,
  };
  if (req.points > 0 && (req.kind === 'earn' || req.kind === 'adjust')) {
    if (account.balance + req.points > Number.MAX_SAFE_INTEGER) {
      throw new LoyaltyError('POINTS_OUT_OF_RANGE', `${req.points} more points would take the balance (${account.balance}) past ${Number.MAX_SAFE_INTEGER}`, {
        balance: account.balance,
        limit: Number.MAX_SAFE_INTEGER,
      });
    }
    const expiresAt = req.expiresAt !== undefined ? req.expiresAt : (req.defaultExpiresAt ?? null);
    return { entry: { ...base, amount: req.points, balance_after: account.balance + req.points, remaining: req.points, expires_at: expiresAt }, taken: [] };
  }
  const wanted = Math.abs(req.points);
  // A claw back reverses what it can: it takes at most the balance and reports the rest as its shortfall.
  const take = req.kind === 'clawback' ? Math.min(wanted, account.balance) : wanted;
  if (take > account.balance) {
    throw new LoyaltyError(
      'INSUFFICIENT_POINTS',
      `${wanted} points asked for and the balance is ${account.balance}: nothing was ${req.kind === 'spend' ? 'spent' : 'taken'}`,
      {
        balance: account.balance,
        requested: wanted,
      },
    );
  }
  const taken = consume(account, take, lots, req.kind === 'clawback' ? req.source : undefined);
  // 0 - take, not -take: a claw back of nothing would answer -0, and its replay (read back) 0.
  return { entry: { ...base, amount: 0 - take, balance_after: account.balance - take, remaining: null, expires_at: null }, taken };
}

/**
 * What remains of the lots `points` are taken out of: the account's open lots (`lots`, in
 * openLots' order: earliest-expiring first), a claw back's own source's lots before the others.
 */
function consume(account: AccountRow, points: number, lots: readonly Lot[], prefer?: PointsSource): { id: string; remaining: number }[] {
  if (points === 0) return [];
  let left = points;
  const changes: { id: string; remaining: number }[] = [];
  const own = (l: Lot) => prefer !== undefined && prefer.id !== null && l.sourceType === prefer.type && l.sourceId === prefer.id;
  for (const lot of [...lots.filter(own), ...lots.filter((l) => !own(l))]) {
    const take = Math.min(left, lot.remaining);
    changes.push({ id: lot.id, remaining: lot.remaining - take });
    left -= take;
    if (left === 0) break;
  }
  // The lots hold exactly the balance (verify checks it): running short is a broken ledger, not a user error.
  if (left > 0)
    throw new Error(`loyalty ledger of ${account.profile_id} in ${account.workspace_id}: lots hold ${points - left} points, balance ${account.balance}`);
  return changes;
}

/**
 * Expires what is due in one member's account, in the caller's transaction (locking the account):
 * what the expiry job runs per account. Returns the entries written (none when nothing was due).
 */
export async function expireDue(trx: Conn, dialect: Dialect, ws: string, profileId: string, now: number): Promise<EntryView[]> {
  const account = await lockAccount(trx, dialect, ws, profileId, now);
  return (await expireLots(trx, dialect, account, now)).map((e) => entryView({ ...e, notified_at: null }));
}

/** The lots of `lots` whose time has come at `now`. */
function dueLots(lots: readonly Lot[], now: number): Lot[] {
  return lots.filter((l) => l.expiresAt !== null && l.expiresAt <= now);
}

/**
 * Expires the locked account's lots whose time has come: one `expire` entry per lot, for what
 * remains of it, keyed by the lot (`siyu:expire:<lot id>`), so running it twice expires once.
 * Returns the entries written.
 */
export async function expireLots(trx: Conn, dialect: Dialect, account: AccountRow, now: number, open?: readonly Lot[]): Promise<NewEntry[]> {
  const due = dueLots(open ?? (await openLots(trx, account.workspace_id, account.profile_id)), now);
  const entries = expiryEntries(account, due, now);
  await writeEntries(
    trx,
    dialect,
    account,
    entries,
    due.map((l) => ({ id: l.id, remaining: 0 })),
    now,
  );
  return entries;
}

/** The `expire` entries of the account's due lots, in order after its last entry (not written). */
function expiryEntries(account: AccountRow, due: readonly Lot[], now: number): NewEntry[] {
  const entries: NewEntry[] = [];
  let balance = account.balance;
  let seq = account.last_seq;
  for (const lot of due) {
    balance -= lot.remaining;
    const key = `siyu:expire:${lot.id}`;
    entries.push({
      id: newId('pte', now),
      workspace_id: account.workspace_id,
      profile_id: account.profile_id,
      seq: ++seq,
      kind: 'expire',
      amount: -lot.remaining,
      requested: lot.remaining,
      balance_after: balance,
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
  return entries;
}

/** Puts each entry on its member's timeline ("Points Earned", ...), keyed by the entry id so a retried transaction records it once. */
export async function recordEvents(trx: Conn, dialect: Dialect, entries: readonly NewEntry[]): Promise<void> {
  await recordSystemEvents(trx, dialect, pointsEvents(entries));
}

/** The timeline events of entries (see {@link recordEvents}). */
function pointsEvents(entries: readonly NewEntry[]): SystemEvent[] {
  return entries.map((e) => ({
    workspaceId: e.workspace_id,
    profileId: e.profile_id,
    event: POINTS_EVENTS[e.kind],
    eventId: e.id,
    at: e.created_at,
    properties: {
      points: e.amount,
      balance: e.balance_after,
      reason: e.reason,
      entry_id: e.id,
      source_type: e.source_type,
      source_id: e.source_id,
      ...(e.expires_at !== null ? { expires_at: new Date(e.expires_at).toISOString() } : {}),
      ...(e.kind === 'clawback' && e.requested > -e.amount ? { shortfall: e.requested + e.amount } : {}),
    },
  }));
}
