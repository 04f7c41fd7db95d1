import type { Kysely } from 'kysely';
import { type Database, parseJson } from '../platform/db/database.js';
import type { CdpDB } from './schema.js';

/** A stored event as the timeline shows it. */
export interface TimelineRow {
  messageId: string;
  type: string;
  event: string | null;
  timestamp: number;
  receivedAt: number;
  payload: Record<string, unknown>;
}

/**
 * A port: another domain's items on the profile timeline (segment membership, ...): rows newest
 * first (timestamp, then message id, descending) strictly before `before`, at most `limit`, for
 * the given profile ids (the profile and those merged into it). `db` is the process's database
 * handle, over which the source reads its own tables.
 */
export type TimelineSource = (
  db: Database['db'],
  workspaceId: string,
  profileIds: string[],
  opts: { limit: number; before?: { timestamp: number; messageId: string }; type?: string; event?: string },
) => Promise<TimelineRow[]>;

/** A profile's events newest first (timestamp, then message id, descending), after a position. */
export async function listTimeline(
  db: Kysely<CdpDB>,
  workspaceId: string,
  profileId: string,
  opts: { limit: number; before?: { timestamp: number; messageId: string }; type?: string; event?: string },
): Promise<TimelineRow[]> {
  let q = db
    .selectFrom('events')
    .select(['message_id', 'type', 'event', 'timestamp', 'received_at', 'payload'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId);
  if (opts.type !== undefined) q = q.where('type', '=', opts.type);
  if (opts.event !== undefined) q = q.where('event', '=', opts.event);
  const before = opts.before;
  if (before) {
    q = q.where((eb) =>
      eb.or([eb('timestamp', '<', before.timestamp), eb.and([eb('timestamp', '=', before.timestamp), eb('message_id', '<', before.messageId)])]),
    );
  }
  const rows = await q.orderBy('timestamp', 'desc').orderBy('message_id', 'desc').limit(opts.limit).execute();
  return rows.map((r) => ({
    messageId: r.message_id,
    type: r.type,
    event: r.event,
    timestamp: r.timestamp,
    receivedAt: r.received_at,
    payload: parseJson<Record<string, unknown>>(r.payload),
  }));
}

/** A merge-history record. */
export interface MergeRow {
  id: string;
  kind: 'merge' | 'refused';
  fromProfileId: string;
  intoProfileId: string;
  identifierType: string;
  reason: string;
  messageId: string | null;
  at: number;
}

/** Merge records that involve any of `profileIds`, newest first (time, then id, descending), after a position. */
export async function listMerges(
  db: Kysely<CdpDB>,
  workspaceId: string,
  profileIds: string[],
  opts: { limit: number; before?: { at: number; id: string } },
): Promise<MergeRow[]> {
  let q = db
    .selectFrom('profile_merges')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('into_profile_id', 'in', profileIds), eb('from_profile_id', 'in', profileIds)]));
  const before = opts.before;
  if (before) q = q.where((eb) => eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    fromProfileId: r.from_profile_id,
    intoProfileId: r.into_profile_id,
    identifierType: r.id_type,
    reason: r.reason,
    messageId: r.message_id,
    at: r.created_at,
  }));
}
