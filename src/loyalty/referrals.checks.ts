/**
 * The referral checks that ask One ID: is the referee the referrer (the same profile, or merged
 * into one), do the two share an identifier One ID refused to merge them over (a phone, a unionid,
 * a device), was the referee already known before the referral. Read-only; the caller records
 * the decision.
 */
import { identityConflictsBetween, loadLiveProfileState, mergedIdsOf } from '../cdp/index.js';
import type { Conn } from './ledger.repo.js';

/** Why a referral is refused: a stable reason code and words for people. */
export interface Refusal {
  reason: 'self_referral' | 'shared_identifier' | 'already_known' | 'already_referred' | 'velocity_limit' | 'programme_disabled';
  detail: string;
}

/** A live profile and the ids merged into it. */
export async function familyOf(trx: Conn, ws: string, live: string): Promise<string[]> {
  return [live, ...(await mergedIdsOf(trx, ws, live))];
}

/**
 * Whether the referee is the referrer: the same live profile (directly, or after a merge), or two
 * profiles One ID kept apart only because an identifier limit refused the merge.
 */
export async function samePerson(trx: Conn, ws: string, referrer: { recorded: string; live: string }, referee: string): Promise<Refusal | undefined> {
  if (referrer.live === referee) {
    const detail =
      referrer.recorded === referee ? 'the referee is the referrer' : `the referrer's profile ${referrer.recorded} was merged into the referee's ${referee}`;
    return { reason: 'self_referral', detail };
  }
  const conflicts = await identityConflictsBetween(trx, ws, await familyOf(trx, ws, referee), await familyOf(trx, ws, referrer.live));
  if (conflicts.length === 0) return undefined;
  const types = [...new Set(conflicts.map((c) => c.idType.split(':')[0]!))].sort();
  return { reason: 'shared_identifier', detail: `the referee shares ${types.join(', ')} with the referrer (One ID refused to merge their profiles)` };
}

/** Whether the referee was known before the referral: first seen more than `withinMinutes` before `at`. */
export async function alreadyKnown(trx: Conn, ws: string, referee: string, at: number, withinMinutes: number): Promise<Refusal | undefined> {
  const state = await loadLiveProfileState(trx, ws, referee);
  const first = state?.firstSeenAt ?? state?.createdAt;
  if (first === undefined || first === null) return undefined;
  const before = at - Number(first);
  if (before <= withinMinutes * 60_000) return undefined;
  const minutes = Math.floor(before / 60_000);
  return {
    reason: 'already_known',
    detail: `the referee was first seen ${new Date(Number(first)).toISOString()}, ${minutes} minutes before the referral (new means within ${withinMinutes})`,
  };
}
