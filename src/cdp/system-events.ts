/**
 * Events Siyu itself records on the timelines of profiles it already knows (a lifecycle stage
 * changed, a message was delivered, ...): the one published write of cdp's `events` table that
 * bypasses the ingest path. No identity resolution, no profile update (so `updated_at` is not
 * stamped and the segment feed does not re-evaluate the profile for it): the caller names the
 * live profile. Stored like tracked events (type "track", a Segment-shaped payload with
 * `context.library.name = "siyu"`), so timelines, rules and journeys read them the same way.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import type { CdpDB } from './schema.js';

/** One event to record on a known profile's timeline. */
export interface SystemEvent {
  workspaceId: string;
  /** The live profile it is about (not resolved again: the caller knows it). */
  profileId: string;
  /** The event name, e.g. "Lifecycle Stage Changed". */
  event: string;
  properties: Record<string, unknown>;
  /** Event time, epoch ms (also its received time). */
  at: number;
  /**
   * Its message id, deterministic where the fact happens once (`<message id>:sent`), so a retried
   * transaction cannot record it twice; default a new `sys_` id.
   */
  eventId?: string;
}

/** The `events` rows of system events (what {@link recordSystemEvents} inserts). */
function systemEventRows(events: readonly SystemEvent[]) {
  return events.map((e) => {
    const messageId = e.eventId ?? newId('sys', e.at);
    const payload = {
      type: 'track',
      event: e.event,
      properties: e.properties,
      messageId,
      timestamp: new Date(e.at).toISOString(),
      context: { library: { name: 'siyu' } },
    };
    return {
      workspace_id: e.workspaceId,
      message_id: messageId,
      profile_id: e.profileId,
      type: 'track',
      event: e.event,
      user_id: null,
      anonymous_id: null,
      timestamp: e.at,
      received_at: e.at,
      payload: JSON.stringify(payload),
    };
  });
}

/**
 * Inserts system events inside the caller's transaction (any connection typed with cdp's tables);
 * an event whose id is already stored in its workspace is left alone. Returns how many were stored.
 */
export async function recordSystemEvents<D extends CdpDB>(trx: Kysely<D>, dialect: Dialect, events: readonly SystemEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  return dialect.insertMany(trx, 'events', systemEventRows(events), { columns: ['workspace_id', 'message_id'], update: [] });
}

/**
 * The same insert as {@link recordSystemEvents} as a statement not yet run (a VALUES list: for a
 * few rows), for a caller that sends it together with its own writes in one round trip, e.g. as
 * a writable CTE on PostgreSQL (`with ev as (<this>) ...`). `events` must not be empty. With
 * `fresh` (event ids the caller has just generated, in a statement that fails as a whole on a
 * duplicate), without the `ON CONFLICT` clause and its speculative insertion.
 */
export function systemEventsInsert<D extends CdpDB>(db: Kysely<D>, events: readonly SystemEvent[], opts: { fresh?: boolean } = {}) {
  if (events.length === 0) throw new Error('systemEventsInsert: no events');
  const cdp = db as unknown as Kysely<CdpDB>;
  const insert = cdp.insertInto('events').values(systemEventRows(events));
  return opts.fresh ? insert : insert.onConflict((oc) => oc.columns(['workspace_id', 'message_id']).doNothing());
}
