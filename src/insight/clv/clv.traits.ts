/**
 * Mirrors CLV predictions into profile traits through cdp's published writers, so segment rules
 * ("clv_p_alive < 0.3 and clv_value_fen > 50000") and the profile page see them.
 */
import type { Kysely } from 'kysely';
import { type CdpDB, loadProfileState, lockProfileFollowingMerges, type TraitsRow, writeTraits, writeTraitsMany } from '../../cdp/index.js';
import { type Database, parseJson } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { requestRecompute } from '../../segments/index.js';
import { nextTurn } from '../../platform/loop.js';

/** The trait names of the predictions (`days`: the expected-purchases window). */
export function clvTraitNames(days: number) {
  return { pAlive: 'clv_p_alive', expectedPurchases: `clv_expected_purchases_${days}d`, valueFen: 'clv_value_fen' } as const;
}

/** A profile's trait values: set, or (profiles that left the fit, e.g. every order refunded) removed. */
export type TraitWrite = { profileId: string; set: Record<string, number> } | { profileId: string; unset: string[] };

/** Profiles per transaction: a short write lock on SQLite, a bounded lock set on PostgreSQL (one read and one write statement each). */
const CHUNK = 500;

/**
 * Writes the traits, one transaction per chunk of profiles: the chunk's live rows are read at
 * once under a row lock (FOR UPDATE on PostgreSQL; SQLite's transactions are serial), changed in
 * memory and written whole with cdp's `writeTraits`, as the journeys' trait step does; a trait
 * written later than `now` (by a later-dated event) is left as it is. A profile merged away since
 * the fit read its orders is followed to its survivor one at a time.
 */
export async function writeClvTraits(database: Database, ws: string, writes: readonly TraitWrite[], now: number): Promise<number> {
  let written = 0;
  for (let i = 0; i < writes.length; i += CHUNK) {
    const part = writes.slice(i, i + CHUNK);
    written += await database.db.transaction().execute(async (trx) => {
      const q = trx
        .selectFrom('profiles')
        .select(['id', 'traits', 'trait_times'])
        .where('workspace_id', '=', ws)
        .where(
          'id',
          'in',
          part.map((w) => w.profileId),
        )
        .where('merged_into', 'is', null)
        .orderBy('id');
      const rows = new Map((await database.dialect.forUpdate(q).execute()).map((r) => [r.id, r]));
      let n = 0;
      const changed: TraitsRow[] = [];
      for (const w of part) {
        const row = rows.get(w.profileId);
        if (!row) {
          if (await writeFollowingMerges(trx, ws, w, now)) n++;
          continue;
        }
        const state = { traits: parseJson<Record<string, unknown>>(row.traits), traitTimes: parseJson<Record<string, number>>(row.trait_times) };
        if (!applyWrite(state, w, now)) continue;
        changed.push({ id: row.id, ...state });
      }
      await writeTraitsMany(trx, database.dialect, ws, changed, now);
      return n + changed.length;
    });
    // SQLite answers synchronously: let HTTP requests through between chunks.
    await nextTurn();
  }
  return written;
}

/** Applies a write to traits in memory (last write by time wins); false when nothing changes. */
function applyWrite(state: { traits: Record<string, unknown>; traitTimes: Record<string, number> }, w: TraitWrite, now: number): boolean {
  const newer = (k: string) => (state.traitTimes[k] ?? -Infinity) > now;
  if ('set' in w) {
    for (const [k, v] of Object.entries(w.set)) {
      if (newer(k)) continue;
      state.traits[k] = v;
      state.traitTimes[k] = now;
    }
    return true;
  }
  const present = w.unset.filter((k) => k in state.traits && !newer(k));
  for (const k of present) {
    delete state.traits[k];
    state.traitTimes[k] = now;
  }
  return present.length > 0;
}

/** The one-profile path: lock the live profile following merges (cdp's), then write. */
async function writeFollowingMerges<D extends CdpDB>(db: Kysely<D>, ws: string, w: TraitWrite, now: number): Promise<boolean> {
  const live = await lockProfileFollowingMerges(db, ws, w.profileId, now);
  if (live === undefined) return false;
  const state = await loadProfileState(db, ws, live);
  if (!state || !applyWrite(state, w, now)) return false;
  await writeTraits(db, ws, live, state.traits, state.traitTimes, now);
  return true;
}

/** True when a rule (parsed JSON) has a trait condition on a CLV trait. */
function readsClvTraits(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(readsClvTraits);
  if (!node || typeof node !== 'object') return false;
  const n = node as Record<string, unknown>;
  if (n.type === 'trait' && typeof n.key === 'string' && n.key.startsWith('clv_')) return true;
  return Object.values(n).some(readsClvTraits);
}

/**
 * Asks segments to recompute the active rule segments whose rules read a CLV trait: traits written
 * outside the event stream do not reach the segment change feed. Returns their ids.
 */
export async function recomputeClvSegments(db: Kysely<DB>, ws: string, now: number): Promise<string[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['id', 'rule'])
    .where('workspace_id', '=', ws)
    .where('status', '=', 'active')
    .where('kind', '=', 'rule')
    .orderBy('id')
    .execute();
  const ids = rows.filter((r) => r.rule !== null && readsClvTraits(parseJson<unknown>(r.rule))).map((r) => r.id);
  // The whole-database handle is segments' SQL handle too (segments' own type of it is not published).
  for (const id of ids) await requestRecompute(db as unknown as Parameters<typeof requestRecompute>[0], ws, id, now);
  return ids;
}
