/**
 * Membership history and the timeline items made from it. A current member's `segment_members`
 * row is the record of its entry (which version admitted it, when); when it leaves, the pair
 * moves to `segment_member_history` in the same transaction. The profile timeline shows
 * "Segment Entered" / "Segment Exited" items read from these two tables (a timeline source),
 * instead of one `events` row per entry and exit: at 1M profiles those rows were most of a full
 * recompute's writes (bench/README.md, segments: 2,559 MB written for 251,194 entries).
 */
import type { Insertable, Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { type SegmentMemberHistoryTable, type SegmentsSqlDB, segmentsDb } from './schema.js';
import type { TimelineRow, TimelineSource } from '../cdp/index.js';

/** Timeline event name of an entry. */
export const SEGMENT_ENTERED = 'Segment Entered';
/** Timeline event name of an exit. */
export const SEGMENT_EXITED = 'Segment Exited';

/** A member leaving: its stored entry and why it leaves. */
export interface Departure {
  profileId: string;
  /** Version that admitted the profile, and when. */
  version: number;
  enteredAt: number;
  reason: SegmentMemberHistoryTable['reason'];
}

/** Records departures (the caller deletes the `segment_members` rows in the same transaction). */
export async function recordDepartures(
  trx: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ws: string,
  segmentId: string,
  exitVersion: number,
  exitedAt: number,
  departures: Departure[],
): Promise<void> {
  const rows: Insertable<SegmentMemberHistoryTable>[] = departures.map((d) => ({
    workspace_id: ws,
    profile_id: d.profileId,
    segment_id: segmentId,
    // A profile that enters and leaves within one millisecond keeps a non-negative duration.
    entered_at: Math.min(d.enteredAt, exitedAt),
    exited_at: exitedAt,
    version: d.version,
    exit_version: exitVersion,
    reason: d.reason,
  }));
  // Two departures of one (profile, segment) in the same millisecond cannot happen: a profile
  // re-enters only in a later transaction, whose clock reading is later or equal; equal is
  // possible with a frozen test clock, so the second one is dropped rather than failing.
  await dialect.insertMany(trx, 'segment_member_history', rows as Record<string, unknown>[], {
    columns: ['workspace_id', 'profile_id', 'exited_at', 'segment_id'],
    update: [],
  });
}

/** Moves every member of a segment to history (archiving the segment). */
export async function departAll(trx: Kysely<SegmentsSqlDB>, ws: string, segmentId: string, exitVersion: number, exitedAt: number): Promise<void> {
  await trx
    .insertInto('segment_member_history')
    .columns(['workspace_id', 'profile_id', 'segment_id', 'entered_at', 'exited_at', 'version', 'exit_version', 'reason'])
    .expression((eb) =>
      eb
        .selectFrom('segment_members')
        .select((s) => [
          'workspace_id',
          'profile_id',
          'segment_id',
          'entered_at',
          s.val(exitedAt).as('exited_at'),
          'version',
          s.val(exitVersion).as('exit_version'),
          s.val('archived').as('reason'),
        ])
        .where('workspace_id', '=', ws)
        .where('segment_id', '=', segmentId),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
  await trx.deleteFrom('segment_members').where('workspace_id', '=', ws).where('segment_id', '=', segmentId).execute();
}

/**
 * The timeline source of segment membership: "Segment Entered" for every entry (current or past)
 * and "Segment Exited" for every departure except merges (the survivor's own membership follows).
 * Items are `track` calls with properties `segment_id`, `segment_name`, `version` (and
 * `reason` on exits), like the events they replace.
 */
export function segmentTimelineSource(): TimelineSource {
  return async (cdpDb, ws, profileIds, opts) => {
    const db = segmentsDb(cdpDb);
    if (opts.type !== undefined && opts.type !== 'track') return [];
    if (opts.event !== undefined && opts.event !== SEGMENT_ENTERED && opts.event !== SEGMENT_EXITED) return [];
    const wantEntered = opts.event === undefined || opts.event === SEGMENT_ENTERED;
    const wantExited = opts.event === undefined || opts.event === SEGMENT_EXITED;
    const before = opts.before;
    const out: TimelineRow[] = [];
    const names = new Map<string, string>();
    const item = (event: string, segmentId: string, version: number, at: number, extra: Record<string, unknown> = {}): TimelineRow => {
      const messageId = `seg_${event === SEGMENT_ENTERED ? 'in' : 'out'}_${at}_${segmentId}_${version}`;
      return {
        messageId,
        type: 'track',
        event,
        timestamp: at,
        receivedAt: at,
        payload: {
          type: 'track',
          event,
          messageId,
          timestamp: new Date(at).toISOString(),
          properties: { segment_id: segmentId, segment_name: names.get(segmentId) ?? segmentId, version, ...extra },
          context: { library: { name: 'siyu' } },
        },
      };
    };
    const keep = (r: TimelineRow) => !before || r.timestamp < before.timestamp || (r.timestamp === before.timestamp && r.messageId < before.messageId);
    const current = wantEntered
      ? await db
          .selectFrom('segment_members')
          .select(['segment_id', 'version', 'entered_at'])
          .where('workspace_id', '=', ws)
          // (no index by profile: the workspace's segments name the primary-key probes)
          .where('segment_id', 'in', (eb) => eb.selectFrom('segments').select('id').where('workspace_id', '=', ws))
          .where('profile_id', 'in', profileIds)
          .execute()
      : [];
    const past = await db
      .selectFrom('segment_member_history')
      .select(['segment_id', 'version', 'entered_at', 'exited_at', 'exit_version', 'reason'])
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', profileIds)
      .orderBy('exited_at', 'desc')
      .limit(10_000)
      .execute();
    const ids = [...new Set([...current.map((r) => r.segment_id), ...past.map((r) => r.segment_id)])];
    if (ids.length) {
      for (const s of await db.selectFrom('segments').select(['id', 'name']).where('workspace_id', '=', ws).where('id', 'in', ids).execute())
        names.set(s.id, s.name);
    }
    for (const r of current) out.push(item(SEGMENT_ENTERED, r.segment_id, r.version, Number(r.entered_at)));
    for (const r of past) {
      if (wantEntered) out.push(item(SEGMENT_ENTERED, r.segment_id, r.version, Number(r.entered_at)));
      if (wantExited && r.reason !== 'merged') out.push(item(SEGMENT_EXITED, r.segment_id, r.exit_version, Number(r.exited_at), { reason: r.reason }));
    }
    return out
      .filter(keep)
      .sort((a, b) => b.timestamp - a.timestamp || (a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0))
      .slice(0, opts.limit);
  };
}
