/**
 * The CDP's part of the retention policies (issue #19): old events go, by kind. The events table
 * holds three of the kinds a workspace sets a period for: the delivery events of messages
 * (`deliveryLogs`), the WeCom conversation-archive lines (`conversationArchive`) and everything
 * else (`events`, the raw events); the composition root names the events of the first two.
 *
 * Deleting old events changes no profile aggregate: order counts and amounts, first and last
 * purchase come from the `orders` rows (kept), first and last seen are columns of the profile
 * row, and nothing recomputes them from the timeline. What does change is what rules over the
 * timeline can see (a segment's "performed N times in the last 5 years" counts retained events).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../platform/db/database.js';
import type { PurgeBatch, RetentionKind, RetentionPurger } from '../platform/retention.js';
import type { CdpDB } from './schema.js';

/**
 * Events received this recently are never purged, however old their `timestamp`: readers that
 * follow the stream in storage order (loyalty's earning rules, journey triggers, the segment feed)
 * must see an imported old event before it goes.
 */
export const EVENT_PURGE_GRACE_MS = 7 * 86_400_000;

/** Which events a purger takes: those named in `names`, or every name but those in `except` (and unnamed events). */
type Selection = { names: readonly string[] } | { except: readonly string[] };

/** The event names (in index order) a purger of `sel` walks. */
async function* namesOf(db: Kysely<CdpDB>, ws: string, sel: Selection): AsyncGenerator<string | null> {
  if ('names' in sel) {
    yield* sel.names;
    return;
  }
  yield null; // identify, page and screen calls without a name
  // A loose scan of the (workspace, event, …) index: one probe per distinct name.
  for (let prev = ''; ;) {
    const row = await db
      .selectFrom('events')
      .select((eb) => eb.fn.min('event').as('name'))
      .where('workspace_id', '=', ws)
      .where('event', '>', prev)
      .executeTakeFirst();
    const name = row?.name ?? null;
    if (name === null) return;
    if (!sel.except.includes(name)) yield name;
    prev = name;
  }
}

/** One batch: per name, deletes the oldest rows before the cutoff until `limit` rows are gone, in one transaction. */
async function purgeEvents(database: Database, ws: string, sel: Selection, cutoffMs: number, receivedBefore: number, limit: number): Promise<PurgeBatch> {
  return database.db.transaction().execute(async (trx) => {
    const db = trx as unknown as Kysely<CdpDB>;
    let rows = 0;
    for await (const name of namesOf(db, ws, sel)) {
      const left = limit - rows;
      if (left <= 0) break;
      const named = name === null ? sql`event is null` : sql`event = ${name}`;
      // Found through the (workspace, event, timestamp) index; deleted through the primary key.
      const res = await sql`delete from events where workspace_id = ${ws} and message_id in (
          select message_id from events where workspace_id = ${ws} and ${named} and timestamp < ${cutoffMs} and received_at < ${receivedBefore} limit ${left})`.execute(
        db,
      );
      rows += Number(res.numAffectedRows ?? 0);
    }
    return { rows, done: rows < limit };
  });
}

/** The names of the events of the two kinds stored among the events (given by the modules that record them). */
export interface CdpRetentionNames {
  /** The delivery events of messages (`Message Sent`, `Message Delivered`…): messaging's. */
  delivery: readonly string[];
  /** The conversation-archive lines (`WeCom Message Sent`, `WeCom Message Received`): scrm's. */
  archive: readonly string[];
}

/** The CDP's retention purgers: raw events, delivery events and conversation-archive lines. */
export function cdpRetention(deps: { database: Database; now: () => number }, names: CdpRetentionNames): RetentionPurger[] {
  const purger = (kind: RetentionKind, sel: Selection): RetentionPurger => ({
    kind,
    module: 'cdp',
    purgeBatch: (ws, cutoff, limit) => purgeEvents(deps.database, ws, sel, cutoff, deps.now() - EVENT_PURGE_GRACE_MS, limit),
  });
  return [
    purger('events', { except: [...names.delivery, ...names.archive] }),
    purger('deliveryLogs', { names: names.delivery }),
    purger('conversationArchive', { names: names.archive }),
  ];
}
