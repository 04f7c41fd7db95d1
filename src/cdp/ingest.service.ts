import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { PiiCipher } from '../platform/crypto.js';
import { newId } from '../platform/ids.js';
import { ConcurrentWriteError, type IngestDeps, type IngestOutcome, type WorkspaceIngestSettings } from './ingest.types.js';
import { type Identifier, type RuleBook, storedKey } from './identifiers.js';
import { applyTraits, IdentityGraph, type ProfileState } from './identity-graph.js';
import { tombstonedEvents } from './erasure.js';
import { writeBack } from './ingest.write.js';
import { loadOrderBook } from './orders.repo.js';
import type { PlacedOrder } from './orders.types.js';
import { chunks, loadProfilesForUpdate, rowToState } from './profiles.repo.js';
import { type CdpDB, cdpDb } from './schema.js';
import type { TrackedEvent } from './tracking.js';

export { ConcurrentWriteError, type IngestDeps, type IngestOutcome, type WorkspaceIngestSettings } from './ingest.types.js';

/**
 * Stores events exactly once and resolves their identities, inside the caller's transaction.
 * Events whose (workspace, messageId) is already stored are skipped entirely, so a retried batch
 * changes nothing. Profiles touched are loaded once and written once per call.
 */
export async function applyEvents<D extends CdpDB>(
  handle: Kysely<D>,
  deps: IngestDeps,
  workspaceId: string,
  settings: WorkspaceIngestSettings,
  input: TrackedEvent[],
): Promise<IngestOutcome> {
  const trx = cdpDb(handle);
  const now = deps.now();
  // 1. Exactly once: drop repeats inside the batch and those already stored.
  const unstored = await unstoredEvents(trx, workspaceId, input);
  const outcome: IngestOutcome = { stored: unstored.length, duplicates: input.length - unstored.length, profileOf: new Map() };
  if (unstored.length === 0) return outcome;
  // 2. Identifier keys: PII is looked up by keyed hash, stored encrypted.
  const cipher = await deps.cipher.forWorkspace(workspaceId, handle);
  const keyed = keyIdentifiers(settings.rules, cipher, unstored);
  const { plainOf } = keyed;
  // An event naming an erased identifier is dropped, never stored nor linked (issue #19, tombstones).
  const erased = await tombstonedEvents(trx, cipher, workspaceId, keyed.eventIds, (type, key) => plainOf.has(type + '\u0000' + key));
  const events = erased.size ? unstored.filter((_, i) => !erased.has(i)) : unstored;
  const eventIds = erased.size ? keyed.eventIds.filter((_, i) => !erased.has(i)) : keyed.eventIds;
  if (erased.size) ((outcome.stored -= erased.size), (outcome.erased = erased.size));
  if (events.length === 0) return outcome;
  // 3. The profiles owning the batch's identifiers, locked, in an identity graph.
  const graph = await loadGraph(trx, deps.dialect, workspaceId, settings.rules, eventIds, now);
  // 4. Orders: first-class, counted once per order id; refunds, cancellations and updates refold them.
  const orders = await loadOrderBook(trx, deps.dialect, workspaceId, events);
  // 5. Resolve and apply, in timestamp order within the batch (ties keep arrival order).
  const order = events.map((_, i) => i).sort((a, b) => events[a]!.timestamp - events[b]!.timestamp || a - b);
  const profileAt = new Array<string>(events.length);
  for (const i of order) {
    const e = events[i]!;
    const pid = graph.resolve(eventIds[i]!, e.messageId, e.timestamp);
    profileAt[i] = pid;
    const p = graph.profiles.get(pid)!;
    applyEvent(p, e);
    // An imported order may carry its change too (a row with status refunded): placement first.
    if (e.order && orders.complete(e, pid)) addPurchase(p, e.order, e.timestamp, settings.currency);
    if (e.orderChange) orders.change(e, pid);
    graph.dirty.add(pid);
  }
  // 6. Write back: merges first (they move rows), then profiles, identities, events, orders, records.
  await writeBack(
    trx,
    { dialect: deps.dialect, cipher },
    workspaceId,
    { graph, events, profileAt, plainOf, orders: orders.plan(), currency: settings.currency, outcome },
    now,
  );
  return outcome;
}

