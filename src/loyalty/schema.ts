import type { Millis } from '../platform/db/schema.js';
import type { EarningDB } from './earning.tables.js';
import type { TiersDB } from './tiers.tables.js';

/**
 * The loyalty module's tables (migration 0022_loyalty_ledger): the points ledger. Owned by
 * `src/loyalty/`; other modules reach it through the functions of its index.ts (journeys through
 * the `LoyaltyPort` the root fills).
 */

/** The kinds of ledger entries: credits (earn, a positive adjust, a transfer in) and debits (spend, expire, a negative adjust, claw back, a transfer out of a merged-away profile). */
export type EntryKind = 'earn' | 'spend' | 'expire' | 'adjust' | 'clawback' | 'transfer';

/** What an entry came from. */
export type SourceType = 'api' | 'event' | 'order' | 'journey' | 'operator' | 'system';

/**
 * One member's points account. `balance` is a cache: it always equals the sum of the account's
 * entries' `amount`, and the sum of its credits' `remaining` (`siyu loyalty verify` checks both).
 * The row is what concurrent operations on one member lock.
 */
export interface LoyaltyAccountsTable {
  workspace_id: string;
  profile_id: string;
  /** Points available now (expired lots are removed by `expire` entries). */
  balance: number;
  /** Points promised but not yet available (held until an order can no longer be returned); 0 until holds are implemented. */
  pending: number;
  /** Sum of every credit ever posted (earnings and positive adjustments). */
  lifetime_earned: number;
  /** The `seq` of the account's last entry (0 before the first). */
  last_seq: number;
  created_at: Millis;
  updated_at: Millis;
}

/** One ledger entry: append-only (only a credit's `remaining` changes, as debits consume it). */
export interface LoyaltyEntriesTable {
  workspace_id: string;
  id: string;
  profile_id: string;
  /** Posting order within the account: 1, 2, ... without gaps. */
  seq: number;
  kind: EntryKind;
  /** Signed points: positive for credits, negative for debits. */
  amount: number;
  /** Points asked for (a claw back takes at most the balance; the rest is its shortfall). */
  requested: number;
  /** The account's balance once this entry was posted. */
  balance_after: number;
  reason: string;
  source_type: SourceType;
  source_id: string | null;
  /** Unique per workspace: a request retried with its key has one effect. */
  idempotency_key: string;
  /** Hash of the request's fields: the same key with a different request is a conflict. */
  request_hash: string;
  /** Credits only: points of this credit not yet spent or expired (debits take the earliest-expiring first); null for debits. */
  remaining: number | null;
  /** Credits only: when what remains of it expires; null for never. */
  expires_at: Millis | null;
  /** Credits only: when the "Points Expiring" notice was recorded for it; null before. */
  notified_at: Millis | null;
  created_at: Millis;
}

/** The loyalty module's tables, merged into platform's DB type. */
export interface LoyaltyDB extends EarningDB, TiersDB {
  loyalty_accounts: LoyaltyAccountsTable;
  loyalty_entries: LoyaltyEntriesTable;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends LoyaltyDB {}
}
