/**
 * The segment locks of membership writes. Each write transaction first locks what it writes — the
 * feed row (feed.ts), then segment rows in id order (`FOR UPDATE` on PostgreSQL; SQLite has one
 * writer) — and only then reads current members, so two processes never record the same entry twice.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { LiveSegment } from './membership.deps.js';
import type { SegmentsSqlDB } from './schema.js';

/** A segment as its lock read it: the version and status to write for, and whether its entries are listened to. */
export interface LockedSegment {
  version: number;
  status: string;
  listened: boolean;
}

/**
 * Locks the segments' rows (FOR UPDATE on PostgreSQL; SQLite has one writer) for a transaction
 * that writes their membership, and reads them under the lock. `listened` must come from here:
 * publishing a journey marks its trigger segment in a transaction of its own before the version's
 * publish time, so a write that read the segment unmarked committed before that time.
 */
export async function lockSegments(trx: Kysely<SegmentsSqlDB>, dialect: Dialect, ws: string, ids: string[]): Promise<Map<string, LockedSegment>> {
  if (ids.length === 0) return new Map();
  let q = trx
    .selectFrom('segments')
    .select(['id', 'version', 'status', 'entries_listened'])
    .where('workspace_id', '=', ws)
    .where('id', 'in', ids)
    .orderBy('id');
  q = dialect.forUpdate(q);
  const rows = await q.execute();
  return new Map(rows.map((r) => [r.id, { version: r.version, status: r.status, listened: r.entries_listened === 1 }]));
}

/** Gives the segments the `listened` mark their lock read (in place). */
export function markListened(segments: LiveSegment[], locked: Map<string, LockedSegment>): void {
  for (const s of segments) s.listened = locked.get(s.id)?.listened;
}

/** The `segment_members.listened` value for a segment's rows (1 when unknown: indexed is always safe). */
export function listenedColumn(listened: boolean | undefined): number {
  return listened === false ? 0 : 1;
}

/** The `segment_members.listened` value for a segment's rows, from its lock. */
export function listenedFlag(locked: Map<string, LockedSegment>, segmentId: string): number {
  return listenedColumn(locked.get(segmentId)?.listened);
}
