/**
 * The cancel pass of group-buys (run by the loyalty worker every pass): open groups past their
 * deadline are claimed with `FOR UPDATE SKIP LOCKED` (several workers take different groups and
 * never wait for each other; a join holding a group's lock is skipped until it commits), marked
 * cancelled, and each member gets a `Group Buy Cancelled` event carrying the refund intent: the
 * order system is the brand's, which refunds what it took for the group (a journey or a webhook
 * listens to the event).
 */
import { recordSystemEvents } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import { GROWTH_EVENTS } from './event-names.js';
import { groupMembers } from './group-buys.service.js';
import type { GroupBuysTable } from './group-buys.tables.js';
import { num } from './ledger.repo.js';

/** Groups claimed per transaction. */
const BATCH = 100;

/** Cancels every open group whose deadline has passed (in batches); answers how many. */
export async function cancelDueGroups(database: Database, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await database.db.transaction().execute(async (trx) => {
      const due = (await database.dialect
        .claim(trx.selectFrom('loyalty_group_buys').selectAll().where('status', '=', 'open').where('deadline', '<=', now).orderBy('deadline').limit(BATCH))
        .execute()) as GroupBuysTable[];
      for (const g of due) {
        await trx
          .updateTable('loyalty_group_buys')
          .set({ status: 'cancelled', cancelled_at: now })
          .where('workspace_id', '=', g.workspace_id)
          .where('id', '=', g.id)
          .execute();
        const c = await trx
          .selectFrom('loyalty_group_buy_campaigns')
          .selectAll()
          .where('workspace_id', '=', g.workspace_id)
          .where('id', '=', g.campaign_id)
          .executeTakeFirst();
        const members = await groupMembers(trx, g.workspace_id, g.id);
        await recordSystemEvents(
          trx,
          database.dialect,
          members.map((m) => ({
            workspaceId: g.workspace_id,
            profileId: m.profile_id,
            event: GROWTH_EVENTS.groupBuyCancelled,
            eventId: `${g.id}:${m.profile_id}:cancelled`,
            at: now,
            properties: {
              group_id: g.id,
              code: g.code,
              campaign_id: g.campaign_id,
              product_id: c?.product_id ?? null,
              price_fen: c?.price_fen == null ? null : num(c.price_fen),
              size: num(g.size),
              joined: num(g.joined),
              reason: 'deadline passed before the group filled',
              refund_intent: true,
            },
          })),
        );
      }
      return due.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}
