import type { Insertable, Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import type { CdpTablesRead, SegmentsSqlDB } from './schema.js';

type EventsTable = CdpTablesRead['events'];

/**
 * Events Siyu itself records on a profile's timeline (segment entered/exited, lifecycle stage
 * changed, ...). They are stored like tracked events (type "track", payload in Segment's shape,
 * `context.library.name = "siyu"`) so timelines, rules and journeys read them the same way.
 * They do not touch the profile row, so they never feed back into segment re-evaluation.
 * (They are written to cdp's `events` table: a write to another module's table, to be replaced by
 * a function cdp publishes for it.)
 */
export function systemEventRow(
  workspaceId: string,
  profileId: string,
  event: string,
  properties: Record<string, unknown>,
  at: number,
): Insertable<EventsTable> {
  const messageId = newId('sys', at);
  const payload = {
    type: 'track',
    event,
    properties,
    messageId,
    timestamp: new Date(at).toISOString(),
    context: { library: { name: 'siyu' } },
  };
  return {
    workspace_id: workspaceId,
    message_id: messageId,
    profile_id: profileId,
    type: 'track',
    event,
    user_id: null,
    anonymous_id: null,
    timestamp: at,
    received_at: at,
    payload: JSON.stringify(payload),
  };
}

/** Inserts system events inside the caller's transaction. */
export async function writeSystemEvents(trx: Kysely<SegmentsSqlDB>, dialect: Dialect, rows: Insertable<EventsTable>[]): Promise<void> {
  await dialect.insertMany(trx, 'events', rows as Record<string, unknown>[]);
}
