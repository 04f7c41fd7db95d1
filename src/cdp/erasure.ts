/**
 * Erasure of a person from the CDP (issue #19, data-subject rights), and the tombstones that keep
 * their identifiers from linking again. What is removed and what is kept, detached, is listed in
 * docs/compliance.md ("Erasure"): identifiers are deleted (a tombstone keeps a keyed hash of each),
 * merge history and tags deleted, events kept on the timeline of an anonymous stand-in with their
 * identifiers and payload removed, orders kept with their amounts on that stand-in, the live profile
 * becoming the stand-in (traits, consent emptied; purchase aggregates kept) and the profiles merged
 * into it deleted. One transaction: run again, it finds nothing left and changes nothing.
 */
import type { Kysely } from 'kysely';
import type { PiiCipher } from '../platform/crypto.js';
import type { PiiKeyring } from '../platform/keys.js';
import type { Database } from '../platform/db/database.js';
import { affected, type ErasureCounts, type ErasureTarget } from '../platform/personal-data.js';
import type { Identifier } from './identifiers.js';
import { chunks } from './profiles.repo.js';
import { type CdpDB, cdpDb } from './schema.js';

/** What an erased event's payload becomes: its name, type and time stay in their columns. */
export const ERASED_PAYLOAD = '{"erased":true}';

/**
 * The tombstone key of an identifier: the cipher's keyed hash of its normalised value. `keyed` says
 * the stored key is already that hash (PII types: the identity row holds `lookupKey(type, value)`).
 */
export function tombstoneKey(cipher: PiiCipher, type: string, storedKey: string, keyed: boolean): string {
  return keyed ? storedKey : cipher.lookupKey(type, storedKey);
}

/** Erases the person whose profiles are `target.profileIds` (the live one first) from the CDP's tables. */
export async function eraseCdpPerson(deps: { database: Database; cipher: PiiKeyring }, ws: string, target: ErasureTarget): Promise<ErasureCounts> {
  const ids = target.profileIds;
  const cipher = await deps.cipher.forWorkspace(ws);
  return deps.database.db.transaction().execute(async (handle) => {
    const trx = cdpDb(handle as unknown as Kysely<CdpDB>);
    const identities = await trx
      .selectFrom('identities')
      .select(['id_type', 'id_key', 'value_enc'])
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', ids)
      .execute();
    for (const part of chunks(identities, 500))
      await trx
        .insertInto('identity_tombstones')
        .values(
          part.map((i) => ({
            workspace_id: ws,
            id_type: i.id_type,
            key: tombstoneKey(cipher, i.id_type, i.id_key, i.value_enc !== null),
            erased_at: target.at,
          })),
        )
        .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
        .execute();
    const n = affected;
    const counts: ErasureCounts = {};
    counts.identifiers = n(await trx.deleteFrom('identities').where('workspace_id', '=', ws).where('profile_id', 'in', ids).executeTakeFirst());
    counts.merges = n(
      await trx
        .deleteFrom('profile_merges')
        .where('workspace_id', '=', ws)
        .where((w) => w.or([w('from_profile_id', 'in', ids), w('into_profile_id', 'in', ids)]))
        .executeTakeFirst(),
    );
    counts.tags = n(await trx.deleteFrom('profile_tags').where('workspace_id', '=', ws).where('profile_id', 'in', ids).executeTakeFirst());
    // Message ids may carry an identifier (`wecom:add:<external userid>…`): those become a keyed hash.
    const values = identities.map((i) => (i.value_enc !== null ? cipher.decrypt(i.value_enc) : i.id_key)).filter((v) => v.length >= 6);
    const renamed = await renameMessageIds(trx, cipher, ws, ids, values);
    counts.events = n(
      await trx
        .updateTable('events')
        .set({ profile_id: target.detachedId, user_id: null, anonymous_id: null, payload: ERASED_PAYLOAD })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .executeTakeFirst(),
    );
    // Amounts kept (revenue and buyers count the same), the person detached; `placed` may name them.
    counts.orders = n(
      await trx
        .updateTable('orders')
        .set({ profile_id: target.detachedId, placed: null })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .executeTakeFirst(),
    );
    if (renamed) counts.message_ids = renamed;
    const [live, ...merged] = ids;
    const husk = await trx
      .updateTable('profiles')
      .set({ id: target.detachedId, merged_into: null, traits: '{}', trait_times: '{}', consent: '{}', updated_at: target.at })
      .where('workspace_id', '=', ws)
      .where('id', '=', live!)
      .executeTakeFirst();
    const gone = merged.length ? await trx.deleteFrom('profiles').where('workspace_id', '=', ws).where('id', 'in', merged).executeTakeFirst() : {};
    counts.profiles = n(husk) + n(gone);
    return counts;
  });
}

