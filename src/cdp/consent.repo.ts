import type { Kysely } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { ConsentEntry } from './identity-graph.js';
import { type CdpDB, cdpDb } from './schema.js';

// A profile's current consent (`profiles.consent`: key -> { granted, at }), kept by the CDP. The
// ledger of consent records belongs to messaging; it asks the CDP to record each change here.

/**
 * The current consent of a profile, following a merge redirect: the live profile's id and its
 * consent entries; undefined if there is no such profile.
 */
export async function loadProfileConsent<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  profileId: string,
): Promise<{ profileId: string; consent: Record<string, ConsentEntry> } | undefined> {
  const db = cdpDb(handle);
  const read = (id: string) => db.selectFrom('profiles').select(['id', 'merged_into', 'consent']).where('workspace_id', '=', workspaceId).where('id', '=', id);
  let row = await read(profileId).executeTakeFirst();
  if (!row) return undefined;
  if (row.merged_into !== null) row = await read(row.merged_into).executeTakeFirstOrThrow();
  return { profileId: row.id, consent: parseJson<Record<string, ConsentEntry>>(row.consent) };
}

/**
 * Records one consent decision on a live profile (lock it first, e.g. with
 * lockProfileFollowingMerges): the newer entry wins, an entry at the same time replaces the stored
 * one, and `updated_at` moves to `now` only when the entry was written. Returns whether it was.
 */
export async function recordProfileConsent<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  profileId: string,
  key: string,
  entry: ConsentEntry,
  now: number,
): Promise<boolean> {
  const db = cdpDb(handle);
  const row = await db.selectFrom('profiles').select('consent').where('workspace_id', '=', workspaceId).where('id', '=', profileId).executeTakeFirstOrThrow();
  const consent = parseJson<Record<string, ConsentEntry>>(row.consent);
  const prev = consent[key];
  if (prev && prev.at > entry.at) return false;
  consent[key] = { granted: entry.granted, at: entry.at };
  await db
    .updateTable('profiles')
    .set({ consent: JSON.stringify(consent), updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', profileId)
    .execute();
  return true;
}
