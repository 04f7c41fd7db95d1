/**
 * Correction of a person's data through a data-subject request (issue #19): the identifiers the
 * request names are removed from the person and added to their live profile (cdp, in one
 * transaction: one held by another profile, or past its type's limit, refuses the whole correction
 * with PRIVACY_IDENTIFIER_CONFLICT), then the traits are set (a null value removes one) through
 * cdp's own trait writer, and the request is closed with what was changed (trait keys, identifier
 * types with masked values; the values stay in the request's `changes`).
 */
import { ComplianceError } from './errors.js';
import { closePrivacyRequest, getPrivacyRequest, type PrivacyDeps, type PrivacyRequest, subjectProfile } from './privacy.service.js';

/** What a correction needs: cdp's trait writer (set and unset, last write wins by time). */
export interface PrivacyCorrectDeps extends PrivacyDeps {
  correctTraits: (workspaceId: string, profileId: string, change: { set: Record<string, unknown>; unset: string[] }) => Promise<void>;
  /** cdp's identifier correction for the person whose live profile is given: what it did (values masked), or why it refused. */
  correctIdentifiers: (workspaceId: string, liveId: string, changes: IdentifierChange[]) => Promise<IdentifierOutcome>;
}

/** One identifier change of a correction request. */
export interface IdentifierChange {
  type: string;
  value: string;
  action: 'add' | 'remove';
}

type Masked = { type: string; value: string };
/** What an identifier correction did, or why it refused (nothing changed then). */
export type IdentifierOutcome = { ok: true; added: Masked[]; removed: Masked[] } | { ok: false; problem: string };

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
  const changes = (r.changes ?? {}) as { traits?: Record<string, unknown>; identifiers?: IdentifierChange[] };
  const traits = changes.traits ?? {};
  const idChanges = changes.identifiers ?? [];
  if (!Object.keys(traits).length && !idChanges.length)
    throw new ComplianceError('VALIDATION_FAILED', `request ${id} names nothing to correct (changes.traits or changes.identifiers)`);
  const live = (r.profileId && (await subjectProfile(deps, ws, r.profileId))) || (await subjectProfile(deps, ws, r.subject));
  if (!live) throw new ComplianceError('PRIVACY_SUBJECT_UNKNOWN', `nobody in this workspace is known by ${r.subject}: there is nothing to correct`);
  let identifiers: { identifiersAdded: Masked[]; identifiersRemoved: Masked[] } | undefined;
  if (idChanges.length) {
    const out = await deps.correctIdentifiers(ws, live, idChanges);
    if (!out.ok) throw new ComplianceError('PRIVACY_IDENTIFIER_CONFLICT', `request ${id} cannot be carried out: ${out.problem}`);
    identifiers = { identifiersAdded: out.added, identifiersRemoved: out.removed };
  }
  const set = Object.fromEntries(Object.entries(traits).filter(([, v]) => v !== null));
  const unset = Object.keys(traits).filter((k) => traits[k] === null);
  if (Object.keys(traits).length) await deps.correctTraits(ws, live, { set, unset });
  return closePrivacyRequest(deps, ws, id, {
    status: 'completed',
    completion: { corrected: { profileId: live, traitsSet: Object.keys(set), traitsRemoved: unset, ...identifiers } },
  });
}
