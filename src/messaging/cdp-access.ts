/**
 * Every read and write messaging makes of the cdp module's tables (profiles, profile merges,
 * identities), in one place: cdp owns them (issue #13, "every table has one owner"), and each
 * function here is to be replaced by the one cdp publishes for it. Nothing else in messaging names
 * a cdp table, except `timeline.ts` (events). Every function runs on the connection or transaction
 * it is given, so the dispatcher's reads stay inside its claim transaction.
 */
import type { Kysely, Selectable } from 'kysely';
import { lockProfileFollowingMerges, mergedIdsOf } from '../cdp/profiles.repo.js';
import { parseJson } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { ProfilesTable } from '../cdp/index.js';
import type { CallerDb } from './deps.js';

/** The cdp tables (transitional `DB` type of platform/db/schema.ts, until cdp exports its own). */
const cdb = (db: CallerDb): Kysely<DB> => db;

/** A profile's consent as `profiles.consent` holds it: key (`marketing`, `marketing_sms`) -> the latest fact. */
export type ProfileConsent = Record<string, { granted: boolean; at: number }>;

/** The live profile row a profile id stands for (one merge redirect followed); undefined when there is none. */
// owner: cdp
export async function liveProfileRow(db: CallerDb, ws: string, id: string): Promise<Selectable<ProfilesTable> | undefined> {
  const c = cdb(db);
  let row = await c.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (row?.merged_into) row = await c.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).where('id', '=', row.merged_into).executeTakeFirst();
  if (!row || row.merged_into) return undefined;
  return row;
}

/** The id of the live profile a (possibly merged-away) profile id stands for; undefined when there is none. */
// owner: cdp
export async function liveProfileId(db: CallerDb, ws: string, id: string): Promise<string | undefined> {
  const p = await cdb(db).selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return p ? (p.merged_into ?? p.id) : undefined;
}

/** Ids of the profiles merged into a live profile. */
// owner: cdp
export async function profileMergedIds(db: CallerDb, ws: string, id: string): Promise<string[]> {
  return mergedIdsOf(cdb(db), ws, id);
}

/** Locks the live profile a profile id stands for until the transaction ends; its id, or undefined when there is none. */
// owner: cdp
export async function lockLiveProfile(db: CallerDb, ws: string, id: string, now: number): Promise<string | undefined> {
  return lockProfileFollowingMerges(cdb(db), ws, id, now);
}

/** A profile's `consent` column, parsed; throws (Kysely's NoResultError) when the profile does not exist. */
// owner: cdp
export async function readProfileConsent(db: CallerDb, ws: string, id: string): Promise<ProfileConsent> {
  const row = await cdb(db).selectFrom('profiles').select('consent').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirstOrThrow();
  return parseJson<ProfileConsent>(row.consent);
}

/**
 * Mirrors a consent decision into `profiles.consent[key]` (segment rules read it) unless a newer
 * one is there; the profile is live and locked by the caller. Messaging asks cdp to record it: a write of cdp's table.
 */
// owner: cdp
export async function mirrorProfileConsent(
  db: CallerDb,
  ws: string,
  id: string,
  key: string,
  fact: { granted: boolean; at: number },
  now: number,
): Promise<void> {
  const consent = await readProfileConsent(db, ws, id);
  if (consent[key] && consent[key]!.at > fact.at) return;
  consent[key] = fact;
  await cdb(db)
    .updateTable('profiles')
    .set({ consent: JSON.stringify(consent), updated_at: now })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
}

/** The newest identifier of a type held by some profiles: its stored key and encrypted value (null when stored plain). */
// owner: cdp
export async function latestIdentity(
  db: CallerDb,
  ws: string,
  profileIds: string[],
  idType: string,
): Promise<{ id_key: string; value_enc: string | null } | undefined> {
  return cdb(db)
    .selectFrom('identities')
    .select(['id_key', 'value_enc'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', profileIds)
    .where('id_type', '=', idType)
    .orderBy('first_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The newest `external_userid:<corp>` identifier (its key, the WeCom external user id) of some profiles. */
// owner: cdp
export async function latestExternalUserid(db: CallerDb, ws: string, profileIds: string[]): Promise<string | undefined> {
  const row = await cdb(db)
    .selectFrom('identities')
    .select('id_key')
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', profileIds)
    .where('id_type', 'like', 'external_userid:%')
    .orderBy('first_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id_key;
}

/** The profile holding a phone identifier stored under one of `keys` (its keyed hash, or the plain value). */
// owner: cdp
export async function profileIdByPhone(db: CallerDb, ws: string, keys: string[]): Promise<string | undefined> {
  const id = await cdb(db)
    .selectFrom('identities')
    .select('profile_id')
    .where('workspace_id', '=', ws)
    .where('id_type', '=', 'phone')
    // Phones are keyed-hashed by default; a workspace whose rules store them plain keeps the value.
    .where('id_key', 'in', keys)
    .limit(1)
    .executeTakeFirst();
  return id?.profile_id;
}
