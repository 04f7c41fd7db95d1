/**
 * Mirrors CLV predictions into profile traits through cdp's published writers, so segment rules
 * ("clv_p_alive < 0.3 and clv_value_fen > 50000") and the profile page see them.
 */
import type { Kysely } from 'kysely';
import { type CdpDB, loadProfileState, lockProfileFollowingMerges, writeTraits } from '../../cdp/index.js';
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

/** Profiles per transaction: a short write lock on SQLite, a bounded lock set on PostgreSQL. */
const CHUNK = 200;

/**
 * Writes the traits, one transaction per chunk of profiles, each profile locked (following
 * merges) and written whole as the journeys' trait step does; a trait written later than `now`
 * (by a later-dated event) is left as it is.
 */
export async function writeClvTraits(database: Database, ws: string, writes: readonly TraitWrite[], now: number): Promise<number> {
  let written = 0;
  for (let i = 0; i < writes.length; i += CHUNK) {
    const part = writes.slice(i, i + CHUNK);
    written += await database.db.transaction().execute(async (trx) => {
      let n = 0;
      for (const w of part) if (await writeOne(trx, ws, w, now)) n++;
      return n;
    });
    // SQLite answers synchronously: let HTTP requests through between chunks.
    await nextTurn();
  }
  return written;
}

async function writeOne<D extends CdpDB>(db: Kysely<D>, ws: string, w: TraitWrite, now: number): Promise<boolean> {
  const live = await lockProfileFollowingMerges(db, ws, w.profileId, now);
  if (live === undefined) return false;
  const state = await loadProfileState(db, ws, live);
  if (!state) return false;
  const newer = (k: string) => (state.traitTimes[k] ?? -Infinity) > now;
  if ('set' in w) {
    for (const [k, v] of Object.entries(w.set)) {
      if (newer(k)) continue;
      state.traits[k] = v;
      state.traitTimes[k] = now;
    }
  } else {
    const present = w.unset.filter((k) => k in state.traits && !newer(k));
    if (present.length === 0) return false;
    for (const k of present) {
      delete state.traits[k];
      state.traitTimes[k] = now;
    }
  }
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
