import { recordSystemEvents } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import type { CallerDb } from './deps.js';

/**
 * Puts a delivery, reply or consent event on a profile's timeline inside the caller's transaction,
 * through cdp's published write (`recordSystemEvents`: stored like tracked events, type "track",
 * Segment-shaped payload, `context.library.name = "siyu"`). `eventId` is deterministic where the
 * fact happens once (`<message id>:sent`), so a retried transaction or a recovered dispatcher
 * cannot record it twice. Returns 1 when stored, 0 when an event with that id was already there.
 */
export async function writeTimelineEvent(
  trx: CallerDb,
  dialect: Dialect,
  e: { workspaceId: string; profileId: string; eventId: string; event: string; properties: Record<string, unknown>; at: number },
): Promise<number> {
  return recordSystemEvents(trx, dialect, [e]);
}
