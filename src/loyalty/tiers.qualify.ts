/**
 * Qualifying members again (the one place a member's qualified tier is recomputed): upgrades at
 * once, downgrades only on evaluation dates or when a grace period ends. Used by the worker's
 * passes (tiers.worker.ts), by postings through the API and program changes (tiers.recheck.ts)
 * and by profile merges (tiers.merges.ts).
 */
import type { Database } from '../platform/db/database.js';
import { DAY_MS } from '../platform/time.js';
import type { Conn } from './ledger.repo.js';
import { changeOf, lockMembers, qualificationValues, saveMember } from './members.repo.js';
import { qualifyingTier, rankOf, type TierProgram } from './tiers.service.js';
import type { TierChangeReason } from './tiers.tables.js';

/** What the tier passes need. */
export interface TierDeps {
  database: Database;
  now: () => number;
  timeZoneOf: (workspaceId: string) => Promise<string>;
}

/** What re-qualifying members did. */
export interface Outcome {
  upgraded: number;
  downgraded: number;
  graceStarted: number;
}

/**
 * Qualifies members again at `now` in the caller's transaction. Upgrades always; a downgrade only
 * when `mode` allows it: `evaluation` (an evaluation date: downgrade at once without a grace
 * period, else start one) or `grace-end` (the grace period passed: downgrade).
 */
export async function requalify(
  trx: Conn,
  database: Pick<Database, 'dialect'>,
  ws: string,
  program: TierProgram,
  ids: readonly string[],
  now: number,
  mode: { kind: 'upgrade' } | { kind: 'evaluation'; at: number } | { kind: 'grace-end' },
  reason: TierChangeReason = 'qualified',
  note: string | null = null,
): Promise<Outcome> {
  const out: Outcome = { upgraded: 0, downgraded: 0, graceStarted: 0 };
  const members = await lockMembers(trx, database.dialect, ws, ids, now);
  // On an evaluation date the window ends at that date (a late pass judges the date, not today); what was earned since counts too.
  const values = await qualificationValues(trx, ws, program, [...members.keys()], mode.kind === 'evaluation' ? mode.at : now);
  const ctx = { ws, program, dialect: database.dialect, now };
  for (const m of members.values()) {
    const value = values.get(m.profileId) ?? 0;
    const q = qualifyingTier(program, value)?.key ?? null;
    const next = { ...changeOf(m), value };
    const [rq, rc] = [rankOf(program, q), rankOf(program, m.qualifiedKey)];
    if (rq > rc) {
      await saveMember(trx, ctx, m, { ...next, qualifiedKey: q, graceUntil: null }, reason, note);
      out.upgraded++;
    } else if (rq === rc) {
      if (m.graceUntil !== null || m.value !== value) await saveMember(trx, ctx, m, { ...next, graceUntil: null }, reason, note);
    } else if (mode.kind === 'upgrade') {
      if (m.value !== value) await saveMember(trx, ctx, m, next, reason, note);
    } else if (mode.kind === 'grace-end' || (program.graceDays ?? 30) === 0) {
      const note = mode.kind === 'grace-end' ? 'grace period ended' : `evaluation ${new Date(mode.at).toISOString()}`;
      await saveMember(trx, ctx, m, { ...next, qualifiedKey: q, graceUntil: null }, 'evaluation', note);
      out.downgraded++;
    } else if (m.graceUntil === null) {
      await saveMember(trx, ctx, m, { ...next, graceUntil: mode.at + (program.graceDays ?? 30) * DAY_MS }, 'evaluation');
      out.graceStarted++;
    }
  }
  return out;
}
