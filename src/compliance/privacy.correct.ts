/**
 * Correction of a person's data through a data-subject request (issue #19): the traits the request
 * names are set (a null value removes one) through cdp's own trait writer, and the request is
 * closed with what was changed (the keys; the values stay in the request's `changes`). Identifier
 * changes are not carried out yet: such a request is refused with PRIVACY_ACTION_UNAVAILABLE.
 */
import { ComplianceError } from './errors.js';
import { closePrivacyRequest, getPrivacyRequest, type PrivacyDeps, type PrivacyRequest, subjectProfile } from './privacy.service.js';

/** What a correction needs: cdp's trait writer (set and unset, last write wins by time). */
export interface PrivacyCorrectDeps extends PrivacyDeps {
  correctTraits: (workspaceId: string, profileId: string, change: { set: Record<string, unknown>; unset: string[] }) => Promise<void>;
}

/** Carries out an open correction request and closes it with its record. */
export async function carryOutCorrection(deps: PrivacyCorrectDeps, ws: string, id: string): Promise<PrivacyRequest> {
  const r = await getPrivacyRequest(deps, ws, id);
  if (r.status === 'completed' || r.status === 'rejected')
    throw new ComplianceError('PRIVACY_REQUEST_STATE', `request ${id} is ${r.status}`, { status: r.status });
  if (r.kind !== 'correction')
    throw new ComplianceError(
      'PRIVACY_ACTION_UNAVAILABLE',
      `request ${id} is an ${r.kind}: only erasures and corrections are carried out by this route (an export is answered by its archive)`,
    );
  const changes = (r.changes ?? {}) as { traits?: Record<string, unknown>; identifiers?: unknown[] };
  if (changes.identifiers?.length)
    throw new ComplianceError('PRIVACY_ACTION_UNAVAILABLE', 'correcting identifiers is not built yet; record the traits in a request of their own');
  const traits = changes.traits ?? {};
  if (!Object.keys(traits).length) throw new ComplianceError('VALIDATION_FAILED', `request ${id} names no trait to correct (changes.traits)`);
  const live = (r.profileId && (await subjectProfile(deps, ws, r.profileId))) || (await subjectProfile(deps, ws, r.subject));
  if (!live) throw new ComplianceError('PRIVACY_SUBJECT_UNKNOWN', `nobody in this workspace is known by ${r.subject}: there is nothing to correct`);
  const set = Object.fromEntries(Object.entries(traits).filter(([, v]) => v !== null));
  const unset = Object.keys(traits).filter((k) => traits[k] === null);
  await deps.correctTraits(ws, live, { set, unset });
  return closePrivacyRequest(deps, ws, id, {
    status: 'completed',
    completion: { corrected: { profileId: live, traitsSet: Object.keys(set), traitsRemoved: unset } },
  });
}
