import type { Kysely, Selectable } from 'kysely';
import { type Dialect, parseJson } from '../platform/db/database.js';
import type { DB, ProfilesTable } from '../platform/db/schema.js';
import type { ConsentEntry, ProfileState } from './identity-graph.js';

/** Splits a list into chunks so no statement exceeds the engine's bound-parameter limit. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Converts a profiles row (plus its identity rows, keyed form) to the ingest path's state. */
export function rowToState(r: Selectable<ProfilesTable>, identifiers: { type: string; value: string }[]): ProfileState {
  return {
    id: r.id,
    identifiers,
    traits: parseJson<Record<string, unknown>>(r.traits),
    traitTimes: parseJson<Record<string, number>>(r.trait_times),
    consent: parseJson<Record<string, ConsentEntry>>(r.consent),
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    orderCount: r.order_count,
    totalSpentFen: r.total_spent_fen,
    firstPurchaseAt: r.first_purchase_at,
    lastPurchaseAt: r.last_purchase_at,
    createdAt: r.created_at,
  };
}

/** Converts a profile state to a row for insert/upsert. */
export function stateToRow(workspaceId: string, p: ProfileState, now: number, mergedInto: string | null = null) {
  return {
    workspace_id: workspaceId,
    id: p.id,
    merged_into: mergedInto,
    traits: JSON.stringify(p.traits),
    trait_times: JSON.stringify(p.traitTimes),
    consent: JSON.stringify(p.consent),
    first_seen_at: p.firstSeenAt,
    last_seen_at: p.lastSeenAt,
    order_count: p.orderCount,
    total_spent_fen: p.totalSpentFen,
    first_purchase_at: p.firstPurchaseAt,
    last_purchase_at: p.lastPurchaseAt,
    created_at: p.createdAt,
    updated_at: now,
  };
}

/**
 * Loads profiles with their identifiers, locking the rows on PostgreSQL (`FOR UPDATE`) so
 * concurrent writers in other processes serialise per profile. Returns rows keyed by id.
 */
export async function loadProfilesForUpdate(
  db: Kysely<DB>,
  dialect: Dialect,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, { row: Selectable<ProfilesTable>; identifiers: { type: string; value: string }[] }>> {
  const out = new Map<string, { row: Selectable<ProfilesTable>; identifiers: { type: string; value: string }[] }>();
  if (ids.length === 0) return out;
  // Sorted so that concurrent lockers take row locks in one order (fewer deadlocks).
  const sorted = [...new Set(ids)].sort();
  for (const part of chunks(sorted, 5000)) {
    let q = db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', part).orderBy('id');
    if (dialect.engine === 'postgres') q = q.forUpdate();
    for (const row of await q.execute()) out.set(row.id, { row, identifiers: [] });
    const idRows = await db
      .selectFrom('identities')
      .select(['profile_id', 'id_type', 'id_key'])
      .where('workspace_id', '=', workspaceId)
      .where('profile_id', 'in', part)
      .execute();
    for (const r of idRows) out.get(r.profile_id)?.identifiers.push({ type: r.id_type, value: r.id_key });
  }
  return out;
}

/** Follows a merged profile id to the live profile it redirects to (redirects are kept flat). */
export async function resolveProfileId(db: Kysely<DB>, workspaceId: string, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('profiles')
    .select(['id', 'merged_into'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return row.merged_into ?? row.id;
}
