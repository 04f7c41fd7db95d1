/**
 * A broadcast's audience, read from other modules' tables: the members of its segment
 * (`segment_members`, segments' table) who are live profiles (`profiles.merged_into`, cdp's),
 * minus the members of its exclusion segment. Gathered here so the lead can swap these reads for
 * the functions segments and cdp publish (issue #13, "every table has one owner").
 */
import { type Expression, type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { DB } from '../platform/db/schema.js';
import type { BroadcastRow } from './broadcasts.repo.js';
import type { CallerDb } from '../messaging/index.js';

/** Segments' and cdp's tables (the transitional `DB` type of platform/db/schema.ts). */
const sdb = (db: CallerDb): Kysely<DB> => db;

type MembersEb = ExpressionBuilder<DB & { m: DB['segment_members'] }, 'm'>;

// owner: segments (segment_members), cdp (profiles)
function audience(db: CallerDb, row: BroadcastRow) {
  const q = sdb(db)
    .selectFrom('segment_members as m')
    .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'm.workspace_id').onRef('p.id', '=', 'm.profile_id'))
    .where('m.workspace_id', '=', row.workspace_id)
    .where('m.segment_id', '=', row.segment_id)
    .where('p.merged_into', 'is', null);
  const exclude = row.exclude_segment_id;
  const excluded = (eb: MembersEb) =>
    eb.exists(
      eb
        .selectFrom('segment_members as x')
        .select(sql.lit(1).as('one'))
        .whereRef('x.workspace_id', '=', 'm.workspace_id')
        .where('x.segment_id', '=', exclude!)
        .whereRef('x.profile_id', '=', 'm.profile_id'),
    );
  return { q, excluded: exclude ? excluded : undefined };
}

/** The audience size now: members of the segment (live profiles) not in the exclusion segment. */
// owner: segments, cdp
export async function audienceSize(db: CallerDb, row: BroadcastRow): Promise<number> {
  const { q, excluded } = audience(db, row);
  const r = await (excluded ? q.where((eb) => eb.not(excluded(eb))) : q).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The next `size` members after the broadcast's cursor (keyset on profile id), each with whether it is in the exclusion segment. */
// owner: segments, cdp
export async function audienceChunk(db: CallerDb, row: BroadcastRow, size: number): Promise<{ profileId: string; excluded: boolean }[]> {
  const { q, excluded } = audience(db, row);
  let chunk = q.select('m.profile_id');
  if (excluded) chunk = chunk.select((eb) => excluded(eb).as('excluded'));
  if (row.cursor !== null) chunk = chunk.where('m.profile_id', '>', row.cursor);
  const members = (await chunk.orderBy('m.profile_id').limit(size).execute()) as { profile_id: string; excluded?: unknown }[];
  // PostgreSQL gives booleans, SQLite 0/1.
  return members.map((m) => ({ profileId: m.profile_id, excluded: m.excluded === true || m.excluded === 1 || m.excluded === '1' }));
}

/** A segment's status (active, archived), or undefined when the workspace has no such segment. */
// owner: segments
export async function segmentStatus(db: CallerDb, ws: string, id: string): Promise<string | undefined> {
  const seg = await sdb(db).selectFrom('segments').select(['status']).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return seg?.status;
}

/**
 * 1 when the profile `profileRef` of workspace `wsRef` tracked `goalEvent` in [from, to), else 0:
 * an SQL fragment the conversion query sums (`events`, cdp's table).
 */
// owner: cdp
export function convertedSql(wsRef: Expression<string>, profileRef: Expression<string>, goalEvent: string, from: number, to: number) {
  return sql<number>`case when exists (select 1 from events as e where e.workspace_id = ${wsRef} and e.profile_id = ${profileRef}
              and e.event = ${goalEvent} and e.timestamp >= ${from} and e.timestamp < ${to}) then 1 else 0 end`;
}