/** Replaces the message ids of the person's events and orders that contain one of `values` by `erased:<keyed hash>`. */
async function renameMessageIds(trx: Kysely<CdpDB>, cipher: PiiCipher, ws: string, ids: string[], values: string[]): Promise<number> {
  if (!values.length) return 0;
  const named = (mid: string | null) => mid !== null && values.some((v) => mid.includes(v));
  const hashed = (mid: string) => `erased:${cipher.lookupKey('message_id', mid)}`;
  let n = 0;
  const events = await trx.selectFrom('events').select('message_id').where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute();
  for (const e of events.filter((x) => named(x.message_id))) {
    await trx
      .updateTable('events')
      .set({ message_id: hashed(e.message_id) })
      .where('workspace_id', '=', ws)
      .where('message_id', '=', e.message_id)
      .execute();
    n++;
  }
  const orders = await trx.selectFrom('orders').select(['order_id', 'message_id']).where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute();
  for (const o of orders.filter((x) => named(x.message_id))) {
    await trx
      .updateTable('orders')
      .set({ message_id: hashed(o.message_id) })
      .where('workspace_id', '=', ws)
      .where('order_id', '=', o.order_id)
      .execute();
    n++;
  }
  return n;
}

/**
 * Which of a batch's events name a tombstoned identifier (by index). `eventIds` are in stored form;
 * `keyedPii` says a stored key is already the keyed hash. One indexed read when the workspace has
 * tombstones, none (a one-row probe) when it has none: the ingest hot path stays as it was.
 */
export async function tombstonedEvents(
  trx: Kysely<CdpDB>,
  cipher: PiiCipher,
  ws: string,
  eventIds: Identifier[][],
  keyedPii: (type: string, key: string) => boolean,
): Promise<Set<number>> {
  const out = new Set<number>();
  const any = await trx.selectFrom('identity_tombstones').select('key').where('workspace_id', '=', ws).limit(1).executeTakeFirst();
  if (!any) return out;
  const keyOf = eventIds.map((ids) => ids.map((id) => tombstoneKey(cipher, id.type, id.value, keyedPii(id.type, id.value))));
  const found = new Set<string>();
  for (const part of chunks([...new Set(keyOf.flat())], 5000)) {
    const rows = await trx.selectFrom('identity_tombstones').select('key').where('workspace_id', '=', ws).where('key', 'in', part).execute();
    for (const r of rows) found.add(r.key);
  }
  keyOf.forEach((keys, i) => keys.some((k) => found.has(k)) && out.add(i));
  return out;
}

/** Whether an identifier (normalised value) is tombstoned in the workspace. */
export async function isTombstoned(handle: Kysely<CdpDB>, cipher: PiiCipher, ws: string, type: string, value: string): Promise<boolean> {
  const key = cipher.lookupKey(type, value);
  return !!(await cdpDb(handle).selectFrom('identity_tombstones').select('key').where('workspace_id', '=', ws).where('key', '=', key).executeTakeFirst());
}

/** Which of `values` (normalised identifiers of one type) are tombstoned in the workspace. */
export async function tombstonedValues(handle: Kysely<CdpDB>, cipher: PiiCipher, ws: string, type: string, values: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (!values.length) return out;
  const byKey = new Map(values.map((v) => [cipher.lookupKey(type, v), v]));
  for (const part of chunks([...byKey.keys()], 5000)) {
    const rows = await cdpDb(handle).selectFrom('identity_tombstones').select('key').where('workspace_id', '=', ws).where('key', 'in', part).execute();
    for (const r of rows) out.add(byKey.get(r.key)!);
  }
  return out;
}

/** Removes the tombstone of an identifier (normalised value): it may link again. Whether there was one. */
export async function liftTombstone(database: Database, cipher: PiiCipher, ws: string, type: string, value: string): Promise<boolean> {
  const db = cdpDb(database.db as unknown as Kysely<CdpDB>);
  const res = await db.deleteFrom('identity_tombstones').where('workspace_id', '=', ws).where('key', '=', cipher.lookupKey(type, value)).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
