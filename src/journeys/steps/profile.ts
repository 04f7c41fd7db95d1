import { addTagsToProfile, loadProfileState, lockProfileFollowingMerges, removeTagFromProfile, resolveTagRef, writeTraits } from '../../cdp/index.js';
import { AppError } from '../../platform/errors.js';
import type { Conn } from '../db.js';
import { go } from '../work.js';
import type { StepHandler } from './handler.js';

/**
 * Sets and unsets traits of a profile (following merges, its row locked for the transaction), last
 * write by time winning as on the ingest path; false when there is no such profile.
 */
async function updateProfileTraits(
  db: Conn,
  ws: string,
  profileId: string,
  change: { set?: Record<string, unknown>; unset?: string[] },
  now: number,
): Promise<boolean> {
  const live = await lockProfileFollowingMerges(db, ws, profileId, now);
  if (live === undefined) return false;
  const state = await loadProfileState(db, ws, live);
  if (!state) throw new Error(`profile ${live} was locked but cannot be read`);
  // Last write wins by time, as on the ingest path: a trait written by a later-dated event stays.
  for (const [k, v] of Object.entries(change.set ?? {})) {
    if ((state.traitTimes[k] ?? -Infinity) > now) continue;
    state.traits[k] = v;
    state.traitTimes[k] = now;
  }
  for (const k of change.unset ?? []) {
    if ((state.traitTimes[k] ?? -Infinity) > now) continue;
    delete state.traits[k];
    state.traitTimes[k] = now;
  }
  await writeTraits(db, ws, live, state.traits, state.traitTimes, now);
  return true;
}

/** Removes these tags (by group and name; unknown tags are ignored) from a profile; throws PROFILE_NOT_FOUND as cdp does. */
async function removeProfileTags(db: Conn, ws: string, profileId: string, tags: { group?: string; name: string }[], now: number): Promise<void> {
  for (const t of tags) {
    let ids: string[] = [];
    try {
      ids = await resolveTagRef(db, ws, `${t.group ?? 'default'}/${t.name}`);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'TAG_NOT_FOUND')) throw err;
    }
    for (const id of ids) await removeTagFromProfile(db, ws, profileId, id, now);
  }
}

/** Update traits: sets and unsets the profile's traits (last write by time wins); skipped without a profile. */
export const updateTraitStep: StepHandler<'update_trait'> = async ({ trx, writes, now }, w, step) => {
  const r = w.row;
  const change = { ...(step.set && { set: step.set }), ...(step.unset && { unset: step.unset }) };
  const updated = await updateProfileTraits(trx, r.workspace_id, r.subject_id, change, now);
  return go(w, writes, step.next, updated ? 'updated' : 'skipped: no profile', now);
};

/** Tag: adds and removes the profile's tags (unknown tags to remove are ignored); skipped without a profile. */
export const tagStep: StepHandler<'tag'> = async ({ trx, writes, now }, w, step) => {
  const r = w.row;
  try {
    if (step.add?.length)
      await addTagsToProfile(
        trx,
        r.workspace_id,
        r.subject_id,
        step.add.map((t) => ({ name: t.name, ...(t.group !== undefined && { group: t.group }) })),
        'rule',
        now,
      );
    await removeProfileTags(trx, r.workspace_id, r.subject_id, step.remove ?? [], now);
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'PROFILE_NOT_FOUND')) throw err;
    return go(w, writes, step.next, 'skipped: no profile', now);
  }
  return go(w, writes, step.next, 'tagged', now);
};
