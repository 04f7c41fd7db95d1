/**
 * The birthday bonus: once per local day of the workspace (job_state `loyalty.birthday`), the
 * members whose birthday trait (`YYYY-MM-DD`, or `MM-DD`) falls today get the active birthday
 * rules' points, once a year (award subject `birthday:<year>`). Members born on 29 February are
 * celebrated on the 28th in other years.
 */
import { sql } from 'kysely';
import { pageLiveProfilesByTrait } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import { withRetries } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import { localDate, startOfLocalDate } from '../platform/time.js';
import { type Limits, makeAward } from './awards.service.js';
import { activeRuleVersions, workspacesWithRules } from './rules.repo.js';

const PAGE = 500;
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** The month-days celebrated today (with 02-29 on 28 February of a common year). */
function monthDays(today: string): string[] {
  const md = today.slice(5);
  return md === '02-28' && !isLeap(Number(today.slice(0, 4))) ? ['02-28', '02-29'] : [md];
}

/** Gives today's birthday bonuses in every workspace with an active birthday rule (once per local day); returns the awards made. */
export async function runBirthdays(database: Database, now: () => number, timeZoneOf: (ws: string) => Promise<string>): Promise<number> {
  let awarded = 0;
  for (const ws of await workspacesWithRules(database.db, ['birthday'])) {
    const tz = await timeZoneOf(ws);
    const today = localDate(now(), tz);
    const rules = await activeRuleVersions(database.db, ws, ['birthday']);
    const latest = new Map(rules.map((r) => [r.id, r]));
    awarded += await withRetries(database, () =>
      database.db.transaction().execute(async (trx) => {
        const state = await lockJobState<{ day?: string }>(trx, database.dialect, ws, 'loyalty.birthday', {}, now(), { skipLocked: true });
        if (!state || state.day === today) return 0;
        let n = 0;
        for (const rule of latest.values()) {
          const def = rule.definition as { points: number; trait?: string; limits?: Limits };
          const days = monthDays(today);
          // The trait's last five characters are its month-day (YYYY-MM-DD or MM-DD).
          const where = (text: ReturnType<typeof sql<string | null>>) => sql`substr(${text}, length(${text}) - 4, 5) in (${sql.join(days)})`;
          let after = '';
          for (;;) {
            const rows = await pageLiveProfilesByTrait(trx, database.dialect, ws, { trait: def.trait ?? 'birthday', after, limit: PAGE, where });
            for (const r of rows) {
              if (!r.value || !/^(\d{4}-)?\d{2}-\d{2}$/.test(r.value)) continue;
              const a = await makeAward(
                trx,
                database.dialect,
                {
                  workspaceId: ws,
                  ruleId: rule.id,
                  ruleVersion: rule.version,
                  subjectKey: `birthday:${r.id}:${today.slice(0, 4)}`,
                  profileId: r.id,
                  points: def.points,
                  at: startOfLocalDate(today, tz),
                  timeZone: tz,
                  limits: def.limits,
                  reason: `${rule.name}: birthday ${today}`,
                  source: { type: 'system', id: `birthday:${today}` },
                },
                now(),
              );
              if (!a.existed && a.points > 0) n++;
            }
            if (rows.length < PAGE) break;
            after = rows[rows.length - 1]!.id;
          }
        }
        await writeJobState(trx, ws, 'loyalty.birthday', { day: today }, now());
        return n;
      }),
    );
  }
  return awarded;
}
