/** What loyalty offers the journeys' award step (the root puts it in journeys' `LoyaltyPort`). */
import type { Kysely } from 'kysely';
import { resolveProfileId } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import type { Conn } from './ledger.repo.js';
import { postEntry } from './ledger.service.js';

/** The input of an award of points (the shape of journeys' `LoyaltyPort.awardPoints`). */
export interface AwardInput {
  workspaceId: string;
  profileId: string;
  points: number;
  reason: string;
  idempotencyKey: string;
  now: number;
}

/**
 * Awards points inside the caller's transaction (a journey step's), idempotent by the step's key:
 * a retried step gives the points once. A profile merged away is credited on its survivor; a
 * refusal (no such profile, points out of range, the key used by another request) is answered as
 * `{ ok: false, reason }`, which the step records as failed.
 */
export function awardPointsWith(dialect: Dialect) {
  return async (trx: Kysely<any>, input: AwardInput): Promise<{ ok: true; detail?: string } | { ok: false; reason: string }> => {
    // The port's transaction is untyped (journeys does not know loyalty's tables); it is a transaction over the whole database.
    const db = trx as Conn;
    const profileId = await resolveProfileId(db, input.workspaceId, input.profileId);
    if (profileId === undefined) return { ok: false, reason: `no profile ${input.profileId}` };
    try {
      const r = await postEntry(
        db,
        dialect,
        {
          workspaceId: input.workspaceId,
          profileId,
          profileRef: input.profileId,
          kind: 'earn',
          points: input.points,
          reason: input.reason,
          source: { type: 'journey', id: input.idempotencyKey },
          idempotencyKey: input.idempotencyKey,
        },
        input.now,
      );
      return { ok: true, detail: `entry ${r.entry.id}, balance ${r.entry.balanceAfter}` };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, reason: `${err.code}: ${err.message}` };
      throw err;
    }
  };
}
