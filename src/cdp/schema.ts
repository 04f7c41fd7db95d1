import type { Generated, Kysely } from 'kysely';
import type { JsonColumn, Millis } from '../platform/db/column-values.js';
import type { ChangeOutcome, OrderStatus } from './orders.types.js';

/**
 * The CDP's tables (migrations in migrations.ts). Owned by `src/cdp/`; other modules read them
 * through the functions `src/cdp/index.ts` exports, and segments compiles SQL over them (the one
 * declared exception).
 */

/** A profile: traits, consent and purchase aggregates; a merged-away profile keeps its row with `merged_into` set. */
export interface ProfilesTable {
  workspace_id: string;
  id: string;
  merged_into: string | null;
  traits: JsonColumn;
  trait_times: JsonColumn;
  consent: JsonColumn;
  first_seen_at: Millis | null;
  last_seen_at: Millis | null;
  /** Net: orders not cancelled nor fully refunded (in the workspace currency). */
  order_count: number;
  /** Net: gross_spent_fen − refunded_fen. */
  total_spent_fen: number;
  /** Amounts of the orders not cancelled, before refunds. */
  gross_spent_fen: Generated<number>;
  /** Refunded of those orders. */
  refunded_fen: Generated<number>;
  /** First and last purchase among the orders counted in order_count. */
  first_purchase_at: Millis | null;
  last_purchase_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

/** An identifier held by a profile (One ID): one owner per (type, key). */
export interface IdentitiesTable {
  workspace_id: string;
  id_type: string;
  /** Normalised value, or a keyed hash of it for PII types (phone, email). */
  id_key: string;
  profile_id: string;
  /** AES-GCM ciphertext of the value for PII types; null where id_key is the value. */
  value_enc: string | null;
  first_seen_at: Millis;
  source_message_id: string | null;
}

/** A stored event (append-only, deduplicated on message id), on the timeline of its profile. */
export interface EventsTable {
  workspace_id: string;
  message_id: string;
  profile_id: string;
  type: string;
  event: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  timestamp: Millis;
  received_at: Millis;
  payload: JsonColumn;
}

/** A merge or a refused merge, with the identifier that caused it. */
export interface ProfileMergesTable {
  workspace_id: string;
  id: string;
  kind: 'merge' | 'refused';
  from_profile_id: string;
  into_profile_id: string;
  id_type: string;
  id_key: string;
  message_id: string | null;
  reason: string;
  created_at: Millis;
}

/** An order, counted once per order id; `pending` rows stand for changes held before their order arrived. */
export interface OrdersTable {
  workspace_id: string;
  order_id: string;
  profile_id: string;
  message_id: string;
  /** The order's amount after updates, before refunds. */
  total_fen: number;
  currency: string;
  ordered_at: Millis;
  status: Generated<OrderStatus>;
  refunded_fen: Generated<number>;
  /** JSON: lines after changes, with refunded quantities (HeldLine[]), or null. */
  lines: JsonColumn | null;
  /** JSON: the order as its `Order Completed` placed it (PlacedOrder), or null for orders stored before 0023. */
  placed: JsonColumn | null;
}

/** A refund, cancellation or update of an order, kept once per key; held (outcome `held`) until its order arrives. */
export interface OrderChangesTable {
  workspace_id: string;
  order_id: string;
  /** `refund:<refund_id or message id>`, `cancel:<message id>`, `update:<message id>`. */
  change_key: string;
  message_id: string;
  kind: 'refund' | 'cancel' | 'update';
  at: Millis;
  /** JSON: the OrderChange as read from the event. */
  body: JsonColumn;
  outcome: ChangeOutcome;
  /** Why a change was capped or ignored. */
  note: string | null;
}

/** A group of the tag catalogue. */
export interface TagGroupsTable {
  workspace_id: string;
  id: string;
  name: string;
  created_at: Millis;
}

/** A tag of the catalogue, in one group. */
export interface TagsTable {
  workspace_id: string;
  id: string;
  group_id: string;
  name: string;
  created_at: Millis;
}

/** A tag held by a profile, with where it came from. */
export interface ProfileTagsTable {
  workspace_id: string;
  profile_id: string;
  tag_id: string;
  source: 'manual' | 'import' | 'rule' | 'event';
  created_at: Millis;
}

/**
 * An erased identifier (issue #19): `key` is the PII cipher's keyed hash (`lookupKey(type, value)`)
 * of its normalised value, never the value; ingestion drops events naming it until it is lifted.
 */
export interface IdentityTombstonesTable {
  workspace_id: string;
  id_type: string;
  key: string;
  erased_at: Millis;
}

/** The Kysely database type of the CDP's tables. */
export interface CdpDB {
  profiles: ProfilesTable;
  identities: IdentitiesTable;
  events: EventsTable;
  profile_merges: ProfileMergesTable;
  orders: OrdersTable;
  order_changes: OrderChangesTable;
  tag_groups: TagGroupsTable;
  tags: TagsTable;
  profile_tags: ProfileTagsTable;
  identity_tombstones: IdentityTombstonesTable;
}

/**
 * The CDP's view of a database handle or transaction that has its tables. A `Kysely<D>` with more
 * tables than CdpDB is one with CdpDB's, but TypeScript cannot see it through `Transaction<D>`'s
 * method types, hence the cast; it changes no value.
 */
export function cdpDb<D extends CdpDB>(db: Kysely<D>): Kysely<CdpDB> {
  return db as unknown as Kysely<CdpDB>;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends CdpDB {}
}
