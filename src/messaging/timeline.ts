import type { Dialect } from '../platform/db/database.js';
import type { CallerDb } from './deps.js';

/**
 * Writes a delivery or consent event onto a profile's timeline inside the caller's transaction,
 * stored like tracked events (type "track", Segment-shaped payload, `context.library.name =
 * "siyu"`). `eventId` is deterministic where the fact happens once (`<message id>:sent`), so a
 * retried transaction or a recovered dispatcher cannot record it twice. Returns 1 when stored,
 * 0 when an event with that id was already there. `events` is cdp's table: cdp is to publish this write.
 */
// owner: cdp
export async function writeTimelineEvent(
  trx: CallerDb,
  dialect: Dialect,
  e: { workspaceId: string; profileId: string; eventId: string; event: string; properties: Record<string, unknown>; at: number },
): Promise<number> {
  const payload = {
    type: 'track',
    event: e.event,
    properties: e.properties,
    messageId: e.eventId,
    timestamp: new Date(e.at).toISOString(),
    context: { library: { name: 'siyu' } },
  };
  return dialect.insertMany(
    trx,
    'events',
    [
      {
        workspace_id: e.workspaceId,
        message_id: e.eventId,
        profile_id: e.profileId,
        type: 'track',
        event: e.event,
        user_id: null,
        anonymous_id: null,
        timestamp: e.at,
        received_at: e.at,
        payload: JSON.stringify(payload),
      },
    ],
    { columns: ['workspace_id', 'message_id'], update: [] },
  );
}
