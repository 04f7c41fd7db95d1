/**
 * Identity conflicts between two groups of profiles, for modules that must tell two people apart
 * (loyalty's referral checks): the merges One ID refused because an identifier (a phone, a
 * unionid, a device) already belonged to the other side. Read-only.
 */
import type { Kysely } from 'kysely';
import { type CdpDB, cdpDb } from './schema.js';

/** One refused merge between the two groups: the identifier type both sides presented, and when. */
export interface IdentityConflict {
  idType: string;
  fromProfileId: string;
  intoProfileId: string;
  reason: string;
  at: number;
}

/**
 * Refused merges between any profile of `a` and any of `b` (either direction; pass a live profile
 * with the ids merged into it), oldest first. An empty answer means One ID never saw the two
 * groups present the same identifier.
 */
export async function identityConflictsBetween<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  a: readonly string[],
  b: readonly string[],
): Promise<IdentityConflict[]> {
  if (a.length === 0 || b.length === 0) return [];
  const db = cdpDb(handle);
  const rows = await db
    .selectFrom('profile_merges')
    .select(['id_type', 'from_profile_id', 'into_profile_id', 'reason', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', 'refused')
    .where((eb) =>
      eb.or([
        eb.and([eb('from_profile_id', 'in', [...a]), eb('into_profile_id', 'in', [...b])]),
        eb.and([eb('from_profile_id', 'in', [...b]), eb('into_profile_id', 'in', [...a])]),
      ]),
    )
    .orderBy('created_at')
    .limit(100)
    .execute();
  return rows.map((r) => ({
    idType: r.id_type,
    fromProfileId: r.from_profile_id,
    intoProfileId: r.into_profile_id,
    reason: r.reason,
    at: Number(r.created_at),
  }));
}
