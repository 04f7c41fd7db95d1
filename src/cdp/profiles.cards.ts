/**
 * Short cards of many profiles at once (a name and the identifiers), for lists that show people
 * rather than profile ids: a segment's members (segments reads them through a port).
 */
import type { Kysely } from 'kysely';
import type { PiiCipher } from '../platform/crypto.js';
import { parseJson } from '../platform/db/database.js';
import { type CdpDB, cdpDb } from './schema.js';

/** A profile as a list row shows it: a display name (null without a name-like trait) and its identifiers, PII decrypted. */
export interface ProfileCard {
  name: string | null;
  identifiers: { type: string; value: string }[];
}

/** Traits read as a profile's name, in this order. */
export const NAME_TRAITS = ['name', 'nickname', 'username', 'firstName'] as const;

const nameOf = (traits: Record<string, unknown>): string | null => {
  for (const k of NAME_TRAITS) {
    const v = traits[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
};

/**
 * The cards of stored profiles by id (a merged-away id gets its own identifiers, which moved to
 * the survivor, so usually none); ids with no profile are absent. Two queries per 500 ids.
 */
export async function profileCards<D extends CdpDB>(
  handle: Kysely<D>,
  cipher: PiiCipher,
  ws: string,
  ids: readonly string[],
): Promise<Map<string, ProfileCard>> {
  const db = cdpDb(handle);
  const out = new Map<string, ProfileCard>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const rows = await db.selectFrom('profiles').select(['id', 'traits']).where('workspace_id', '=', ws).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, { name: nameOf(parseJson<Record<string, unknown>>(r.traits) ?? {}), identifiers: [] });
    const idRows = await db
      .selectFrom('identities')
      .select(['profile_id', 'id_type', 'id_key', 'value_enc'])
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', part)
      .orderBy('first_seen_at')
      .orderBy('id_type')
      .orderBy('id_key')
      .execute();
    for (const r of idRows) out.get(r.profile_id)?.identifiers.push({ type: r.id_type, value: r.value_enc !== null ? cipher.decrypt(r.value_enc) : r.id_key });
  }
  return out;
}
