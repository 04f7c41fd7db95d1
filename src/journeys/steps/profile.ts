import { addTagsToProfile } from '../../cdp/index.js';
import { AppError } from '../../platform/errors.js';
import { removeProfileTags, updateProfileTraits } from '../borrowed/cdp.js';
import { go } from '../work.js';
import type { StepHandler } from './handler.js';

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
