import type { Kysely } from 'kysely';
import { chunks } from './profiles.repo.js';
import { type CdpDB, cdpDb } from './schema.js';

// Reads of the identity graph's identifiers. `key` is always the stored form of a value: the
// normalised value, or its keyed hash for PII types (see identifiers.ts#storedKey).

/**
 * The profile owning an identifier; with several keys (e.g. a phone's hashed and plain forms), the
 * owner of any one of them. Identity rows point at live profiles (a merge moves them).
 */
export async function findProfileByIdentifier<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  type: string,
  key: string | string[],
): Promise<string | undefined> {
  const db = cdpDb(handle);
  let q = db.selectFrom('identities').select('profile_id').where('workspace_id', '=', workspaceId).where('id_type', '=', type);
  q = typeof key === 'string' ? q.where('id_key', '=', key) : q.where('id_key', 'in', key).limit(1);
  return (await q.executeTakeFirst())?.profile_id;
}

/** The owning profile of each stored key of one identifier type (5,000 keys a statement); keys no profile holds are absent. */
export async function profilesByIdentifier<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  type: string,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const db = cdpDb(handle);
  const out = new Map<string, string>();
  for (const part of chunks([...keys], 5000)) {
    const rows = await db
      .selectFrom('identities')
      .select(['id_key', 'profile_id'])
      .where('workspace_id', '=', workspaceId)
      .where('id_type', '=', type)
      .where('id_key', 'in', part)
      .execute();
    for (const r of rows) out.set(r.id_key, r.profile_id);
  }
  return out;
}

/**
 * The live profile holding an identifier, following merge redirects (at most 32; a longer chain
 * throws); undefined if no profile holds it.
 */
export async function liveProfileByIdentifier<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, type: string, key: string): Promise<string | undefined> {
  const db = cdpDb(handle);
  const owner = await findProfileByIdentifier(db, workspaceId, type, key);
  if (owner === undefined) return undefined;
  let id = owner;
  for (let i = 0; i < 32; i++) {
    const p = await db.selectFrom('profiles').select('merged_into').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (!p?.merged_into) return id;
    id = p.merged_into;
  }
  throw new Error(`profile redirect chain from ${owner} is longer than 32`);
}

/** A stored identifier: its type, key and, for PII types, the ciphertext of its value. */
export interface IdentifierRow {
  type: string;
  key: string;
  valueEnc: string | null;
}

/**
 * The identifier of a type (exact, or `{ like }` a SQL LIKE pattern such as `external_userid:%`)
 * that the given profiles (a live profile and those merged into it) acquired last.
 */
export async function latestIdentifier<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  profileIds: readonly string[],
  type: string | { like: string },
): Promise<IdentifierRow | undefined> {
  const db = cdpDb(handle);
  const row = await db
    .selectFrom('identities')
    .select(['id_type', 'id_key', 'value_enc'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', 'in', [...profileIds])
    .where('id_type', typeof type === 'string' ? '=' : 'like', typeof type === 'string' ? type : type.like)
    .orderBy('first_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { type: row.id_type, key: row.id_key, valueEnc: row.value_enc };
}
