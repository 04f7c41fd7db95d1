/**
 * Journey conversions in SQL over journeys' states (one row per journey entry; a goal reached ends
 * the entry with status `converted` at `ended_at`): per journey, the entries that started in the
 * range and how many of them have converted so far, and the conversions that happened in the range.
 */
import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { inSegment, num, rate, type Scope } from './scope.js';
import { type MetricTable, tableOf } from './table.js';

/** Entries, their conversions and the range's conversions, per journey (profile journeys only: group journeys have no goal). */
export async function journeyConversions(database: Database, s: Scope): Promise<MetricTable> {
  const enteredIn = sql`(js.entered_at >= ${s.from} and js.entered_at < ${s.to})`;
  const convertedIn = sql`(js.status = 'converted' and js.ended_at >= ${s.from} and js.ended_at < ${s.to})`;
  // A state keeps the profile id it entered with; a segment holds survivors, so a merged-away id is followed to its survivor.
  const survivor = sql`coalesce((select p.merged_into from profiles p where p.workspace_id = js.workspace_id and p.id = js.subject_id), js.subject_id)`;
  const res = await sql<Record<string, unknown>>`
    select js.journey_id as journey_id, max(j.name) as journey_name,
      coalesce(sum(case when ${enteredIn} then 1 else 0 end), 0) as entered,
      coalesce(sum(case when ${enteredIn} and js.status = 'converted' then 1 else 0 end), 0) as converted,
      coalesce(sum(case when ${convertedIn} then 1 else 0 end), 0) as conversions
    from journey_states js
    join journeys j on j.workspace_id = js.workspace_id and j.id = js.journey_id
    where js.workspace_id = ${s.workspaceId} and js.subject_kind = 'profile' and (${enteredIn} or ${convertedIn})
      and ${inSegment(s, survivor)}
    group by js.journey_id order by conversions desc, entered desc, journey_id`.execute(database.db);
  const total = { entered: 0, converted: 0, conversions: 0 };
  const rows = res.rows.map((r) => {
    const row = { entered: num(r.entered)!, converted: num(r.converted)!, conversions: num(r.conversions)! };
    total.entered += row.entered;
    total.converted += row.converted;
    total.conversions += row.conversions;
    return { journey_id: r.journey_id, journey_name: r.journey_name, ...row, conversion_rate: rate(row.converted, row.entered) };
  });
  return tableOf(['journey_id', 'journey_name', 'entered', 'converted', 'conversion_rate', 'conversions'], rows, {
    ...total,
    conversion_rate: rate(total.converted, total.entered),
  });
}
