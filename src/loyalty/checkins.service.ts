/**
 * Daily check-in: once per local day of the workspace's time zone, the active check-in rule's
 * points, plus a bonus on the streak days it names (e.g. day 7 and day 30 of consecutive days).
 * A second check-in the same day answers the first; the award is keyed by rule and date.
 */
import { withRetries } from '../platform/db/database.js';
import { addDays, localDate, startOfLocalDate } from '../platform/time.js';
import { type Limits, makeAward } from './awards.service.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import { lockAccount, num } from './ledger.repo.js';
import { activeRuleVersions } from './rules.repo.js';

/** The check-in rule's definition (rules.schemas.ts, checkinRuleSchema). */
interface CheckinRule {
  points: number;
  streakBonuses?: { day: number; points: number }[];
  limits?: Limits;
}

/** The answer of a check-in. */
export interface CheckinResult {
  profileId: string;
  day: string;
  streak: number;
  points: number;
  balance: number;
  alreadyCheckedIn: boolean;
}

/** Checks a member in for today (POST /v1/loyalty/checkins). */
export async function checkIn(deps: LoyaltyDeps, ws: string, ref: string): Promise<CheckinResult> {
  const profileId = await deps.resolveProfile(ws, ref);
  const tz = await deps.timeZoneOf(ws);
  const versions = await activeRuleVersions(deps.database.db, ws, ['checkin']);
  // The latest version of the oldest active check-in rule: one check-in rule is in force at a time.
  const rule = versions.filter((v) => v.id === versions[0]?.id).pop();
  if (!rule)
    throw new LoyaltyError('CHECKIN_NOT_CONFIGURED', 'this workspace has no active check-in rule; create one with POST /v1/loyalty/rules (kind "checkin")');
  const def = rule.definition as unknown as CheckinRule;
  const { database } = deps;
  return withRetries(database, () =>
    database.db.transaction().execute(async (trx) => {
      const now = deps.now();
      const day = localDate(now, tz);
      const account = await lockAccount(trx, database.dialect, ws, profileId, now);
      const row = (d: string) =>
        trx
          .selectFrom('loyalty_checkins')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('profile_id', '=', profileId)
          .where('day', '=', d)
          .executeTakeFirst();
      const today = await row(day);
      if (today) return { profileId, day, streak: Number(today.streak), points: num(today.points), balance: account.balance, alreadyCheckedIn: true };
      const yesterday = await row(addDays(day, -1));
      const streak = yesterday ? Number(yesterday.streak) + 1 : 1;
      const bonus = (def.streakBonuses ?? []).filter((b) => b.day === streak).reduce((s, b) => s + b.points, 0);
      const a = await makeAward(
        trx,
        database.dialect,
        {
          workspaceId: ws,
          ruleId: rule.id,
          ruleVersion: rule.version,
          subjectKey: `checkin:${profileId}:${day}`,
          profileId,
          points: def.points + bonus,
          at: startOfLocalDate(day, tz),
          timeZone: tz,
          limits: def.limits,
          reason: bonus > 0 ? `check-in ${day}: day ${streak} of a streak (+${bonus} bonus)` : `check-in ${day}`,
          source: { type: 'event', id: `checkin:${day}` },
        },
        now,
      );
      await trx
        .insertInto('loyalty_checkins')
        .values({ workspace_id: ws, profile_id: profileId, day, streak, points: a.points, entry_id: a.entryId, created_at: now })
        .execute();
      return { profileId, day, streak, points: a.points, balance: a.balance, alreadyCheckedIn: false };
    }),
  );
}