/** The events of `input` not stored yet, each message id once (first occurrence). */
async function unstoredEvents(trx: Kysely<CdpDB>, workspaceId: string, input: TrackedEvent[]): Promise<TrackedEvent[]> {
  const unique = new Map<string, TrackedEvent>();
  for (const e of input) if (!unique.has(e.messageId)) unique.set(e.messageId, e);
  const existing = new Set<string>();
  for (const part of chunks([...unique.keys()], 5000)) {
    const rows = await trx.selectFrom('events').select('message_id').where('workspace_id', '=', workspaceId).where('message_id', 'in', part).execute();
    for (const r of rows) existing.add(r.message_id);
  }
  return [...unique.values()].filter((e) => !existing.has(e.messageId));
}

/** Each event's identifiers in stored form; `plainOf` keeps the plain value of each keyed PII identifier (type\0key). */
function keyIdentifiers(rules: RuleBook, cipher: PiiCipher, events: TrackedEvent[]): { eventIds: Identifier[][]; plainOf: Map<string, string> } {
  const plainOf = new Map<string, string>();
  const keyed = (id: Identifier): Identifier => {
    const key = storedKey(rules, cipher, id.type, id.value);
    if (key === id.value) return id;
    plainOf.set(id.type + '\u0000' + key, id.value);
    return { type: id.type, value: key };
  };
  return { eventIds: events.map((e) => e.identifiers.map(keyed)), plainOf };
}

/** Loads the owners of every identifier in the batch, then those profiles (locked) and all their identifiers, into a graph. */
async function loadGraph(
  trx: Kysely<CdpDB>,
  dialect: Dialect,
  workspaceId: string,
  rules: RuleBook,
  eventIds: Identifier[][],
  now: number,
): Promise<IdentityGraph> {
  const byType = new Map<string, Set<string>>();
  for (const ids of eventIds)
    for (const id of ids) {
      let s = byType.get(id.type);
      if (!s) byType.set(id.type, (s = new Set()));
      s.add(id.value);
    }
  const ownerIds = new Set<string>();
  for (const [type, values] of byType) {
    for (const part of chunks([...values], 5000)) {
      const rows = await trx
        .selectFrom('identities')
        .select('profile_id')
        .where('workspace_id', '=', workspaceId)
        .where('id_type', '=', type)
        .where('id_key', 'in', part)
        .execute();
      for (const r of rows) ownerIds.add(r.profile_id);
    }
  }
  const loaded = await loadProfilesForUpdate(trx, dialect, workspaceId, [...ownerIds]);
  const graph = new IdentityGraph(rules, () => newId('prf', now));
  for (const id of ownerIds) {
    const hit = loaded.get(id);
    // An identity pointing at a missing or merged profile means another writer moved it after our read.
    if (!hit || hit.row.merged_into !== null) throw new ConcurrentWriteError(`profile ${id} changed while loading`);
    graph.load(rowToState(hit.row, hit.identifiers));
  }
  return graph;
}

/** Applies one event to its profile: seen times, and traits and consent by time. */
function applyEvent(p: ProfileState, e: TrackedEvent): void {
  p.firstSeenAt = p.firstSeenAt === null ? e.timestamp : Math.min(p.firstSeenAt, e.timestamp);
  p.lastSeenAt = p.lastSeenAt === null ? e.timestamp : Math.max(p.lastSeenAt, e.timestamp);
  if (e.traits) applyTraits(p, e.traits, e.timestamp);
  if (e.consent) {
    for (const [k, granted] of Object.entries(e.consent)) {
      const prev = p.consent[k];
      if (!prev || prev.at <= e.timestamp) p.consent[k] = { granted, at: e.timestamp };
    }
  }
}

/**
 * Adds a new order that nothing changes to its profile's aggregates, in memory (the fast path;
 * orders with changes are recomputed from the orders table instead). Aggregates count orders in
 * the workspace currency.
 */
function addPurchase(p: ProfileState, o: PlacedOrder, at: number, currency: string): void {
  if (o.currency !== currency) return;
  p.orderCount += 1;
  // Saturates at 2^53 - 1 fen: the sum stays an exact JavaScript number and fits bigint (docs/tracking-api.md, "Orders").
  p.totalSpentFen = Math.min(p.totalSpentFen + o.totalFen, Number.MAX_SAFE_INTEGER);
  p.grossSpentFen = Math.min(p.grossSpentFen + o.totalFen, Number.MAX_SAFE_INTEGER);
  p.firstPurchaseAt = p.firstPurchaseAt === null ? at : Math.min(p.firstPurchaseAt, at);
  p.lastPurchaseAt = p.lastPurchaseAt === null ? at : Math.max(p.lastPurchaseAt, at);
}
