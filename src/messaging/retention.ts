/**
 * Messaging's part of the retention policies (issue #19): the bodies of old messages. A message
 * older than the workspace's period keeps its row — channel, purpose, template, source, status,
 * attempts and its sent/delivered/opened/clicked/replied times, which broadcast and journey
 * counters and frequency caps count — and loses what it said and to whom: inline content,
 * rendering data (the triggering event's properties), the rendered text, the explicit recipient
 * and the keyed hash of the address. Messages still on their way (queued, held, sending) are kept whole.
 */
import type { Database } from '../platform/db/database.js';
import type { RetentionPurger } from '../platform/retention.js';

/** The delivery events messaging puts on a profile's timeline: the `deliveryLogs` kind of the retention policies. */
export const MESSAGE_DELIVERY_EVENTS = ['Message Sent', 'Message Delivered', 'Message Failed', 'Message Opened', 'Message Clicked', 'Message Replied'] as const;

/** Statuses of messages not yet done with: their body is still needed. */
const IN_FLIGHT = ['queued', 'held', 'sending'];

/** Messaging's retention purger: message bodies. */
export function messagingRetention(deps: { database: Database; now: () => number }): RetentionPurger[] {
  return [
    {
      kind: 'messageBodies',
      module: 'messaging',
      purgeBatch: (ws, cutoff, limit) =>
        deps.database.db.transaction().execute(async (trx) => {
          // Found through the partial index of kept bodies (0045): blanked rows leave it.
          const ids = trx
            .selectFrom('messages')
            .select('id')
            .where('workspace_id', '=', ws)
            .where('body_purged_at', 'is', null)
            .where('created_at', '<', cutoff)
            .where('status', 'not in', IN_FLIGHT)
            .limit(limit);
          const res = await trx
            .updateTable('messages')
            .set({ content: null, data: '{}', recipient: null, rendered: null, address_key: null, body_purged_at: deps.now() })
            .where('workspace_id', '=', ws)
            .where('id', 'in', ids)
            .executeTakeFirst();
          const rows = Number(res.numUpdatedRows);
          return { rows, done: rows < limit };
        }),
    },
  ];
}
